// Hooks served on their own thread. See threaded_hook.hpp.
#include "support/threaded_hook.hpp"

namespace hookbus::testing {

namespace {

// How long one next() may block, i.e. how soon the thread notices it must stop.
constexpr std::chrono::milliseconds poll_slice{50};

}  // namespace

ThreadedHook::ThreadedHook(HookOptions options, Answer answer)
    : instance_(options.instance.empty() ? make_uuid4() : options.instance),
      answer_(std::move(answer)) {
    options.instance = instance_;
    // The Hook is built on the thread, so that it never crosses threads.
    thread_ = std::thread([this, options = std::move(options)] { serve(options); });
}

ThreadedHook::~ThreadedHook() {
    stop_ = true;
    thread_.join();
}

void ThreadedHook::serve(HookOptions options) {
    Hook hook(std::move(options));
    while (!stop_) {
        try {
            const auto event = hook.next(poll_slice);
            if (!event) continue;
            ++events_;
            const auto reply = answer_(*event);
            if (reply && hook.reply(*event, *reply)) ++accepted_;
        } catch (const Lagged& lagged) {
            if (lagged.restarted()) ++restarts_;
        }
    }
}

bool live_in(const nlohmann::json& stats, const std::string& instance) {
    if (!stats.is_object() || !stats.contains("hooks")) return false;
    for (const auto& hook : stats["hooks"]) {
        if (hook.value("instance", "") == instance && hook.value("live", false))
            return true;
    }
    return false;
}

int live_named(const nlohmann::json& stats, const std::string& hook) {
    if (!stats.is_object() || !stats.contains("hooks")) return 0;
    int count = 0;
    for (const auto& record : stats["hooks"]) {
        if (record.value("hook", "") == hook && record.value("live", false)) ++count;
    }
    return count;
}

}  // namespace hookbus::testing
