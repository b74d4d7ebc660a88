// Shared pieces of hookbus-bench: the clock, the payload every case sends, sample
// statistics, and the one-line "ready"/"result" reports that role processes print on
// stdout for the runner to read.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace bench {

using Clock = std::chrono::steady_clock;
using Nanos = std::chrono::nanoseconds;

/// Seconds since `start`, as a double.
double seconds_since(Clock::time_point start);

/// The ~200-byte JSON payload of every event. Bytes [seq_offset, seq_offset + 10)
/// hold a zero-padded sequence number that stamp_seq() rewrites in place.
std::string make_payload();
inline constexpr std::size_t seq_offset = 8;
void stamp_seq(std::string& payload, std::uint64_t seq);
/// Reads the number stamp_seq() wrote; 0 when the text is too short.
std::uint64_t read_seq(std::string_view payload);

/// The answer every hook or responder sends back.
inline constexpr std::string_view reply_json = R"({"abort":"","score":1})";

/// Percentiles of a set of round-trip samples, in microseconds.
struct Latency {
    double p50 = 0, p99 = 0, p999 = 0;
    std::size_t count = 0;
};
/// Sorts `samples` (nanoseconds) and reads its percentiles.
Latency summarize(std::vector<std::int64_t>& samples);
/// Writes one sample (nanoseconds) per line, with a header.
void write_samples(const std::string& path, const std::vector<std::int64_t>& samples);
/// Reads a file written by write_samples().
std::vector<std::int64_t> read_samples(const std::string& path);

/// key=value pairs of a report line.
using Fields = std::map<std::string, std::string>;
/// Prints "<kind> k=v k=v" on stdout and flushes it.
void report(std::string_view kind, const Fields& fields);
/// Splits "kind k=v k=v" into its kind and fields.
std::pair<std::string, Fields> parse_report(std::string_view line);
/// Formats a double with `digits` decimals.
std::string fmt(double value, int digits = 2);

/// The payload of the "end" event that closes a fire-and-forget phase: the number
/// of measured events published (their last sequence number).
std::string end_payload(std::uint64_t last);
/// Reads the number end_payload() wrote; 0 if absent.
std::uint64_t read_end_payload(std::string_view payload);

/// What one subscriber received in a fire-and-forget phase.
struct Tally {
    std::uint64_t received = 0, gaps = 0, last_seq = 0;
    Clock::time_point first, last;

    /// Counts one measured event with its sequence number.
    void count(std::uint64_t seq);
    /// Prints the result line, given how many events were published.
    void print(std::uint64_t published) const;
};

/// Resident set size of a process in KiB, from /proc/<pid>/status; -1 if unknown.
long rss_kib(int pid);
/// Pins the calling process (and what it execs) to CPU `cpu`.
void pin_to_cpu(int cpu);
/// Blocks until a line arrives on stdin (the runner's "go").
void wait_for_go();

}  // namespace bench
