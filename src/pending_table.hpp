// The broker's table of waits in progress: one entry per emit-and-wait, keyed by the
// event id, holding who waits, its policies, the hooks it still expects and the
// answers and failures so far, with an index
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
/// A fresh random UUID version 4, from an engine seeded once per thread.
Uuid new_uuid4();

/// Hashes a Uuid; its bytes are already random, so a slice of them suffices.
struct UuidHash {
    std::size_t operator()(const Uuid& id) const noexcept;
};

/// Names one hook registration for the life of its slot in the registry.
using HookKey = std::uint64_t;

/// One emitter waiting for answers to one event.
struct PendingWait {
    Uuid id{};
    std::string routing_id;  ///< the emitter's ROUTER identity on the emit socket
    std::uint64_t req = 0;
    Expect expect = Expect::first;
    OnFailure on_failure = OnFailure::open;
    /// The expected set (section 13.1) less the hooks that answered or failed.
    std::vector<HookKey> owed;
    std::vector<Answer> answers;  ///< accepted, in arrival order
    std::vector<Veto> vetoes;     ///< the answers' own vetoes, in arrival order
    std::vector<Missing> missing;
    SteadyTime published;
    SteadyTime deadline;
};

/// Whether `wait` accepts an answer from the hook `key` (nullopt: a reply that
/// names no registered hook). `first` takes any first answer; `all` takes one from
/// each hook it still owes. An accepted hook leaves `owed`.
bool admit(PendingWait& wait, std::optional<HookKey> key);

/// Records that the owed hook `key` failed; false when it was not owed.
bool settle_failed(PendingWait& wait, HookKey key, Missing missing);

/// True when nothing more can change the wait: `first` has its answer, or no
/// expected hook still owes one.
bool finished(const PendingWait& wait);

/// The bounded table of waits. Finished ids are forgotten at once, so late and stray
/// replies cost nothing.
class PendingTable {
  public:
    explicit PendingTable(std::size_t capacity) : capacity_(capacity) {}

    /// Adds a wait; false (and nothing stored) when the table is full or the id is
    /// already present.
    bool insert(PendingWait wait);

    /// The wait for `id`, or null; valid until the table changes.
    PendingWait* find(const Uuid& id);

    /// Removes and returns the wait for `id`, which must be present.
    PendingWait take(const Uuid& id);

    /// The ids of the waits that still owe an answer from `key`. Linear in the
    /// table: hooks fail rarely, and waits cost nothing extra to index.
    std::vector<Uuid> owing(HookKey key) const;

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
