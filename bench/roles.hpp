// The processes a benchmark case is made of. The runner starts each role as
// `hookbus-bench role NAME ...`; a role prints "ready k=v ..." once it can serve and
// "result k=v ..." lines with its figures, then "done".
#pragma once

#include <string>
#include <vector>

namespace bench {

/// Everything a role can be told on its command line.
struct RoleOptions {
    std::string events;   ///< events (XPUB) endpoint
    std::string replies;  ///< replies (ROUTER) endpoint
    std::string emit;     ///< emit (ROUTER) endpoint, or the ping-pong endpoint
    std::string url;      ///< nats://127.0.0.1:PORT
    std::string phases = "rtt,pipe";
    double duration_s = 3.0;
    double warmup_s = 0.5;
    int depth = 64;         ///< requests in flight in the pipelined phase
    int window = 256;       ///< unacknowledged fire-and-forget emits at most
    std::string samples;    ///< where the rtt phase writes its samples (CSV)
    bool wait_go = false;   ///< wait for a line on stdin before measuring
    int wait_hooks = 0;     ///< hookbus: wait until this many hooks are live
    bool embedded = false;  ///< run the broker (or relay) on a thread, emit over inproc
    bool silent = false;    ///< hook: never answer
    bool asap = false;      ///< nats: send every message at once (no write buffer)
    int pending = 100000;   ///< memory case: waits to hold open
    int timeout_ms = 5000;  ///< wait timeout the emitter asks for
    int cycles = 2;         ///< memory case: fill-and-expire rounds
    int broker_pid = 0;     ///< memory case: whose RSS to read (0: this process)
};

using RoleFn = int (*)(const RoleOptions&);

struct RoleEntry {
    const char* name;
    RoleFn run;
    const char* what;
};

/// Every role this build knows (hookbus roles only when built with the library).
std::vector<RoleEntry> all_roles();

// Plain ZeroMQ and the relay baseline (zmq_roles.cpp).
int role_pingpong_server(const RoleOptions&);
int role_pingpong_client(const RoleOptions&);
int role_relay(const RoleOptions&);
int role_raw_hook(const RoleOptions&);
int role_raw_emitter(const RoleOptions&);
int role_raw_publisher(const RoleOptions&);
int role_raw_subscriber(const RoleOptions&);

// Broker memory with many pending waits (memory_role.cpp).
int role_memory_probe(const RoleOptions&);

// NATS through libnats (nats_roles.cpp).
int role_nats_responder(const RoleOptions&);
int role_nats_requester(const RoleOptions&);
int role_nats_publisher(const RoleOptions&);
int role_nats_subscriber(const RoleOptions&);

// hookbus's own client library and embedded broker (hookbus_roles.cpp).
int role_hb_hook(const RoleOptions&);
int role_hb_emitter(const RoleOptions&);
int role_hb_subscriber(const RoleOptions&);

}  // namespace bench
