// The hookbus cases: hookbusd with raw protocol clients (the broker alone) and with
// the C++ client library, the broker embedded in the emitter's process, fan-out, the
// broker's memory with many pending waits, a spawned-command hook, and the hooks for
// the Python and Node clients (which run only once those bindings exist).
#include <filesystem>
#include <stdexcept>
#include <zmq.hpp>

#include "cases.hpp"
#include "wire.hpp"

#ifndef HOOKBUSD_PATH
#define HOOKBUSD_PATH "hookbusd"
#endif
#ifndef HOOKBUS_CLI_PATH
#define HOOKBUS_CLI_PATH "hookbus"
#endif

namespace bench {

namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Args = std::vector<std::string>;

struct Daemon {
    Child child;
    std::string events, replies, emit;
};

// True once the broker answers a stats request on `emit`.
bool broker_answers(const std::string& emit, milliseconds timeout) {
    zmq::context_t zctx;
    zmq::socket_t probe(zctx, zmq::socket_type::dealer);
    probe.set(zmq::sockopt::linger, 0);
    probe.connect(emit);
    wire::Writer out;
    wire::stats(out, 1);
    zmq::message_t reply;
    auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
        (void)probe.send(zmq::const_buffer("", 0), zmq::send_flags::sndmore);
        (void)probe.send(zmq::const_buffer(out.data(), out.size()));
        zmq::pollitem_t item{probe.handle(), 0, ZMQ_POLLIN, 0};
        if (zmq::poll(&item, 1, milliseconds(200)) > 0) return true;
    }
    return false;
}

Daemon start_hookbusd(Context& ctx, const std::string& transport,
                      const Args& extra = {}) {
    Daemon d;
    d.events = ctx.endpoint(transport, true);
    d.replies = ctx.endpoint(transport, true);
    d.emit = ctx.endpoint(transport, true);
    auto path = ctx.options().hookbusd.empty() ? HOOKBUSD_PATH : ctx.options().hookbusd;
    // The bench measures plain tcp; hookbusd binds tcp without CURVE only when told.
    const Args plain_tcp = transport == "ipc" ? Args{} : Args{"--insecure"};
    d.child = ctx.program(Args{path, "--events", d.events, "--replies", d.replies,
                               "--emit", d.emit, "--log-level", "warning"} +
                          plain_tcp + extra);
    if (!broker_answers(d.emit, milliseconds(10000)))
        throw std::runtime_error("hookbusd did not answer on " + d.emit);
    return d;
}

Child start_hook(Context& ctx, const std::string& role, const std::string& events,
                 const std::string& replies, const Args& extra = {}) {
    auto hook = ctx.role(role, Args{"--events", events, "--replies", replies} + extra);
    hook.expect("ready", seconds(20), role);
    return hook;
}

// `library`: hookbus::Emitter and hookbus::Hook; else the raw protocol clients that
// the relay baseline uses, so that only the broker differs from the relay.
void daemon_requests(Context& ctx, const std::string& transport, bool library) {
    std::string system = library ? "hookbusd" : "hookbusd-raw";
    auto d = start_hookbusd(ctx, transport);
    auto hook = start_hook(ctx, library ? "hb-hook" : "raw-hook", d.events, d.replies);
    auto emitter = ctx.role(library ? "hb-emitter" : "raw-emitter",
                            ctx.timing() + Args{"--emit", d.emit, "--samples",
                                                ctx.samples_path(system, transport)});
    record_requests(ctx, system, transport, collect(emitter, ctx.budget(2), system));
}

void embedded_requests(Context& ctx, const std::string& transport) {
    const std::string system = "hookbus-embedded";
    auto emitter =
        ctx.role("hb-emitter", ctx.timing() + Args{"--embedded", "--wait-go", "--events",
                                                   ctx.endpoint(transport), "--replies",
                                                   ctx.endpoint(transport), "--samples",
                                                   ctx.samples_path(system, transport)});
    auto bound = emitter.expect("ready", seconds(10), "embedded broker");
    auto hook = start_hook(ctx, "hb-hook", bound["events"], bound["replies"]);
    emitter.send_line("go");
    record_requests(ctx, system, transport, collect(emitter, ctx.budget(2), system));
}

// The publisher is the raw one in both variants: hookbus::Emitter::emit waits for
// each ack, which would measure one round trip per event instead of the broker.
void daemon_fanout(Context& ctx, const std::string& transport, int subs, bool library) {
    auto d = start_hookbusd(ctx, transport);
    run_fanout(ctx, library ? "hookbusd" : "hookbusd-raw", transport, subs,
               {library ? "hb-subscriber" : "raw-subscriber",
                {"--events", d.events},
                "raw-publisher",
                {"--emit", d.emit}});
}

void memory(Context& ctx) {
    const auto& o = ctx.options();
    int timeout_ms = o.smoke ? 3000 : 15000;
    int cycles = o.smoke ? 1 : 3;
    auto d = start_hookbusd(
        ctx, "ipc",
        {"--max-pending", std::to_string(2 * o.pending), "--max-timeout", "10m",
         "--max-owed", "0"});
    auto hook = start_hook(ctx, "hb-hook", d.events, d.replies, {"--silent"});
    auto probe = ctx.role(
        "memory-probe", {"--emit", d.emit, "--broker-pid", std::to_string(d.child.pid()),
                         "--pending", std::to_string(o.pending), "--timeout-ms",
                         std::to_string(timeout_ms), "--cycles", std::to_string(cycles)});
    auto budget = milliseconds(cycles * (2 * timeout_ms + 60000));
    auto results = collect(probe, budget, "memory");
    for (const char* figure : {"idle", "pending", "after", "drift"})
        ctx.record("hookbusd", "ipc", std::string("mem_") + figure,
                   std::stod(results.at(0).at(figure)));
}

void spawned_hook(Context& ctx) {
    auto d = start_hookbusd(ctx, "ipc");
    auto cli =
        ctx.options().hookbus_cli.empty() ? HOOKBUS_CLI_PATH : ctx.options().hookbus_cli;
    auto hook = ctx.program({cli, "--events", d.events, "--replies", d.replies, "--emit",
                             d.emit, "hook", "bench", "--name", "spawned", "--",
                             "/bin/sh", "-c", "echo '{}'"});
    auto emitter = ctx.role(
        "hb-emitter",
        ctx.timing() + Args{"--emit", d.emit, "--phases", "rtt", "--wait-hooks", "1",
                            "--samples", ctx.samples_path("hookbusd-spawned", "ipc")});
    record_requests(ctx, "hookbusd-spawned", "ipc",
                    collect(emitter, ctx.budget(1), "spawned hook emitter"));
}

}  // namespace

void with_daemon_and_hook(Context& ctx, const std::string& transport,
                          const std::function<void(const std::string& emit)>& client) {
    auto d = start_hookbusd(ctx, transport);
    auto hook = start_hook(ctx, "hb-hook", d.events, d.replies);
    client(d.emit);
}

std::vector<Case> hookbus_request_cases(const std::string& t) {
    return {{"hookbusd-raw/" + t, [t](Context& c) { daemon_requests(c, t, false); }},
            {"hookbusd/" + t, [t](Context& c) { daemon_requests(c, t, true); }},
            {"hookbus-embedded/" + t, [t](Context& c) { embedded_requests(c, t); }}};
}

std::vector<Case> hookbus_fanout_cases(const std::string& t) {
    std::vector<Case> cases;
    for (int subs : {1, 4}) {
        auto n = "/ff" + std::to_string(subs);
        cases.push_back({"hookbusd-raw/" + t + n,
                         [t, subs](Context& c) { daemon_fanout(c, t, subs, false); }});
        cases.push_back({"hookbusd/" + t + n,
                         [t, subs](Context& c) { daemon_fanout(c, t, subs, true); }});
    }
    return cases;
}

std::vector<Case> hookbus_resource_cases() {
    return {{"hookbusd/ipc/memory", memory}, {"hookbusd-spawned/ipc", spawned_hook}};
}

}  // namespace bench
