// Roles built on plain ZeroMQ and the benchmark's own envelope code: the 2-hop
// DEALER/ROUTER ping-pong, the relay baseline, and raw protocol clients (hook,
// emitter, publisher, subscriber) that speak docs/protocol.md to the relay and to
// hookbusd alike, so that the broker is the only thing that differs.
#include <unistd.h>

#include <memory>
#include <stdexcept>
#include <thread>
#include <zmq.hpp>

#include "common.hpp"
#include "loops.hpp"
#include "relay.hpp"
#include "roles.hpp"
#include "wire.hpp"

namespace bench {

namespace {

constexpr auto send_more = zmq::send_flags::sndmore;
constexpr const char* inproc_emit = "inproc://hookbus-bench-emit";

bool recv_within(zmq::socket_t& socket, zmq::message_t& msg, int timeout_ms) {
    zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, std::chrono::milliseconds(timeout_ms)) == 0) return false;
    return socket.recv(msg, zmq::recv_flags::dontwait).has_value();
}

// Receives [empty, body] from a DEALER; false on timeout or a malformed message.
bool recv_body(zmq::socket_t& socket, zmq::message_t& delim, zmq::message_t& body,
               int timeout_ms) {
    if (!recv_within(socket, delim, timeout_ms) || !delim.more()) return false;
    (void)socket.recv(body);
    return true;
}

// A DEALER that sends one fixed body per request. The body is a template message
// copied by reference count, so a send allocates nothing in this code.
class DealerClient : public RequestClient {
  public:
    DealerClient(zmq::context_t& ctx, const std::string& endpoint, std::string_view body,
                 bool check_result)
        : socket_(ctx, zmq::socket_type::dealer),
          template_(body.data(), body.size()),
          check_(check_result) {
        socket_.connect(endpoint);
    }
    bool round_trip() override {
        start();
        return finish();
    }
    void start() override {
        (void)socket_.send(zmq::const_buffer("", 0), send_more);
        out_.copy(template_);
        (void)socket_.send(out_, zmq::send_flags::none);
    }
    bool finish() override {
        if (!recv_body(socket_, delim_, in_, 5000)) return false;
        if (!check_) return true;
        return reader_.parse(in_.to_string_view()) && reader_.str("outcome") == "replied";
    }

  private:
    zmq::socket_t socket_;
    zmq::message_t template_, out_, delim_, in_;
    wire::Reader reader_;
    bool check_;
};

std::string emit_body(std::string_view name, bool wait, int timeout_ms) {
    wire::Writer w;
    wire::emit(w, 0, name, make_payload(), wait, static_cast<std::uint32_t>(timeout_ms));
    return std::string(w.data(), w.size());
}

// Runs the relay on a thread of this process, its emit socket on inproc.
struct EmbeddedRelay {
    EmbeddedRelay(zmq::context_t& ctx, const RoleOptions& options)
        : relay(ctx, {options.events, options.replies, inproc_emit}),
          thread([this] { relay.run(); }) {}
    Relay relay;
    std::thread thread;
};

}  // namespace

int role_pingpong_server(const RoleOptions& options) {
    zmq::context_t ctx;
    zmq::socket_t socket(ctx, zmq::socket_type::router);
    socket.bind(options.emit);
    report("ready", {{"emit", socket.get(zmq::sockopt::last_endpoint)}});
    zmq::message_t route, delim, body;
    for (;;) {
        (void)socket.recv(route);
        (void)socket.recv(delim);
        (void)socket.recv(body);
        (void)socket.send(route, send_more);
        (void)socket.send(delim, send_more);
        (void)socket.send(body, zmq::send_flags::none);
    }
}

int role_pingpong_client(const RoleOptions& options) {
    zmq::context_t ctx;
    DealerClient client(ctx, options.emit, make_payload(), false);
    run_request_phases(client, options);
    report("done", {});
    return 0;
}

int role_relay(const RoleOptions& options) {
    zmq::context_t ctx;
    Relay relay(ctx, {options.events, options.replies, options.emit});
    auto bound = relay.endpoints();
    report("ready",
           {{"events", bound.events}, {"replies", bound.replies}, {"emit", bound.emit}});
    relay.run();
    return 0;
}

int role_raw_emitter(const RoleOptions& options) {
    zmq::context_t ctx;
    std::unique_ptr<EmbeddedRelay> embedded;
    std::string endpoint = options.emit;
    if (options.embedded) {
        embedded = std::make_unique<EmbeddedRelay>(ctx, options);
        auto bound = embedded->relay.endpoints();
        report("ready", {{"events", bound.events}, {"replies", bound.replies}});
        endpoint = inproc_emit;
    }
    if (options.wait_go) wait_for_go();
    {
        DealerClient client(ctx, endpoint, emit_body("bench", true, options.timeout_ms),
                            true);
        run_request_phases(client, options);
    }
    report("done", {});
    if (embedded) {
        ctx.shutdown();
        embedded->thread.join();
    }
    return 0;
}

int role_raw_hook(const RoleOptions& options) {
    zmq::context_t ctx;
    zmq::socket_t events(ctx, zmq::socket_type::sub);
    zmq::socket_t replies(ctx, zmq::socket_type::dealer);
    std::string instance = "raw-" + std::to_string(getpid());
    events.set(zmq::sockopt::subscribe, std::string("bench\0", 6));
    events.set(zmq::sockopt::subscribe, std::string(wire::hook_token_prefix) + instance);
    events.connect(options.events);
    replies.connect(options.replies);

    wire::Writer out;
    wire::hello(out, instance, "raw-hook", "bench");
    (void)replies.send(zmq::const_buffer("", 0), send_more);
    (void)replies.send(zmq::const_buffer(out.data(), out.size()));
    zmq::message_t delim, body, frame;
    if (!recv_body(replies, delim, body, 10000))
        throw std::runtime_error("raw hook: no hello_ok");
    report("ready", {{"instance", instance}});

    // Acks are read as they come instead of after each reply, so this hook keeps
    // many answers in flight: the floor of the design, not of one client API.
    wire::Reader reader;
    std::string_view topic, event_body;
    zmq::pollitem_t items[] = {{events.handle(), 0, ZMQ_POLLIN, 0},
                               {replies.handle(), 0, ZMQ_POLLIN, 0}};
    for (;;) {
        zmq::poll(items, 2, std::chrono::milliseconds(-1));
        while (replies.recv(delim, zmq::recv_flags::dontwait)) (void)replies.recv(body);
        while (events.recv(frame, zmq::recv_flags::dontwait)) {
            if (options.silent ||
                !wire::split_frame(frame.to_string_view(), topic, event_body) ||
                !reader.parse(event_body))
                continue;
            out.clear();
            wire::reply(out, reader.str("id"), "raw-hook", instance, reply_json);
            (void)replies.send(zmq::const_buffer("", 0), send_more);
            (void)replies.send(zmq::const_buffer(out.data(), out.size()));
        }
    }
}

}  // namespace bench
