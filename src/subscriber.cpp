// Subscriber: listens to events without answering them (what `hookbus tail` uses),
// and reports lost events as Lagged. Also home of Lagged itself.
#include <hookbus/hook.hpp>

#include "client_socket.hpp"
#include "event_stream.hpp"

namespace hookbus {

namespace {

std::string lagged_message(const std::string& name, std::uint64_t missed,
                           bool restarted) {
    std::string text = "hookbus: lagged: ";
    if (restarted) text += "the broker restarted; ";
    text += std::to_string(missed) + " event(s)";
    if (!name.empty()) text += " named '" + name + "'";
    return text + " missed";
}

}  // namespace

Lagged::Lagged(std::string name, std::uint64_t missed, bool restarted)
    : std::runtime_error(lagged_message(name, missed, restarted)),
      name_(std::move(name)),
      missed_(missed),
      restarted_(restarted) {}

struct Subscriber::Impl {
    std::unique_ptr<zmq::context_t> owned_context;
    detail::EventStream stream;

    explicit Impl(const SubscriberOptions& options)
        : stream(detail::context_or_own(options.context, owned_context),
                 options.endpoint.empty() ? default_endpoints().events : options.endpoint,
                 options.events, "", nullptr, options.curve) {}
};

Subscriber::Subscriber(SubscriberOptions options)
    : impl_(std::make_unique<Impl>(options)) {}

Subscriber::~Subscriber() = default;

std::optional<Event> Subscriber::next(std::chrono::milliseconds timeout) {
    auto& stream = impl_->stream;
    if (auto held = stream.take_held()) return held;

    // Receive before polling: when events stream in, the next one is usually queued
    // already, and a non-blocking receive is much cheaper than a poll per event.
    const auto deadline = detail::Clock::now() + timeout;
    while (true) {
        bool received = false;
        if (auto event = stream.read_one(&received)) return event;
        if (!received && !detail::wait_readable(stream.socket(), deadline)) {
            return std::nullopt;
        }
    }
}

std::uint64_t Subscriber::run() const { return impl_->stream.run(); }

}  // namespace hookbus
