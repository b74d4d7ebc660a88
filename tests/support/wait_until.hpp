// Waiting for a condition in tests without betting on a sleep: poll a predicate until
// it holds or a generous timeout passes, and let the assertion report which.
#pragma once

#include <chrono>
#include <thread>

namespace hookbus::testing {

/// Polls `condition` every few milliseconds; true as soon as it holds, false when
/// `timeout` passes first.
template <class Condition>
bool wait_until(Condition condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto give_up = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
        if (std::chrono::steady_clock::now() >= give_up) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
}

}  // namespace hookbus::testing
