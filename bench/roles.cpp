// The table of roles `hookbus-bench role NAME` can run.
#include "roles.hpp"

namespace bench {

std::vector<RoleEntry> all_roles() {
    std::vector<RoleEntry> roles{
        {"pingpong-server", role_pingpong_server, "ROUTER that echoes every message"},
        {"pingpong-client", role_pingpong_client, "DEALER measuring the echo"},
        {"relay", role_relay, "the relay baseline broker"},
        {"raw-hook", role_raw_hook, "protocol hook without the library"},
        {"raw-emitter", role_raw_emitter, "protocol emitter without the library"},
        {"raw-publisher", role_raw_publisher, "fire-and-forget emits, windowed"},
        {"raw-subscriber", role_raw_subscriber, "counts events, infers loss"},
        {"memory-probe", role_memory_probe, "broker RSS with many pending waits"},
        {"nats-responder", role_nats_responder, "NATS request responder"},
        {"nats-requester", role_nats_requester, "NATS request client"},
        {"nats-publisher", role_nats_publisher, "NATS fire-and-forget publisher"},
        {"nats-subscriber", role_nats_subscriber, "NATS subscriber, counts events"},
    };
#ifdef HOOKBUS_BENCH_WITH_LIBRARY
    roles.push_back({"hb-hook", role_hb_hook, "hookbus::Hook that answers (or not)"});
    roles.push_back({"hb-emitter", role_hb_emitter, "hookbus::Emitter, broker optional"});
    roles.push_back({"hb-subscriber", role_hb_subscriber, "hookbus::Subscriber"});
#endif
    return roles;
}

}  // namespace bench
