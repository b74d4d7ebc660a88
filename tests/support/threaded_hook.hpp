// A hookbus::Hook served on a thread of its own, for tests whose main thread blocks in
// an emitter: it answers each event with whatever a callback returns, and counts the
// broker restarts it was told about.
#pragma once

#include <atomic>
#include <functional>
#include <hookbus/hook.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

namespace hookbus::testing {

/// Serves one Hook until destroyed. Only the thread touches the Hook, so the test
/// learns about it from the counters (and from the broker's stats).
class ThreadedHook {
  public:
    /// What to answer an event with; nullopt sends no reply.
    using Answer = std::function<std::optional<nlohmann::json>(const Event&)>;

    /// `options.instance` is filled with a fresh UUID when empty, so that the test
    /// can find this hook in the broker's stats.
    ThreadedHook(HookOptions options, Answer answer);
    ~ThreadedHook();
    ThreadedHook(const ThreadedHook&) = delete;
    ThreadedHook& operator=(const ThreadedHook&) = delete;

    const std::string& instance() const { return instance_; }
    /// Lagged reports whose restarted() was true.
    int restarts() const { return restarts_; }
    /// Events received, and replies the broker accepted.
    std::uint64_t events() const { return events_; }
    std::uint64_t accepted() const { return accepted_; }

  private:
    void serve(HookOptions options);

    std::string instance_;
    Answer answer_;
    std::atomic<bool> stop_{false};
    std::atomic<int> restarts_{0};
    std::atomic<std::uint64_t> events_{0};
    std::atomic<std::uint64_t> accepted_{0};
    std::thread thread_;
};

/// True when the broker's `stats` list `instance` as a live hook.
bool live_in(const nlohmann::json& stats, const std::string& instance);
/// Live hooks in `stats` whose name is `hook`.
int live_named(const nlohmann::json& stats, const std::string& hook);

}  // namespace hookbus::testing
