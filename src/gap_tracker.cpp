// Loss detection for subscribers: per-name sequence numbers within one broker run,
// and a fresh baseline whenever the run id changes.
#include "gap_tracker.hpp"

#include <algorithm>

namespace hookbus::detail {

namespace {

// Enough to recognise stragglers from the last few broker lifetimes; a run id is
// random, so an old one never comes back as a new lifetime.
constexpr std::size_t max_retired_runs = 8;

}  // namespace

bool GapTracker::retired(std::uint64_t run) const {
    return std::find(retired_runs_.begin(), retired_runs_.end(), run) !=
           retired_runs_.end();
}

// Returns true when `run` replaces a run already kept, i.e. the broker restarted.
bool GapTracker::adopt_run(std::uint64_t run) {
    if (run_ == 0) {
        run_ = run;
        return false;
    }
    retired_runs_.push_back(run_);
    if (retired_runs_.size() > max_retired_runs) retired_runs_.pop_front();
    run_ = run;
    last_seq_.clear();
    baseline_zero_ = true;
    return true;
}

std::optional<Gap> GapTracker::on_welcome(std::uint64_t run) {
    if (run == run_ || retired(run)) return std::nullopt;
    if (!adopt_run(run)) return std::nullopt;
    return Gap{"", 0, true};
}

std::optional<Gap> GapTracker::on_event(std::string_view name, std::uint64_t run,
                                        std::uint64_t seq) {
    if (run != run_ && retired(run)) return std::nullopt;
    bool restarted = run != run_ && adopt_run(run);

    auto [it, fresh] = last_seq_.try_emplace(std::string(name), 0);
    if (fresh && !baseline_zero_) {
        it->second = seq;
        return std::nullopt;
    }
    if (seq <= it->second) {
        if (!restarted) return std::nullopt;
        return Gap{std::string(name), 0, true};
    }

    std::uint64_t missed = seq - it->second - 1;
    it->second = seq;
    if (missed == 0 && !restarted) return std::nullopt;
    return Gap{std::string(name), missed, restarted};
}

}  // namespace hookbus::detail
