// Implementation of the relay baseline. Every socket is drained completely on each
// wake-up, responses never block (ROUTER drops what it cannot deliver), and the
// pending table is a flat ring indexed by the serial carried in the event id, so
// the steady state allocates nothing beyond ZeroMQ's own message buffers.
#include "relay.hpp"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <random>

namespace bench {

namespace {

constexpr std::size_t ring_size = 1 << 17;
constexpr std::uint64_t max_msg_size = 1 << 20;

// The id looks like a UUID (36 characters) and carries the slot's serial.
void format_id(char (&id)[37], std::uint64_t serial) {
    std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012" PRIx64, serial);
}

std::uint64_t parse_id(std::string_view id) {
    if (id.size() != 36) return 0;
    return std::strtoull(std::string(id.substr(24)).c_str(), nullptr, 16);
}

std::string endpoint_of(zmq::socket_t& socket) {
    return socket.get(zmq::sockopt::last_endpoint);
}

}  // namespace

Relay::Relay(zmq::context_t& context, const RelayEndpoints& bind_to)
    : emit_(context, zmq::socket_type::router),
      replies_(context, zmq::socket_type::router),
      events_(context, zmq::socket_type::xpub),
      pending_(ring_size) {
    run_ = std::random_device{}() | 1;
    out_.clear();
    wire::welcome(out_, run_, wire::wall_now(), max_msg_size);
    events_.set(zmq::sockopt::xpub_welcome_msg, std::string(out_.data(), out_.size()));
    events_.set(zmq::sockopt::xpub_verboser, 1);
    events_.set(zmq::sockopt::sndhwm, 10000);
    events_.bind(bind_to.events);
    replies_.bind(bind_to.replies);
    emit_.bind(bind_to.emit);
}

RelayEndpoints Relay::endpoints() const {
    auto& self = const_cast<Relay&>(*this);
    return {endpoint_of(self.events_), endpoint_of(self.replies_),
            endpoint_of(self.emit_)};
}

void Relay::run() {
    zmq::pollitem_t items[] = {{emit_.handle(), 0, ZMQ_POLLIN, 0},
                               {replies_.handle(), 0, ZMQ_POLLIN, 0},
                               {events_.handle(), 0, ZMQ_POLLIN, 0}};
    try {
        for (;;) {
            zmq::poll(items, 3, std::chrono::milliseconds(-1));
            if (items[0].revents & ZMQ_POLLIN) drain_emit();
            if (items[1].revents & ZMQ_POLLIN) drain_replies();
            if (items[2].revents & ZMQ_POLLIN) drain_subscriptions();
        }
    } catch (const zmq::error_t& e) {
        if (e.num() != ETERM) throw;
    }
}

void Relay::drain_emit() {
    while (emit_.recv(route_, zmq::recv_flags::dontwait)) {
        if (!route_.more() || !emit_.recv(delim_) || !delim_.more()) continue;
        (void)emit_.recv(body_);
        while (body_.more()) (void)emit_.recv(body_);
        on_emit(route_, body_);
    }
}

void Relay::drain_replies() {
    while (replies_.recv(route_, zmq::recv_flags::dontwait)) {
        if (!route_.more() || !replies_.recv(delim_) || !delim_.more()) continue;
        (void)replies_.recv(body_);
        if (!in_.parse(body_.to_string_view())) continue;
        auto op = in_.str("op");
        if (op == "reply")
            on_reply(route_, in_);
        else if (op == "hello")
            on_hello(route_, in_);
    }
}

void Relay::drain_subscriptions() {
    while (events_.recv(body_, zmq::recv_flags::dontwait)) {
        auto frame = body_.to_string_view();
        const auto prefix = wire::hook_token_prefix;
        if (frame.size() <= prefix.size() || frame.substr(1, prefix.size()) != prefix)
            continue;
        std::string instance(frame.substr(1 + prefix.size()));
        hooks_[instance].subscribed = frame[0] == 1;
        update_hook(instance);
    }
}

void Relay::on_emit(zmq::message_t& route, zmq::message_t& body) {
    if (!in_.parse(body.to_string_view())) return;
    auto name = in_.str("name");
    auto req = in_.uint("req");
    bool wait = in_.boolean("wait");
    auto now = wire::wall_now();
    out_.clear();
    if (wait && live_hooks_ == 0) {
        wire::result_no_hook(out_, req);
        send_to(emit_, route);
        return;
    }
    std::uint64_t seq = ++seqs_[std::string(name)];
    std::uint64_t serial = next_serial_++;
    char id[37];
    format_id(id, serial);
    publish(name, id, wait, in_.str("payload_json"), seq, now);
    if (wait) {
        auto& slot = pending_[serial % ring_size];
        slot.route = std::move(route);
        slot.req = req;
        slot.serial = serial;
        slot.active = true;
        return;
    }
    out_.clear();
    wire::ack(out_, req, id, seq, now);
    send_to(emit_, route);
}

void Relay::publish(std::string_view name, std::string_view id, bool wait,
                    std::string_view payload, std::uint64_t seq, wire::Stamp now) {
    std::optional<wire::Stamp> deadline;
    if (wait) deadline = wire::Stamp{now.seconds + 5, now.nanos};
    out_.clear();
    wire::event(out_, name, id, run_, seq, now, deadline, payload);
    (void)events_.send(zmq::const_buffer(out_.data(), out_.size()),
                       zmq::send_flags::dontwait);
}

void Relay::on_reply(zmq::message_t& route, const wire::Reader& msg) {
    auto id = msg.str("id");
    auto serial = parse_id(id);
    auto& slot = pending_[serial % ring_size];
    bool accepted = serial != 0 && slot.active && slot.serial == serial;
    if (accepted) {
        out_.clear();
        wire::result_replied(out_, slot.req, id, msg.str("hook"), msg.str("instance"),
                             msg.str("reply_json"));
        send_to(emit_, slot.route);
        slot.active = false;
    }
    out_.clear();
    wire::reply_ack(out_, id, accepted);
    send_to(replies_, route);
}

void Relay::on_hello(zmq::message_t& route, const wire::Reader& msg) {
    std::string instance(msg.str("instance"));
    auto& hook = hooks_[instance];
    hook.route.assign(static_cast<const char*>(route.data()), route.size());
    hook.hello = true;
    update_hook(instance);
}

void Relay::update_hook(const std::string& instance) {
    auto& hook = hooks_[instance];
    bool live = hook.hello && hook.subscribed;
    if (live == hook.live) return;
    hook.live = live;
    live_hooks_ += live ? 1 : -1;
    if (!live) return;
    out_.clear();
    wire::hello_ok(out_, instance, run_);
    zmq::message_t route(hook.route.data(), hook.route.size());
    send_to(replies_, route);
}

void Relay::send_to(zmq::socket_t& socket, zmq::message_t& route) {
    auto more = zmq::send_flags::sndmore | zmq::send_flags::dontwait;
    if (!socket.send(route, more)) return;
    (void)socket.send(zmq::const_buffer("", 0), more);
    (void)socket.send(zmq::const_buffer(out_.data(), out_.size()),
                      zmq::send_flags::dontwait);
}

}  // namespace bench
