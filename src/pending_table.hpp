// The broker's table of waits in progress: one entry per emit-and-wait, keyed by the
// event id, holding who waits, what it expects and the answers so far, with an index
// by deadline so that the poll loop can sleep until the nearest one. All time comes in
// as an explicit `now`, so tests drive the clock.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <hookbus/protocol.hpp>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace hookbus::detail {

using SteadyTime = std::chrono::steady_clock::time_point;

/// A UUID as its 16 binary bytes.
using Uuid = std::array<std::uint8_t, 16>;

/// Parses the 36-character text form (either case); nullopt for anything else.
std::optional<Uuid> parse_uuid(std::string_view text);
/// The lower-case 36-character text form.
std::string format_uuid(const Uuid& id);

/// Hashes a Uuid; its bytes are already random, so a slice of them suffices.
struct UuidHash {
    std::size_t operator()(const Uuid& id) const noexcept;
};

/// One emitter waiting for answers to one event.
struct PendingWait {
    Uuid id{};
    std::string routing_id;  ///< the emitter's ROUTER identity on the emit socket
    std::uint64_t req = 0;
    Expect expect = Expect::first;
    std::vector<std::string> expected;  ///< instances still owing an answer (`all`)
    std::vector<Answer> answers;
    SteadyTime deadline;
};

/// What became of one reply offered to the table.
struct ReplyVerdict {
    bool accepted = false;
    /// Set when this reply completed the wait; the entry has left the table.
    std::optional<PendingWait> completed;
};

/// The bounded table of waits. Finished ids are forgotten at once, so late and stray
/// replies cost nothing.
class PendingTable {
  public:
    explicit PendingTable(std::size_t capacity) : capacity_(capacity) {}

    /// Adds a wait; false (and nothing stored) when the table is full or the id is
    /// already present.
    bool insert(PendingWait wait);

    /// Offers one answer. For `first` the first answer wins; for `all` each expected
    /// instance counts once. Unknown ids and refused answers leave no trace.
    ReplyVerdict accept(const Uuid& id, Answer answer);

    /// Removes and returns every wait whose deadline is at or before `now`, earliest
    /// first.
    std::vector<PendingWait> expire(SteadyTime now);

    /// Removes and returns every wait (shutdown).
    std::vector<PendingWait> take_all();

    /// The earliest deadline, if any wait is in progress.
    std::optional<SteadyTime> next_deadline() const;

    std::size_t size() const { return entries_.size(); }
    std::size_t capacity() const { return capacity_; }
    bool full() const { return entries_.size() >= capacity_; }

  private:
    using DeadlineIndex = std::multimap<SteadyTime, Uuid>;
    struct Entry {
        PendingWait wait;
        DeadlineIndex::iterator by_deadline;
    };
    using EntryMap = std::unordered_map<Uuid, Entry, UuidHash>;

    PendingWait remove(EntryMap::iterator it);

    std::size_t capacity_;
    EntryMap entries_;
    DeadlineIndex deadlines_;
};

}  // namespace hookbus::detail
