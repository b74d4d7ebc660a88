// Fixed-window rate limiting of log records. See rate_limiter.hpp.
#include "rate_limiter.hpp"

namespace hookbus::detail {

RateDecision RateLimiter::admit(std::string_view id,
                                std::chrono::steady_clock::time_point now) {
    auto [it, fresh] = windows_.try_emplace(std::string(id));
    Window& window = it->second;
    RateDecision decision;
    if (fresh || now - window.start >= window_) {
        decision.suppressed_before = window.suppressed;
        window = Window{now, 0, 0};
    }
    if (window.logged >= burst_) {
        ++window.suppressed;
        return decision;
    }
    ++window.logged;
    decision.log = true;
    return decision;
}

}  // namespace hookbus::detail
