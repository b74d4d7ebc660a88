// Hooks for the Python and Node client figures. Each runs a script from
// bench/clients/ against hookbusd (or, for NATS's Node client, nats-server) and reads
// the same "result" lines the C++ roles print. Until the binding or the script
// exists, the case reports itself skipped; it never fails the run for that.
//
// Script contract (see bench/README.md): arguments --emit ENDPOINT (or --url for
// NATS), --phases rtt,pipe, --duration S, --warmup S, --depth N, --samples FILE;
// prints "result phase=rtt p50=.. p99=.. p999=.. n=.." (microseconds),
// "result phase=pipe rate=..", then "done". A C++ hookbus::Hook answers event
// "bench" (NATS: a C responder answers subject "bench.req").
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "cases.hpp"

#ifndef HOOKBUS_BENCH_DIR
#define HOOKBUS_BENCH_DIR "bench"
#endif

namespace bench {

namespace {

namespace fs = std::filesystem;
using Args = std::vector<std::string>;

const fs::path bench_dir = HOOKBUS_BENCH_DIR;
const fs::path repo_dir = bench_dir.parent_path();

void require(const fs::path& path, const std::string& why) {
    if (!fs::exists(path)) throw Skipped(path.string() + " missing: " + why);
}

std::vector<std::string> script_args(Context& ctx, const std::string& system,
                                     const std::string& transport) {
    return ctx.timing() + Args{"--phases",  "rtt,pipe",
                               "--depth",   "64",
                               "--samples", ctx.samples_path(system, transport)};
}

void binding_client(Context& ctx, const std::string& system, const Args& interpreter,
                    const fs::path& binding, const fs::path& script) {
    require(binding, "the " + system + " binding is not built yet");
    require(script, "no benchmark script for the " + system + " client yet");
    with_daemon_and_hook(ctx, "ipc", [&](const std::string& emit) {
        auto client = ctx.program(interpreter + Args{script.string(), "--emit", emit} +
                                      script_args(ctx, system, "ipc"),
                                  true);
        record_requests(ctx, system, "ipc", collect(client, ctx.budget(2), system));
    });
}

void python_client(Context& ctx) {
    auto check = ctx.options().python + " -c 'import zmq, msgpack' 2>/dev/null";
    if (std::system(check.c_str()) != 0)
        throw Skipped(ctx.options().python +
                      " lacks pyzmq or msgpack "
                      "(apt-get install python3-zmq python3-msgpack)");
    binding_client(ctx, "python", {ctx.options().python},
                   repo_dir / "bindings/python/src/hookbus",
                   bench_dir / "clients/python_client.py");
}

void node_client(Context& ctx) {
    require(repo_dir / "bindings/node/node_modules/zeromq",
            "run `npm ci` in bindings/node");
    binding_client(ctx, "node", {ctx.options().node}, repo_dir / "bindings/node/src",
                   bench_dir / "clients/node_client.mjs");
}

void nats_node_client(Context& ctx) {
    auto script = bench_dir / "clients/nats_node_client.mjs";
    require(bench_dir / "clients/node_modules/nats", "run `npm ci` in bench/clients");
    require(script, "no NATS Node benchmark script yet");
    nats_requests_with(ctx, "nats-node", [&](const Args& common, const std::string& ph) {
        return ctx.program(Args{ctx.options().node, script.string()} + common +
                               ctx.timing() +
                               Args{"--phases", ph, "--depth", "64", "--samples",
                                    ctx.samples_path("nats-node", "tcp")},
                           true);
    });
}

}  // namespace

std::vector<Case> client_cases() {
    return {{"python/ipc", python_client},
            {"node/ipc", node_client},
            {"nats-node/tcp", nats_node_client}};
}

}  // namespace bench
