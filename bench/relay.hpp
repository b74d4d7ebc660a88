// The relay baseline: hookbus's socket shape (emit ROUTER, events XPUB, replies
// ROUTER) and msgpack envelope, with nothing beyond forwarding. An emit becomes an
// event; the first reply to it goes back to the emitter. No validation, no timeouts,
// no stats: the floor any broker of this design stands on.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>
#include <zmq.hpp>

#include "wire.hpp"

namespace bench {

struct RelayEndpoints {
    std::string events, replies, emit;
};

class Relay {
  public:
    /// Binds the three sockets in `context`; throws zmq::error_t on failure.
    Relay(zmq::context_t& context, const RelayEndpoints& bind_to);
    /// The bound endpoints, ephemeral tcp ports resolved.
    RelayEndpoints endpoints() const;
    /// Serves until the context is shut down.
    void run();

  private:
    struct Pending {
        zmq::message_t route;
        std::uint64_t req = 0;
        std::uint64_t serial = 0;
        bool active = false;
    };
    struct HookState {
        std::string route;
        bool hello = false, subscribed = false, live = false;
    };

    void drain_emit();
    void drain_replies();
    void drain_subscriptions();
    void on_emit(zmq::message_t& route, zmq::message_t& body);
    void on_reply(zmq::message_t& route, const wire::Reader& msg);
    void on_hello(zmq::message_t& route, const wire::Reader& msg);
    void update_hook(const std::string& instance);
    void publish(std::string_view name, std::string_view id, bool wait,
                 std::string_view payload, std::uint64_t seq, wire::Stamp now);
    void send_to(zmq::socket_t& socket, zmq::message_t& route);

    zmq::socket_t emit_, replies_, events_;
    wire::Writer out_;
    wire::Reader in_;
    zmq::message_t route_, delim_, body_;
    std::vector<Pending> pending_;
    std::uint64_t next_serial_ = 1;
    std::unordered_map<std::string, std::uint64_t> seqs_;
    std::unordered_map<std::string, HookState> hooks_;
    int live_hooks_ = 0;
    std::uint64_t run_ = 0;
};

}  // namespace bench
