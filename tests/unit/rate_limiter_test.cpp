// Unit tests of the warning rate limiter: a burst per window per id, then silence,
// then one count of what was suppressed.
#include "rate_limiter.hpp"

#include <gtest/gtest.h>

namespace hookbus::detail {
namespace {

using std::chrono::seconds;
const std::chrono::steady_clock::time_point t0{};

TEST(RateLimiter, AdmitsABurstThenSuppresses) {
    RateLimiter limiter(3, seconds(10));
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.admit("HB-BAD-MSG", t0).log);
    EXPECT_FALSE(limiter.admit("HB-BAD-MSG", t0 + seconds(9)).log);
}

TEST(RateLimiter, ReportsSuppressedCountInTheNextWindow) {
    RateLimiter limiter(1, seconds(10));
    limiter.admit("HB-BAD-MSG", t0);
    limiter.admit("HB-BAD-MSG", t0 + seconds(1));
    limiter.admit("HB-BAD-MSG", t0 + seconds(2));
    const auto next = limiter.admit("HB-BAD-MSG", t0 + seconds(10));
    EXPECT_TRUE(next.log);
    EXPECT_EQ(next.suppressed_before, 2u);
}

TEST(RateLimiter, KeepsIdsApart) {
    RateLimiter limiter(1, seconds(10));
    limiter.admit("HB-BAD-MSG", t0);
    EXPECT_FALSE(limiter.admit("HB-BAD-MSG", t0).log);
    EXPECT_TRUE(limiter.admit("HB-UNDELIVERABLE", t0).log);
}

}  // namespace
}  // namespace hookbus::detail
