// The runner behind `hookbus-bench all`: starts each case's processes (pinned to one
// CPU or not), collects their figures over several runs, and prints one markdown
// table of medians with every figure's ratio to its same-run baseline.
#pragma once

#include <string>
#include <vector>

namespace bench {

struct RunnerOptions {
    double duration_s = 3.0;
    double warmup_s = 0.5;
    int runs = 3;
    std::vector<std::string> modes{"pinned", "unpinned"};
    bool modes_given = false;  ///< --modes was on the command line
    bool smoke = false;
    std::string only;
    std::string results_dir;  ///< default: bench/results in the source tree
    std::string plot_path;    ///< default: docs/benchmarks-latency.png
    std::string hookbusd;     ///< default: the hookbusd of this build tree
    std::string hookbus_cli;  ///< default: the hookbus CLI of this build tree
    std::string nats_server = "nats-server";
    int pending = 100000;
    std::string python = "/usr/bin/python3";  ///< Debian's, where python3-zmq is
    std::string node = "node";
};

/// Runs every selected case; returns non-zero when a case produced no figures.
int run_all(RunnerOptions options);
/// Prints the case names (for --only) and the roles.
int list_cases(const RunnerOptions& options);

}  // namespace bench
