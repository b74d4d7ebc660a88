// The baseline cases: the 2-hop ZeroMQ ping-pong, the relay (its own process, and
// embedded in the emitter's process), NATS request-reply and publish; and the order
// in which every case runs.
#include <stdexcept>

#include "cases.hpp"

namespace bench {

namespace {

using std::chrono::seconds;

const std::string pingpong_name = "zmq-pingpong";

void pingpong(Context& ctx, const std::string& transport) {
    auto server = ctx.role("pingpong-server", {"--emit", ctx.endpoint(transport)});
    auto bound = server.expect("ready", seconds(10), "ping-pong server");
    auto client =
        ctx.role("pingpong-client",
                 ctx.timing() + std::vector<std::string>{
                                    "--emit", bound["emit"], "--samples",
                                    ctx.samples_path(pingpong_name, transport)});
    record_requests(ctx, pingpong_name, transport,
                    collect(client, ctx.budget(2), "ping-pong client"));
}

Child start_relay(Context& ctx, const std::string& transport, Fields& bound) {
    auto relay =
        ctx.role("relay", {"--events", ctx.endpoint(transport), "--replies",
                           ctx.endpoint(transport), "--emit", ctx.endpoint(transport)});
    bound = relay.expect("ready", seconds(10), "relay");
    return relay;
}

Child start_raw_hook(Context& ctx, Fields& bound) {
    auto hook = ctx.role("raw-hook",
                         {"--events", bound["events"], "--replies", bound["replies"]});
    hook.expect("ready", seconds(15), "raw hook");
    return hook;
}

void relay(Context& ctx, const std::string& transport) {
    Fields bound;
    auto relay = start_relay(ctx, transport, bound);
    auto hook = start_raw_hook(ctx, bound);
    auto emitter = ctx.role(
        "raw-emitter",
        ctx.timing() + std::vector<std::string>{"--emit", bound["emit"], "--samples",
                                                ctx.samples_path("relay", transport)});
    record_requests(ctx, "relay", transport,
                    collect(emitter, ctx.budget(2), "relay emitter"));
}

void relay_embedded(Context& ctx, const std::string& transport) {
    const std::string system = "relay-embedded";
    auto emitter = ctx.role(
        "raw-emitter",
        ctx.timing() + std::vector<std::string>{"--embedded", "--wait-go", "--events",
                                                ctx.endpoint(transport), "--replies",
                                                ctx.endpoint(transport), "--samples",
                                                ctx.samples_path(system, transport)});
    auto bound = emitter.expect("ready", seconds(10), "embedded relay");
    auto hook = start_raw_hook(ctx, bound);
    emitter.send_line("go");
    record_requests(ctx, system, transport,
                    collect(emitter, ctx.budget(2), "embedded relay emitter"));
}

void relay_fanout(Context& ctx, const std::string& transport, int subs) {
    Fields bound;
    auto relay = start_relay(ctx, transport, bound);
    run_fanout(ctx, "relay", transport, subs,
               {"raw-subscriber",
                {"--events", bound["events"]},
                "raw-publisher",
                {"--emit", bound["emit"]}});
}

Child start_nats(Context& ctx, std::string& url) {
    int port = free_tcp_port();
    auto server = ctx.program(
        {ctx.options().nats_server, "-a", "127.0.0.1", "-p", std::to_string(port)});
    if (!wait_tcp_port(port, std::chrono::milliseconds(10000)))
        throw std::runtime_error("nats-server did not start");
    url = "nats://127.0.0.1:" + std::to_string(port);
    return server;
}

}  // namespace

// Each phase gets its own pair: one request in flight is fastest with the write
// buffer off (--asap), many in flight with it on, which is NATS's default.
void nats_requests_with(Context& ctx, const std::string& system,
                        const std::function<Child(const std::vector<std::string>& common,
                                                  const std::string& phase)>& client) {
    std::string url;
    auto server = start_nats(ctx, url);
    for (const std::string phase : {"rtt", "pipe"}) {
        std::vector<std::string> common{"--url", url};
        if (phase == "rtt") common.push_back("--asap");
        auto responder = ctx.role("nats-responder", common);
        responder.expect("ready", seconds(10), "nats responder");
        auto requester = client(common, phase);
        record_requests(ctx, system, "tcp", collect(requester, ctx.budget(1), system));
    }
}

namespace {

void nats_requests(Context& ctx) {
    nats_requests_with(
        ctx, "nats",
        [&ctx](const std::vector<std::string>& common, const std::string& phase) {
            return ctx.role("nats-requester", ctx.timing() + common +
                                                  std::vector<std::string>{
                                                      "--phases", phase, "--samples",
                                                      ctx.samples_path("nats", "tcp")});
        });
}

void nats_fanout(Context& ctx, int subs) {
    std::string url;
    auto server = start_nats(ctx, url);
    run_fanout(ctx, "nats", "tcp", subs,
               {"nats-subscriber", {"--url", url}, "nats-publisher", {"--url", url}});
}

}  // namespace

std::vector<std::string> operator+(std::vector<std::string> args,
                                   const std::vector<std::string>& more) {
    args.insert(args.end(), more.begin(), more.end());
    return args;
}

void run_fanout(Context& ctx, const std::string& system, const std::string& transport,
                int subs, const FanoutRoles& roles) {
    std::vector<Child> readers;
    for (int i = 0; i < subs; ++i) {
        readers.push_back(ctx.role(roles.sub_role, roles.sub_args));
        readers.back().expect("ready", seconds(15), roles.sub_role);
    }
    auto pub = ctx.role(roles.pub_role, ctx.timing() + roles.pub_args);
    auto sent = collect(pub, ctx.budget(1), roles.pub_role);

    double rate = 0, loss = 0;
    for (auto& reader : readers) {
        auto result = collect(reader, std::chrono::milliseconds(30000), roles.sub_role);
        rate += std::stod(result.at(0).at("rate"));
        loss += std::stod(result.at(0).at("lost_pct"));
    }
    auto n = std::to_string(subs);
    ctx.record(system, transport, "ff" + n, rate / subs);
    ctx.record(system, transport, "ff" + n + "_loss", loss / subs);
    ctx.record(system, transport, "ff" + n + "_sent", std::stod(sent.at(0).at("rate")));
}

std::vector<Case> all_cases() {
    std::vector<Case> cases;
    auto add = [&](std::vector<Case> more) {
        for (auto& c : more) cases.push_back(std::move(c));
    };
    for (const std::string t : {"ipc", "tcp"}) {
        cases.push_back({pingpong_name + "/" + t, [t](Context& c) { pingpong(c, t); }});
        cases.push_back({"relay/" + t, [t](Context& c) { relay(c, t); }});
        add(hookbus_request_cases(t));
        cases.push_back(
            {"relay-embedded/" + t, [t](Context& c) { relay_embedded(c, t); }});
    }
    cases.push_back({"nats/tcp", nats_requests});
    for (const std::string t : {"ipc", "tcp"}) {
        for (int subs : {1, 4}) {
            cases.push_back({"relay/" + t + "/ff" + std::to_string(subs),
                             [t, subs](Context& c) { relay_fanout(c, t, subs); }});
        }
        add(hookbus_fanout_cases(t));
    }
    for (int subs : {1, 4})
        cases.push_back({"nats/tcp/ff" + std::to_string(subs),
                         [subs](Context& c) { nats_fanout(c, subs); }});
    add(hookbus_resource_cases());
    add(client_cases());
    return cases;
}

}  // namespace bench
