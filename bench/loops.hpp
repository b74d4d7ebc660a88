// The measuring loops every request/reply client shares: warm up, then time a fixed
// interval, recording every round trip with one in flight, or counting completions
// with `depth` in flight.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common.hpp"
#include "roles.hpp"

namespace bench {

/// One request/reply client under test.
class RequestClient {
  public:
    virtual ~RequestClient() = default;
    /// Sends one request and blocks for its answer; false on failure or timeout.
    virtual bool round_trip() = 0;
    /// Sends one request without waiting.
    virtual void start() = 0;
    /// Blocks for the answer to any started request; false on timeout.
    virtual bool finish() = 0;
};

/// Round-trip samples in nanoseconds, one per request, after a warm-up.
std::vector<std::int64_t> measure_rtt(RequestClient& client, double warmup_s,
                                      double duration_s);
struct PipeResult {
    double rate = 0;          ///< completed round trips per second, measured part
    std::uint64_t total = 0;  ///< every completed round trip, warm-up included
};
/// Round trips with `depth` requests in flight.
PipeResult measure_pipelined(RequestClient& client, int depth, double warmup_s,
                             double duration_s);
/// Runs the phases named in options.phases and prints a result line for each.
void run_request_phases(RequestClient& client, const RoleOptions& options);

/// True when the comma-separated `list` contains `item`.
bool has_phase(const std::string& list, const std::string& item);

}  // namespace bench
