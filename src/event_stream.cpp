// The receiving half shared by Subscriber and Hook.
#include "event_stream.hpp"

#include <hookbus/hook.hpp>
#include <stdexcept>

#include "client_socket.hpp"

namespace hookbus::detail {

namespace {

std::string topic_of(std::string_view name) {
    std::string topic(name);
    topic.push_back('\0');
    return topic;
}

}  // namespace

void check_event_names(const std::vector<std::string>& names) {
    for (const auto& name : names) {
        if (valid_event_name(name)) continue;
        throw std::invalid_argument(
            "hookbus: invalid event name '" + name +
            "': use 1 to 128 characters of [A-Za-z0-9_.:/-], not starting with "
            "'.', ':', '/' or '-'");
    }
}

EventStream::EventStream(zmq::context_t& context, const std::string& endpoint,
                         const std::vector<std::string>& names,
                         const std::string& hook_token, std::function<void()> on_restart,
                         const std::optional<Curve>& curve)
    : socket_(context, zmq::socket_type::sub), on_restart_(std::move(on_restart)) {
    check_event_names(names);
    apply_client_options(socket_);
    apply_curve(socket_, curve);

    // The subscription order is part of the protocol: the broker takes the hook
    // token as proof that every name subscription before it is live.
    if (names.empty()) {
        socket_.set(zmq::sockopt::subscribe, "");
    } else {
        socket_.set(zmq::sockopt::subscribe, topic_of(welcome_topic));
        for (const auto& name : names)
            socket_.set(zmq::sockopt::subscribe, topic_of(name));
    }
    if (!hook_token.empty()) socket_.set(zmq::sockopt::subscribe, hook_token);
    socket_.connect(endpoint);
}

std::optional<Event> EventStream::take_held() {
    auto event = std::move(held_);
    held_.reset();
    return event;
}

std::optional<Event> EventStream::read_one(bool* received) {
    zmq::message_t frame;
    if (!socket_.recv(frame, zmq::recv_flags::dontwait)) return std::nullopt;
    if (received) *received = true;
    if (frame.more()) {
        while (frame.more()) (void)socket_.recv(frame);
        return std::nullopt;
    }

    Published published;
    try {
        published = decode_published(frame.to_string_view());
    } catch (const DecodeError&) {
        // Not a message of a protocol version this client speaks; nothing to deliver.
        return std::nullopt;
    }
    if (auto* welcome = std::get_if<Welcome>(&published)) return on_welcome(*welcome);
    return on_event(std::move(std::get<Event>(published)));
}

std::optional<Event> EventStream::on_welcome(const Welcome& welcome) {
    max_msg_size_ = welcome.max_msg_size;
    // Every welcome after the first comes with a new connection, and the broker forgot
    // a hook whose old connection dropped (a heartbeat timeout), even within one run.
    const bool reconnected = welcomed_;
    welcomed_ = true;
    auto gap = tracker_.on_welcome(welcome.run);
    if ((gap || reconnected) && on_restart_) on_restart_();
    if (!gap) return std::nullopt;
    throw Lagged(gap->name, gap->missed, gap->restarted);
}

std::optional<Event> EventStream::on_event(Event event) {
    auto gap = tracker_.on_event(event.name, event.run, event.seq);
    if (!gap) return event;
    if (gap->restarted && on_restart_) on_restart_();
    held_ = std::move(event);
    throw Lagged(gap->name, gap->missed, gap->restarted);
}

}  // namespace hookbus::detail
