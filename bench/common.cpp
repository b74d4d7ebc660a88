// Implementation of the shared helpers in common.hpp.
#include "common.hpp"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

namespace bench {

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string make_payload() {
    // Shaped like a tool-use hook event; padded to exactly 200 bytes.
    std::string text =
        R"({"seq":"0000000000","tool":"Write","session":"5f0c2a7e-9d41-4b8e-a3c6-1e2f)"
        R"(7b9d0c44","cwd":"/home/dev/project","path":"src/capture/merge.cpp",)"
        R"("bytes":1834,"pad":")";
    const std::size_t target = 200;
    text.append(target - text.size() - 2, 'x');
    text += "\"}";
    return text;
}

void stamp_seq(std::string& payload, std::uint64_t seq) {
    for (int i = 9; i >= 0; --i) {
        payload[seq_offset + i] = static_cast<char>('0' + seq % 10);
        seq /= 10;
    }
}

std::uint64_t read_seq(std::string_view payload) {
    if (payload.size() < seq_offset + 10) return 0;
    std::uint64_t seq = 0;
    for (std::size_t i = 0; i < 10; ++i) {
        char c = payload[seq_offset + i];
        if (c < '0' || c > '9') return 0;
        seq = seq * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return seq;
}

static double percentile_us(const std::vector<std::int64_t>& sorted, double p) {
    if (sorted.empty()) return 0;
    auto rank = static_cast<std::size_t>(std::ceil(p * sorted.size()));
    rank = std::clamp<std::size_t>(rank, 1, sorted.size());
    return sorted[rank - 1] / 1000.0;
}

Latency summarize(std::vector<std::int64_t>& samples) {
    std::sort(samples.begin(), samples.end());
    Latency out;
    out.count = samples.size();
    out.p50 = percentile_us(samples, 0.50);
    out.p99 = percentile_us(samples, 0.99);
    out.p999 = percentile_us(samples, 0.999);
    return out;
}

void write_samples(const std::string& path, const std::vector<std::int64_t>& samples) {
    std::ofstream out(path);
    if (!out) throw std::runtime_error("cannot write samples to " + path);
    out << "rtt_ns\n";
    for (auto ns : samples) out << ns << '\n';
}

std::vector<std::int64_t> read_samples(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::int64_t> out;
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line))
        if (!line.empty()) out.push_back(std::stoll(line));
    return out;
}

void report(std::string_view kind, const Fields& fields) {
    std::string line(kind);
    for (const auto& [key, value] : fields) line += " " + key + "=" + value;
    line += "\n";
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fflush(stdout);
}

std::pair<std::string, Fields> parse_report(std::string_view line) {
    std::istringstream in{std::string(line)};
    std::string kind, word;
    in >> kind;
    Fields fields;
    while (in >> word) {
        auto eq = word.find('=');
        if (eq != std::string::npos) fields[word.substr(0, eq)] = word.substr(eq + 1);
    }
    return {kind, fields};
}

std::string fmt(double value, int digits) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, value);
    return buf;
}

std::string end_payload(std::uint64_t last) {
    return "{\"last\":" + std::to_string(last) + "}";
}

std::uint64_t read_end_payload(std::string_view payload) {
    auto pos = payload.find("\"last\":");
    if (pos == std::string_view::npos) return 0;
    return std::strtoull(std::string(payload.substr(pos + 7)).c_str(), nullptr, 10);
}

void Tally::count(std::uint64_t seq) {
    auto now = Clock::now();
    if (received++ == 0) first = now;
    last = now;
    if (last_seq != 0 && seq > last_seq + 1) gaps += seq - last_seq - 1;
    last_seq = seq;
}

void Tally::print(std::uint64_t published) const {
    double span = std::chrono::duration<double>(last - first).count();
    double lost = published > received ? double(published - received) : 0.0;
    double lost_pct = published ? 100.0 * lost / published : 0.0;
    report("result", {{"phase", "sub"},
                      {"received", std::to_string(received)},
                      {"published", std::to_string(published)},
                      {"gaps", std::to_string(gaps)},
                      {"lost_pct", fmt(lost_pct, 3)},
                      {"rate", fmt(span > 0 ? received / span : 0, 0)}});
}

long rss_kib(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string key;
    while (in >> key) {
        if (key == "VmRSS:") {
            long kib = -1;
            in >> kib;
            return kib;
        }
        in.ignore(1 << 16, '\n');
    }
    return -1;
}

void pin_to_cpu(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0)
        throw std::runtime_error("sched_setaffinity failed");
}

void wait_for_go() {
    std::string line;
    std::getline(std::cin, line);
}

}  // namespace bench
