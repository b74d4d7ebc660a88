// The Context every case runs in, and the baseline cases: ZeroMQ ping-pong, the
// relay (as its own process and embedded in the emitter), and NATS.
#include "cases.hpp"

#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

namespace bench {

Context::Context(const RunnerOptions& options, std::string mode, int run,
                 std::string tmpdir, std::string run_dir, std::vector<Measurement>& out)
    : options_(options),
      mode_(std::move(mode)),
      run_(run),
      tmpdir_(std::move(tmpdir)),
      run_dir_(std::move(run_dir)),
      out_(out) {}

void Context::record(const std::string& system, const std::string& transport,
                     const std::string& figure, double value) {
    out_.push_back({mode_, run_, system, transport, figure, value});
}

std::string Context::endpoint(const std::string& transport, bool concrete) {
    if (transport == "ipc") return "ipc://" + tmpdir_ + "/s" + std::to_string(++counter_);
    if (!concrete) return "tcp://127.0.0.1:*";
    return "tcp://127.0.0.1:" + std::to_string(free_tcp_port());
}

Child Context::role(const std::string& name, const std::vector<std::string>& args) {
    std::vector<std::string> argv{self_exe(), "role", name};
    argv.insert(argv.end(), args.begin(), args.end());
    return Child(argv, {pinned(), run_dir_ + "/processes.log"});
}

Child Context::program(std::vector<std::string> argv, bool read_stdout) {
    argv[0] = find_program(argv[0]);
    return Child(argv, {pinned(), run_dir_ + "/processes.log", !read_stdout});
}

std::vector<std::string> Context::timing() const {
    return {"--duration", std::to_string(options_.duration_s), "--warmup",
            std::to_string(options_.warmup_s)};
}

std::string Context::samples_path(const std::string& system,
                                  const std::string& transport) {
    return run_dir_ + "/" + system + "-" + transport + "-rtt.csv";
}

std::chrono::milliseconds Context::budget(int phases) const {
    double seconds = phases * (options_.duration_s + options_.warmup_s) * 2 + 30;
    return std::chrono::milliseconds(static_cast<long>(seconds * 1000));
}

std::vector<Fields> collect(Child& child, std::chrono::milliseconds timeout,
                            const std::string& what) {
    std::vector<Fields> results;
    auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                          Clock::now());
        auto line = child.read_line(left);
        if (!line) break;
        auto [kind, fields] = parse_report(*line);
        if (kind == "result") results.push_back(fields);
        if (kind == "done") return results;
    }
    if (results.empty()) throw std::runtime_error(what + ": no figures");
    return results;
}

void record_requests(Context& ctx, const std::string& system,
                     const std::string& transport, const std::vector<Fields>& results) {
    for (const auto& r : results) {
        auto phase = r.count("phase") ? r.at("phase") : "";
        if (phase == "rtt") {
            for (const char* p : {"p50", "p99", "p999"})
                ctx.record(system, transport, std::string("rtt_") + p,
                           std::stod(r.at(p)));
        } else if (phase == "pipe") {
            ctx.record(system, transport, "pipe", std::stod(r.at("rate")));
        }
    }
}

std::string find_program(const std::string& name) {
    if (name.find('/') != std::string::npos) return name;
    std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
    path += ":/usr/sbin:/sbin:/usr/local/sbin";
    std::size_t start = 0;
    while (start <= path.size()) {
        auto end = path.find(':', start);
        if (end == std::string::npos) end = path.size();
        auto candidate = path.substr(start, end - start) + "/" + name;
        if (access(candidate.c_str(), X_OK) == 0) return candidate;
        start = end + 1;
    }
    throw std::runtime_error(name + " not found; install it or pass its path");
}

}  // namespace bench
