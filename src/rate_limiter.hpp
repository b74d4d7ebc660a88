// Keeps warning logs from flooding: per log id, at most a burst of records per window;
// the rest are counted, and the first record let through after a quiet window carries
// how many were suppressed. Time comes in as an explicit `now`.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace hookbus::detail {

/// Whether to log one record, and how many of its id were dropped before it.
struct RateDecision {
    bool log = false;
    std::uint64_t suppressed_before = 0;
};

/// A fixed-window limiter keyed by log id.
class RateLimiter {
  public:
    RateLimiter(std::size_t burst, std::chrono::steady_clock::duration window)
        : burst_(burst), window_(window) {}

    /// Call once per record that would be logged.
    RateDecision admit(std::string_view id, std::chrono::steady_clock::time_point now);

  private:
    struct Window {
        std::chrono::steady_clock::time_point start;
        std::size_t logged = 0;
        std::uint64_t suppressed = 0;
    };

    std::size_t burst_;
    std::chrono::steady_clock::duration window_;
    std::unordered_map<std::string, Window> windows_;
};

}  // namespace hookbus::detail
