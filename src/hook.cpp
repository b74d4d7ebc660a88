// Hook: an event stream plus a DEALER on the broker's replies socket. It announces
// itself with hello (again after a broker restart), yields events, and sends replies.
// Every reply joins a queue of answers in flight that the reply_acks settle in order;
// reply() waits for its own, post_reply() leaves it to later calls.
#include <algorithm>
#include <deque>
#include <hookbus/hook.hpp>
#include <stdexcept>
#include <utility>
#include <vector>

#include "client_socket.hpp"
#include "event_stream.hpp"

namespace hookbus {

namespace {

// A hello can be lost (sent to a broker that was dying); asking again is harmless,
// since the broker lets a second hello with the same instance replace the first.
constexpr std::chrono::seconds hello_retry{3};

std::string checked_instance(std::string instance) {
    if (instance.empty()) return make_uuid4();
    if (valid_instance(instance)) return instance;
    throw std::invalid_argument("hookbus: invalid hook instance '" + instance +
                                "': use 1 to 64 characters of [A-Za-z0-9_-]");
}

Endpoints resolved(Endpoints endpoints) {
    auto defaults = default_endpoints();
    if (endpoints.events.empty()) endpoints.events = defaults.events;
    if (endpoints.replies.empty()) endpoints.replies = defaults.replies;
    return endpoints;
}

void check_options(const HookOptions& options) {
    if (options.name.empty() || options.name.size() > 128)
        throw std::invalid_argument("hookbus: a hook name must be 1 to 128 bytes");
    if (options.events.empty() && options.observe.empty())
        throw std::invalid_argument(
            "hookbus: a hook needs at least one event name to answer or observe");
    for (const auto& name : options.observe) {
        if (std::find(options.events.begin(), options.events.end(), name) !=
            options.events.end())
            throw std::invalid_argument("hookbus: event '" + name +
                                        "' is both answered and observed; pick one");
    }
}

// Every name the hook subscribes to: those it answers, then those it observes.
std::vector<std::string> subscribed_names(const HookOptions& options) {
    auto names = options.events;
    names.insert(names.end(), options.observe.begin(), options.observe.end());
    return names;
}

// An answer sent and not yet judged by the broker.
struct InFlight {
    std::string id;
    detail::Clock::time_point deadline;
    std::uint64_t serial = 0;
    bool awaited = false;  ///< sent by reply(), which waits for the verdict itself
};

}  // namespace

struct Hook::Impl {
    HookOptions options;
    std::string instance;
    Endpoints endpoints;
    std::unique_ptr<zmq::context_t> owned_context;
    zmq::context_t& context;
    zmq::socket_t dealer;
    detail::EventStream stream;
    bool ready = false;
    detail::Clock::time_point last_hello;
    std::deque<InFlight> in_flight;  ///< oldest first, as the broker answers them
    std::uint64_t last_serial = 0;
    /// Verdicts of reply() answers, by serial, until their reply() takes them.
    std::vector<std::pair<std::uint64_t, bool>> awaited_verdicts;
    ReplyCounts counts;

    explicit Impl(HookOptions given);

    void send_hello();
    void retry_hello_if_due();
    void drain_responses();
    void on_response(const HookResponse& response);
    void settle_ack(const ReplyAck& ack);
    void settle(InFlight answer, bool accepted, bool timed_out);
    void expire(detail::Clock::time_point now);
    std::uint64_t post(const Event& event, std::string_view reply_json, bool awaited);
    bool await_verdict(std::uint64_t serial);
    std::optional<Event> poll_both(detail::Clock::time_point deadline);
};

Hook::Impl::Impl(HookOptions given)
    : options((check_options(given), std::move(given))),
      instance(checked_instance(options.instance)),
      endpoints(resolved(options.endpoints)),
      context(detail::context_or_own(options.context, owned_context)),
      dealer(context, zmq::socket_type::dealer),
      stream(
          context, endpoints.events, subscribed_names(options),
          std::string(hook_token_prefix) + instance,
          [this] {
              ready = false;
              send_hello();
          },
          options.curve) {
    detail::apply_client_options(dealer);
    detail::apply_curve(dealer, options.curve);
    dealer.connect(endpoints.replies);
    send_hello();
}

void Hook::Impl::send_hello() {
    // The DEALER queues the hello until the connection is up (no ZMQ_IMMEDIATE).
    detail::send_framed(
        dealer, encode(Hello{instance, options.name, options.events, options.observe}));
    last_hello = detail::Clock::now();
}

void Hook::Impl::retry_hello_if_due() {
    if (!ready && detail::Clock::now() - last_hello >= hello_retry) send_hello();
}

void Hook::Impl::on_response(const HookResponse& response) {
    if (auto* ok = std::get_if<HelloOk>(&response)) {
        if (ok->instance == instance) ready = true;
        return;
    }
    if (auto* ack = std::get_if<ReplyAck>(&response)) {
        // Cut off for lagging (or forgotten): announce again, once, to count again.
        if (!ack->registered && ready) {
            ready = false;
            send_hello();
        }
        settle_ack(*ack);
        return;
    }
    // An error carries no event id. The broker answers a hook's requests in order,
    // so an error answers the oldest answer in flight; `overloaded` is the answer to
    // a hello (the hook table is full), never to a reply.
    auto* error = std::get_if<Error>(&response);
    if (!error || error->code == ErrorCode::overloaded || in_flight.empty()) return;
    InFlight oldest = std::move(in_flight.front());
    in_flight.pop_front();
    settle(std::move(oldest), false, false);
}

// Acks come in the order the answers were sent, so the match is normally the oldest;
// older entries whose ack was lost (a broker restart) are left to expire().
void Hook::Impl::settle_ack(const ReplyAck& ack) {
    auto same_id = [&](const InFlight& answer) { return answer.id == ack.id; };
    auto match = std::find_if(in_flight.begin(), in_flight.end(), same_id);
    if (match == in_flight.end()) return;
    InFlight answer = std::move(*match);
    in_flight.erase(match);
    settle(std::move(answer), ack.accepted, false);
}

// Runs after the answer left the queue, so that on_verdict may post again.
void Hook::Impl::settle(InFlight answer, bool accepted, bool timed_out) {
    ++(timed_out ? counts.timed_out : accepted ? counts.accepted : counts.refused);
    if (answer.awaited) {
        awaited_verdicts.emplace_back(answer.serial, accepted);
        return;
    }
    if (options.on_verdict)
        options.on_verdict(Verdict{std::move(answer.id), accepted, timed_out});
}

void Hook::Impl::expire(detail::Clock::time_point now) {
    while (!in_flight.empty() && in_flight.front().deadline <= now) {
        InFlight oldest = std::move(in_flight.front());
        in_flight.pop_front();
        settle(std::move(oldest), false, true);
    }
}

void Hook::Impl::drain_responses() {
    while (auto body = detail::recv_framed(dealer)) {
        HookResponse response;
        try {
            response = decode_hook_response(*body);
        } catch (const DecodeError&) {
            continue;
        }
        on_response(response);
    }
    expire(detail::Clock::now());
}

// Sends an answer and queues it; returns its serial, or 0 when the socket is full.
std::uint64_t Hook::Impl::post(const Event& event, std::string_view reply_json,
                               bool awaited) {
    const auto& answered = options.events;
    if (std::find(answered.begin(), answered.end(), event.name) == answered.end()) {
        throw std::invalid_argument("hookbus: this hook observes '" + event.name +
                                    "' and never answers it");
    }
    std::string body =
        encode(Reply{event.id, options.name, instance, std::string(reply_json)});
    auto limit = stream.max_msg_size();
    if (limit != 0 && body.size() > limit) {
        throw std::invalid_argument("hookbus: reply of " + std::to_string(body.size()) +
                                    " bytes exceeds the broker's limit of " +
                                    std::to_string(limit) + " bytes");
    }
    auto deadline = detail::Clock::now() + options.reply_timeout;
    if (!detail::send_framed(dealer, body)) return 0;
    in_flight.push_back(InFlight{event.id, deadline, ++last_serial, awaited});
    return last_serial;
}

bool Hook::Impl::await_verdict(std::uint64_t serial) {
    auto is_ours = [serial](const auto& entry) { return entry.first == serial; };
    auto& done_list = awaited_verdicts;
    while (true) {
        auto done = std::find_if(done_list.begin(), done_list.end(), is_ours);
        if (done != done_list.end()) {
            bool accepted = done->second;
            done_list.erase(done);
            return accepted;
        }
        auto it = std::find_if(in_flight.begin(), in_flight.end(),
                               [&](const InFlight& a) { return a.serial == serial; });
        if (it == in_flight.end()) return false;  // cannot happen: settle() records it
        if (detail::wait_readable(dealer, it->deadline)) {
            drain_responses();
        } else {
            expire(detail::Clock::now());
        }
    }
}

std::optional<Event> Hook::Impl::poll_both(detail::Clock::time_point deadline) {
    while (true) {
        retry_hello_if_due();
        // Read what is queued before polling: when events stream in, the next one is
        // usually there already, and two non-blocking receives cost much less than a
        // poll per event. Acks are taken first so they never pile up behind events.
        drain_responses();
        bool received = false;
        if (auto event = stream.read_one(&received)) return event;
        if (received) continue;  // a welcome or a frame of another version
        if (detail::Clock::now() >= deadline) return std::nullopt;

        auto until = ready ? deadline : std::min(deadline, last_hello + hello_retry);
        if (!in_flight.empty()) until = std::min(until, in_flight.front().deadline);
        zmq_pollitem_t items[] = {{stream.socket().handle(), 0, ZMQ_POLLIN, 0},
                                  {dealer.handle(), 0, ZMQ_POLLIN, 0}};
        detail::poll_items(items, 2, detail::poll_timeout(until));
    }
}

Hook::Hook(HookOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Hook::~Hook() = default;

bool Hook::wait_ready(std::chrono::milliseconds timeout) {
    auto deadline = detail::Clock::now() + timeout;
    while (!impl_->ready) {
        impl_->retry_hello_if_due();
        auto until = std::min(deadline, impl_->last_hello + hello_retry);
        if (detail::wait_readable(impl_->dealer, until)) {
            impl_->drain_responses();
        } else if (detail::Clock::now() >= deadline) {
            break;
        }
    }
    return impl_->ready;
}

bool Hook::ready() const { return impl_->ready; }

std::optional<Event> Hook::next(std::chrono::milliseconds timeout) {
    if (auto held = impl_->stream.take_held()) return held;
    return impl_->poll_both(detail::Clock::now() + timeout);
}

bool Hook::reply(const Event& event, std::string_view reply_json) {
    auto serial = impl_->post(event, reply_json, true);
    return serial != 0 && impl_->await_verdict(serial);
}

bool Hook::reply(const Event& event, const nlohmann::json& reply) {
    std::string text = reply.dump();
    return this->reply(event, std::string_view(text));
}

bool Hook::post_reply(const Event& event, std::string_view reply_json) {
    return impl_->post(event, reply_json, false) != 0;
}

bool Hook::post_reply(const Event& event, const nlohmann::json& reply) {
    std::string text = reply.dump();
    return post_reply(event, std::string_view(text));
}

std::size_t Hook::replies_in_flight() const { return impl_->in_flight.size(); }

bool Hook::flush_replies(std::chrono::milliseconds timeout) {
    auto deadline = detail::Clock::now() + timeout;
    while (!impl_->in_flight.empty()) {
        auto until = std::min(deadline, impl_->in_flight.front().deadline);
        if (detail::wait_readable(impl_->dealer, until)) {
            impl_->drain_responses();
            continue;
        }
        impl_->expire(detail::Clock::now());
        if (detail::Clock::now() >= deadline) break;
    }
    return impl_->in_flight.empty();
}

ReplyCounts Hook::reply_counts() const { return impl_->counts; }

const std::string& Hook::instance() const { return impl_->instance; }

}  // namespace hookbus
