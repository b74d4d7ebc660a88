// Which hooks the broker knows and which of them are live. A hook becomes live when
// both its `hello` (replies socket) and its `~hook/<instance>` subscription (events
// socket) have arrived, in either order; only live hooks count for emit-and-wait.
// Also keeps the per-topic subscription counts that stats reports.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <hookbus/protocol.hpp>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace hookbus::detail {

using SteadyTime = std::chrono::steady_clock::time_point;

/// What the broker knows of one hook instance.
struct HookRecord {
    std::string instance;
    std::string hook;                 ///< the name the hook gave itself
    std::vector<std::string> events;  ///< names it answers
    std::string routing_id;           ///< its identity on the replies socket
    bool has_hello = false;
    std::size_t token_subscriptions = 0;

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

    /// The record of `instance`, or null; valid until the next change.
    const HookRecord* find(std::string_view instance) const;
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
    void index_live(const HookRecord& record);
    void unindex_live(const HookRecord& record);
    void clear_expiry(Slot& slot);
    void erase_if_unused(std::unordered_map<std::string, Slot>::iterator it);

    std::size_t max_hooks_;
    std::chrono::milliseconds hello_timeout_;
    std::unordered_map<std::string, Slot> slots_;
    ExpiryIndex expiries_;
    std::unordered_map<std::string, std::set<std::string>> live_by_name_;
    std::map<std::string, std::uint64_t> subscriptions_;
};

}  // namespace hookbus::detail
