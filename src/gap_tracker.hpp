// Loss detection for subscribers (docs/protocol.md section 9). Subscriber and Hook
// feed every welcome and event they receive through a GapTracker, which compares the
// broker's run id and per-name sequence numbers with what it saw before.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace hookbus::detail {

/// A loss revealed by a welcome or an event.
struct Gap {
    std::string name;  ///< empty for a restart noticed by its welcome
    std::uint64_t missed = 0;
    bool restarted = false;
};

/// Remembers the broker's run id and, per event name, the last sequence number.
class GapTracker {
  public:
    /// Records a welcome; returns a gap (no name, nothing missed) when it comes from
    /// a broker lifetime other than the one kept.
    std::optional<Gap> on_welcome(std::uint64_t run);

    /// Records an event; returns the loss it reveals, if any. An event whose seq does
    /// not advance its name (a duplicate, or late from a previous connection) reveals
    /// nothing and leaves the baseline where it was.
    std::optional<Gap> on_event(std::string_view name, std::uint64_t run,
                                std::uint64_t seq);

    /// The run id kept; 0 before the first welcome or event.
    std::uint64_t run() const { return run_; }

  private:
    bool adopt_run(std::uint64_t run);
    bool retired(std::uint64_t run) const;

    std::uint64_t run_ = 0;
    // After a restart every name starts from 0; on the first connection a name's
    // first event only sets its baseline.
    bool baseline_zero_ = false;
    std::unordered_map<std::string, std::uint64_t> last_seq_;
    std::deque<std::uint64_t> retired_runs_;
};

}  // namespace hookbus::detail
