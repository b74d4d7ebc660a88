// Implementation of the shared measuring loops.
#include "loops.hpp"

#include <sstream>
#include <stdexcept>

namespace bench {

std::vector<std::int64_t> measure_rtt(RequestClient& client, double warmup_s,
                                      double duration_s) {
    auto start = Clock::now();
    while (seconds_since(start) < warmup_s)
        if (!client.round_trip()) throw std::runtime_error("warm-up round trip failed");

    std::vector<std::int64_t> samples;
    samples.reserve(1 << 20);
    auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(duration_s));
    for (;;) {
        auto t0 = Clock::now();
        if (t0 >= end) break;
        if (!client.round_trip()) throw std::runtime_error("round trip failed");
        samples.push_back((Clock::now() - t0).count());
    }
    return samples;
}

PipeResult measure_pipelined(RequestClient& client, int depth, double warmup_s,
                             double duration_s) {
    PipeResult result;
    for (int i = 0; i < depth; ++i) client.start();
    auto keep_full = [&](double seconds) {
        std::uint64_t done = 0;
        auto start = Clock::now();
        while (seconds_since(start) < seconds) {
            if (!client.finish()) throw std::runtime_error("pipelined request lost");
            ++done;
            client.start();
        }
        result.total += done;
        return done / seconds_since(start);
    };
    keep_full(warmup_s);
    result.rate = keep_full(duration_s);
    for (int i = 0; i < depth; ++i)
        if (!client.finish()) throw std::runtime_error("pipelined drain failed");
    result.total += static_cast<std::uint64_t>(depth);
    return result;
}

bool has_phase(const std::string& list, const std::string& item) {
    std::istringstream in(list);
    std::string word;
    while (std::getline(in, word, ','))
        if (word == item) return true;
    return false;
}

void run_request_phases(RequestClient& client, const RoleOptions& options) {
    if (has_phase(options.phases, "rtt")) {
        auto samples = measure_rtt(client, options.warmup_s, options.duration_s);
        // Written in arrival order, before summarize() sorts them.
        if (!options.samples.empty()) write_samples(options.samples, samples);
        auto lat = summarize(samples);
        report("result", {{"phase", "rtt"},
                          {"p50", fmt(lat.p50)},
                          {"p99", fmt(lat.p99)},
                          {"p999", fmt(lat.p999)},
                          {"n", std::to_string(lat.count)}});
    }
    if (has_phase(options.phases, "pipe")) {
        auto pipe = measure_pipelined(client, options.depth, options.warmup_s,
                                      options.duration_s);
        report("result", {{"phase", "pipe"},
                          {"rate", fmt(pipe.rate, 0)},
                          {"n", std::to_string(pipe.total)}});
    }
}

}  // namespace bench
