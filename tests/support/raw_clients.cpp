// Protocol-level test clients. See raw_clients.hpp.
#include "support/raw_clients.hpp"

#include <variant>
#include <zmq_addon.hpp>

namespace hookbus::testing {

namespace {

bool readable(zmq::socket_t& socket, milliseconds timeout) {
    zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
    return zmq::poll(&item, 1, timeout) > 0;
}

zmq::const_buffer view(std::string_view bytes) {
    return zmq::const_buffer(bytes.data(), bytes.size());
}

}  // namespace

RawDealer::RawDealer(zmq::context_t& context, const std::string& endpoint)
    : socket_(context, zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.connect(endpoint);
}

void RawDealer::send_body(std::string_view body) {
    socket_.send(zmq::message_t(), zmq::send_flags::sndmore);
    socket_.send(view(body), zmq::send_flags::none);
}

void RawDealer::send_frames(const std::vector<std::string>& frames) {
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const bool last = i + 1 == frames.size();
        socket_.send(view(frames[i]),
                     last ? zmq::send_flags::none : zmq::send_flags::sndmore);
    }
}

std::optional<std::string> RawDealer::recv_body(milliseconds timeout) {
    if (!readable(socket_, timeout)) return std::nullopt;
    std::vector<zmq::message_t> frames;
    if (!zmq::recv_multipart(socket_, std::back_inserter(frames))) return std::nullopt;
    return frames.back().to_string();
}

std::optional<EmitResponse> RawDealer::ask(const EmitRequest& request,
                                           milliseconds timeout) {
    send_body(std::visit([](const auto& r) { return encode(r); }, request));
    const auto body = recv_body(timeout);
    if (!body) return std::nullopt;
    return decode_emit_response(*body);
}

std::optional<HookResponse> RawDealer::tell(const HookRequest& request,
                                            milliseconds timeout) {
    send_body(std::visit([](const auto& r) { return encode(r); }, request));
    const auto body = recv_body(timeout);
    if (!body) return std::nullopt;
    return decode_hook_response(*body);
}

nlohmann::json RawDealer::stats() {
    const auto response = ask(StatsRequest{7});
    if (!response) return nullptr;
    const auto* ok = std::get_if<StatsOk>(&*response);
    return ok ? ok->stats : nlohmann::json();
}

RawSub::RawSub(zmq::context_t& context, const std::string& endpoint,
               const std::vector<std::string>& topics, int rcvhwm)
    : socket_(context, zmq::socket_type::sub) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::rcvhwm, rcvhwm);
    for (const auto& topic : topics) socket_.set(zmq::sockopt::subscribe, topic);
    socket_.connect(endpoint);
}

std::optional<Published> RawSub::recv(milliseconds timeout) {
    if (!readable(socket_, timeout)) return std::nullopt;
    zmq::message_t frame;
    if (!socket_.recv(frame, zmq::recv_flags::dontwait)) return std::nullopt;
    return decode_published(frame.to_string_view());
}

std::optional<Event> RawSub::next_event(milliseconds timeout) {
    const auto give_up = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left = std::chrono::duration_cast<milliseconds>(
            give_up - std::chrono::steady_clock::now());
        if (left.count() <= 0) return std::nullopt;
        auto published = recv(left);
        if (!published) return std::nullopt;
        if (auto* event = std::get_if<Event>(&*published)) return std::move(*event);
    }
}

std::vector<std::string> hook_topics(const std::vector<std::string>& events,
                                     const std::string& instance) {
    std::vector<std::string> topics{std::string(welcome_topic) + '\0'};
    for (const auto& name : events) topics.push_back(name + '\0');
    topics.push_back(std::string(hook_token_prefix) + instance);
    return topics;
}

RawHook::RawHook(zmq::context_t& context, const Endpoints& endpoints, std::string hook,
                 std::vector<std::string> events, std::string instance)
    : hook_(std::move(hook)),
      events_(std::move(events)),
      instance_(std::move(instance)),
      sub_(context, endpoints.events, hook_topics(events_, instance_)),
      dealer_(context, endpoints.replies) {}

bool RawHook::start(milliseconds timeout) {
    const auto response = dealer_.tell(Hello{instance_, hook_, events_}, timeout);
    return response && std::holds_alternative<HelloOk>(*response);
}

std::optional<Event> RawHook::next_event(milliseconds timeout) {
    return sub_.next_event(timeout);
}

std::optional<bool> RawHook::reply(const std::string& id, const std::string& reply_json) {
    const auto response = dealer_.tell(Reply{id, hook_, instance_, reply_json});
    if (!response) return std::nullopt;
    const auto* ack = std::get_if<ReplyAck>(&*response);
    if (ack == nullptr) return std::nullopt;
    return ack->accepted;
}

Emit make_emit(std::string name, std::string payload_json, bool wait,
               std::optional<std::uint64_t> timeout_ms, Expect expect,
               std::uint64_t req) {
    Emit emit;
    emit.req = req;
    emit.name = std::move(name);
    emit.payload_json = std::move(payload_json);
    emit.wait = wait;
    emit.timeout_ms = timeout_ms;
    emit.expect = expect;
    return emit;
}

}  // namespace hookbus::testing
