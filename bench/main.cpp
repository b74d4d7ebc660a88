// hookbus-bench: measures hookbus against the floor of its own design (a ZeroMQ
// ping-pong and a forwarding relay) and against NATS. `hookbus-bench all` runs every
// case and prints one table; `hookbus-bench role NAME` is how the runner starts each
// process of a case (it re-executes this binary).
#include <CLI/CLI.hpp>
#include <iostream>

#include "roles.hpp"
#include "runner.hpp"

namespace {

void add_role_options(CLI::App& cmd, bench::RoleOptions& o) {
    cmd.add_option("--events", o.events, "events (XPUB) endpoint");
    cmd.add_option("--replies", o.replies, "replies (ROUTER) endpoint");
    cmd.add_option("--emit", o.emit, "emit (ROUTER) or ping-pong endpoint");
    cmd.add_option("--url", o.url, "NATS server URL");
    cmd.add_option("--phases", o.phases, "comma-separated: rtt,pipe");
    cmd.add_option("--duration", o.duration_s, "measuring seconds per phase");
    cmd.add_option("--warmup", o.warmup_s, "warm-up seconds per phase");
    cmd.add_option("--depth", o.depth, "requests in flight when pipelined");
    cmd.add_option("--window", o.window, "unacknowledged fire-and-forget emits");
    cmd.add_option("--samples", o.samples, "CSV file for round-trip samples");
    cmd.add_flag("--wait-go", o.wait_go, "wait for a line on stdin before measuring");
    cmd.add_option("--wait-hooks", o.wait_hooks, "hookbus: live hooks to wait for");
    cmd.add_flag("--embedded", o.embedded, "broker or relay on a thread, inproc emit");
    cmd.add_flag("--silent", o.silent, "hook: never answer");
    cmd.add_flag("--asap", o.asap, "NATS: no write buffering");
    cmd.add_option("--pending", o.pending, "memory case: waits held open");
    cmd.add_option("--timeout-ms", o.timeout_ms, "wait timeout asked of the broker");
    cmd.add_option("--cycles", o.cycles, "memory case: fill-and-expire rounds");
    cmd.add_option("--broker-pid", o.broker_pid, "memory case: process to measure");
}

void add_runner_options(CLI::App& cmd, bench::RunnerOptions& o) {
    cmd.add_option("--duration", o.duration_s, "measuring seconds per phase");
    cmd.add_option("--warmup", o.warmup_s, "warm-up seconds per phase");
    cmd.add_option("--runs", o.runs, "runs per mode; figures are their median");
    cmd.add_option("--modes", o.modes, "pinned and/or unpinned")->delimiter(',');
    cmd.add_flag("--smoke", o.smoke,
                 "about a second per case, one run, unpinned unless --modes");
    cmd.add_option("--only", o.only, "run only cases whose name matches this regex");
    cmd.add_option("--results", o.results_dir, "directory for raw samples");
    cmd.add_option("--plot", o.plot_path, "PNG of the latency distributions");
    cmd.add_option("--hookbusd", o.hookbusd, "path of hookbusd");
    cmd.add_option("--hookbus", o.hookbus_cli, "path of the hookbus CLI");
    cmd.add_option("--nats-server", o.nats_server, "path of nats-server");
    cmd.add_option("--pending", o.pending, "waits held open in the memory case");
    cmd.add_option("--python", o.python, "interpreter for the Python client case");
    cmd.add_option("--node", o.node, "interpreter for the Node client cases");
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"hookbus-bench: hookbus against its baselines"};
    app.require_subcommand(1);

    bench::RunnerOptions runner;
    auto* all = app.add_subcommand("all", "run every case and print the table");
    add_runner_options(*all, runner);
    auto* list = app.add_subcommand("list", "list the cases and roles");

    bench::RoleOptions role;
    std::string role_name;
    auto* role_cmd = app.add_subcommand("role", "run one process of a case");
    role_cmd->add_option("name", role_name, "role name")->required();
    add_role_options(*role_cmd, role);

    CLI11_PARSE(app, argc, argv);
    runner.modes_given = all->count("--modes") > 0;
    try {
        if (*all) return bench::run_all(runner);
        if (*list) return bench::list_cases(runner);
        for (const auto& entry : bench::all_roles())
            if (role_name == entry.name) return entry.run(role);
        std::cerr << "unknown role '" << role_name << "'; see `hookbus-bench list`\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "hookbus-bench: " << e.what() << "\n";
        return 1;
    }
}
