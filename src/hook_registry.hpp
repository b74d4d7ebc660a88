// Which hooks the broker knows and which of them are live. A hook becomes live when
// both its `hello` (replies socket) and its `~hook/<instance>` subscription (events
// socket) have arrived, in either order; only live hooks count for emit-and-wait.
// Also keeps the per-topic subscription counts that stats reports.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <hookbus/protocol.hpp>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace hookbus::detail {

using SteadyTime = std::chrono::steady_clock::time_point;

/// What the broker has seen of one hook, for stats (section 6.3).
struct HookCounters {
    std::uint64_t received = 0;  ///< events published to it while it was live
    std::uint64_t answers = 0;   ///< accepted answers
    std::uint64_t vetoes = 0;    ///< accepted answers that veto
    std::uint64_t timeouts = 0;  ///< waits that ended with it missing at the deadline
    std::uint64_t owed = 0;      ///< waits in progress that still expect it
    /// The latest accepted answers' latencies in microseconds, a ring of `latency_window`.
    std::vector<std::uint32_t> latencies;
    std::size_t next_latency = 0;

    void add_latency(std::uint64_t micros);
};

inline constexpr std::size_t latency_window = 1024;

/// What the broker knows of one hook instance.
struct HookRecord {
    std::string instance;
    std::string hook;                  ///< the name the hook gave itself
    std::vector<std::string> events;   ///< names it answers
    std::vector<std::string> observe;  ///< names it receives but never answers
    std::string routing_id;            ///< its identity on the replies socket
    std::uint64_t key = 0;             ///< unique for the life of its slot
    bool has_hello = false;
    std::size_t token_subscriptions = 0;
    SteadyTime last_heard{};
    HookCounters counters;

    bool live() const { return has_hello && token_subscriptions > 0; }
};

enum class HelloStatus {
    live,                   ///< answer hello_ok now
    awaiting_subscription,  ///< hello_ok follows when the subscription arrives
    overloaded,             ///< the table is full; nothing was stored
};

/// What one subscription message changed, for the broker to act on and log.
struct SubscriptionChange {
    enum class Kind {
        none,         ///< an ordinary topic, or no effect on any hook
        became_live,  ///< send hello_ok to `hook.routing_id`
        dropped,      ///< the hook's events connection went away
        refused,      ///< a token for a new instance while the table is full
    };
    Kind kind = Kind::none;
    HookRecord hook;
};

/// The bounded registry of hook instances, with the live index per event name.
class HookRegistry {
  public:
    HookRegistry(std::size_t max_hooks, std::chrono::milliseconds hello_timeout)
        : max_hooks_(max_hooks), hello_timeout_(hello_timeout) {}

    /// Records a hello (a second one for an instance replaces the first).
    HelloStatus on_hello(std::string routing_id, Hello hello, SteadyTime now);

    /// Forgets the hello of `instance`; true when there was one.
    bool on_bye(std::string_view instance);

    /// Forgets the hello of a hook cut off for lagging but keeps its subscription, so
    /// that a new hello makes it live again at once. True when it was live.
    bool cut_off(std::string_view instance);

    /// Feeds one XPUB_VERBOSER message: byte 1 (subscribe) or 0 (unsubscribe), then
    /// the topic.
    SubscriptionChange on_subscription(std::string_view message);

    /// Drops and returns hellos whose subscription did not arrive in time.
    std::vector<HookRecord> expire(SteadyTime now);
    /// When the next hello would expire, if one waits.
    std::optional<SteadyTime> next_expiry() const;

    /// Live hooks that answer `name`.
    std::size_t live_count(std::string_view name) const;
    /// Instances of the live hooks that answer `name`, sorted.
    std::vector<std::string> live_instances(std::string_view name) const;
    /// The live hooks that answer `name`, and those that observe it; null for none.
    /// Valid until the next change of the registry.
    const std::vector<HookRecord*>* answering(std::string_view name) const;
    const std::vector<HookRecord*>* observing(std::string_view name) const;

    /// The record of `instance`, or null; valid until the next change.
    const HookRecord* find(std::string_view instance) const;
    HookRecord* find(std::string_view instance);
    /// The record with `key`, or null; valid until the next change.
    HookRecord* by_key(std::uint64_t key);
    /// Every known instance, live or not, ordered by instance.
    std::vector<HookRecord> snapshot() const;
    /// Subscription count per topic (without its NUL; `~hook/` tokens left out).
    const std::map<std::string, std::uint64_t>& subscriptions() const {
        return subscriptions_;
    }
    std::size_t size() const { return slots_.size(); }

  private:
    using ExpiryIndex = std::multimap<SteadyTime, std::string>;
    struct Slot {
        HookRecord record;
        std::optional<ExpiryIndex::iterator> expiry;
    };

    SubscriptionChange on_token(std::string instance, bool subscribe);
    void count_topic(std::string_view topic, bool subscribe);
    void index_live(HookRecord& record);
    void unindex_live(HookRecord& record);
    void clear_expiry(Slot& slot);
    void erase_if_unused(std::unordered_map<std::string, Slot>::iterator it);

    std::size_t max_hooks_;
    std::chrono::milliseconds hello_timeout_;
    using NameIndex = std::unordered_map<std::string, std::vector<HookRecord*>>;

    static void index_names(NameIndex& index, const std::vector<std::string>& names,
                            HookRecord* record);
    static void unindex_names(NameIndex& index, const std::vector<std::string>& names,
                              const HookRecord* record);
    Slot& new_slot(const std::string& instance);

    std::unordered_map<std::string, Slot> slots_;  ///< node-based: records stay put
    ExpiryIndex expiries_;
    NameIndex answering_;
    NameIndex observing_;
    std::unordered_map<std::uint64_t, HookRecord*> by_key_;
    std::uint64_t next_key_ = 1;
    /// Reused to look names and instances up from a string_view without allocating
    /// (C++17 maps have no heterogeneous lookup).
    mutable std::string probe_;
    std::map<std::string, std::uint64_t> subscriptions_;
};

}  // namespace hookbus::detail
