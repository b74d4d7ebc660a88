// Hook: an event stream plus a DEALER on the broker's replies socket. It announces
// itself with hello (again after a broker restart), yields events, and sends replies,
// waiting for each reply_ack while events stay queued in the SUB socket.
#include <algorithm>
#include <hookbus/hook.hpp>
#include <stdexcept>

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
    if (options.events.empty())
        throw std::invalid_argument("hookbus: a hook needs at least one event name");
}

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

    explicit Impl(HookOptions given);

    void send_hello();
    void retry_hello_if_due();
    void drain_responses(const std::string* awaited_id, std::optional<bool>* verdict);
    std::optional<bool> on_response(const HookResponse& response,
                                    const std::string* awaited_id);
    bool await_ack(const std::string& id, detail::Clock::time_point deadline);
    std::optional<Event> poll_both(detail::Clock::time_point deadline);
};

Hook::Impl::Impl(HookOptions given)
    : options((check_options(given), std::move(given))),
      instance(checked_instance(options.instance)),
      endpoints(resolved(options.endpoints)),
      context(detail::context_or_own(options.context, owned_context)),
      dealer(context, zmq::socket_type::dealer),
      stream(context, endpoints.events, options.events,
             std::string(hook_token_prefix) + instance, [this] {
                 ready = false;
                 send_hello();
             }) {
    detail::apply_client_options(dealer);
    dealer.connect(endpoints.replies);
    send_hello();
}

void Hook::Impl::send_hello() {
    // The DEALER queues the hello until the connection is up (no ZMQ_IMMEDIATE).
    detail::send_framed(dealer, encode(Hello{instance, options.name, options.events}));
    last_hello = detail::Clock::now();
}

void Hook::Impl::retry_hello_if_due() {
    if (!ready && detail::Clock::now() - last_hello >= hello_retry) send_hello();
}

// Handles one broker response. Returns the verdict when it answers the reply whose
// id is `awaited_id`.
std::optional<bool> Hook::Impl::on_response(const HookResponse& response,
                                            const std::string* awaited_id) {
    if (auto* ok = std::get_if<HelloOk>(&response)) {
        if (ok->instance == instance) ready = true;
        return std::nullopt;
    }
    if (auto* ack = std::get_if<ReplyAck>(&response)) {
        if (awaited_id && ack->id == *awaited_id) return ack->accepted;
        return std::nullopt;
    }
    // An error carries no event id; the broker answers a hook's requests in order and
    // a hook has at most one reply outstanding, so an error during the wait is its.
    auto* error = std::get_if<Error>(&response);
    if (error && awaited_id && error->code != ErrorCode::overloaded) return false;
    return std::nullopt;
}

void Hook::Impl::drain_responses(const std::string* awaited_id,
                                 std::optional<bool>* verdict) {
    while (auto body = detail::recv_framed(dealer)) {
        HookResponse response;
        try {
            response = decode_hook_response(*body);
        } catch (const DecodeError&) {
            continue;
        }
        auto result = on_response(response, awaited_id);
        if (result && verdict) *verdict = result;
    }
}

bool Hook::Impl::await_ack(const std::string& id, detail::Clock::time_point deadline) {
    std::optional<bool> verdict;
    while (!verdict && detail::wait_readable(dealer, deadline)) {
        drain_responses(&id, &verdict);
    }
    return verdict.value_or(false);
}

std::optional<Event> Hook::Impl::poll_both(detail::Clock::time_point deadline) {
    while (true) {
        retry_hello_if_due();
        auto until = ready ? deadline : std::min(deadline, last_hello + hello_retry);
        zmq_pollitem_t items[] = {{stream.socket().handle(), 0, ZMQ_POLLIN, 0},
                                  {dealer.handle(), 0, ZMQ_POLLIN, 0}};
        detail::poll_items(items, 2, detail::poll_timeout(until));

        if (items[1].revents & ZMQ_POLLIN) drain_responses(nullptr, nullptr);
        if (items[0].revents & ZMQ_POLLIN) {
            if (auto event = stream.read_one()) return event;
            continue;
        }
        if (detail::Clock::now() >= deadline) return std::nullopt;
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
            impl_->drain_responses(nullptr, nullptr);
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
    std::string body = encode(
        Reply{event.id, impl_->options.name, impl_->instance, std::string(reply_json)});
    auto limit = impl_->stream.max_msg_size();
    if (limit != 0 && body.size() > limit) {
        throw std::invalid_argument("hookbus: reply of " + std::to_string(body.size()) +
                                    " bytes exceeds the broker's limit of " +
                                    std::to_string(limit) + " bytes");
    }
    auto deadline = detail::Clock::now() + impl_->options.reply_timeout;
    if (!detail::send_framed(impl_->dealer, body)) return false;
    return impl_->await_ack(event.id, deadline);
}

bool Hook::reply(const Event& event, const nlohmann::json& reply) {
    std::string text = reply.dump();
    return this->reply(event, std::string_view(text));
}

const std::string& Hook::instance() const { return impl_->instance; }

}  // namespace hookbus
