// Hook registrations and the live index. See hook_registry.hpp.
#include "hook_registry.hpp"

#include <algorithm>

namespace hookbus::detail {

HelloStatus HookRegistry::on_hello(std::string routing_id, Hello hello, SteadyTime now) {
    auto it = slots_.find(hello.instance);
    if (it == slots_.end()) {
        if (slots_.size() >= max_hooks_) return HelloStatus::overloaded;
        it = slots_.emplace(hello.instance, Slot{}).first;
        it->second.record.instance = hello.instance;
    }
    Slot& slot = it->second;
    unindex_live(slot.record);
    clear_expiry(slot);

    HookRecord& record = slot.record;
    record.hook = std::move(hello.hook);
    record.events = std::move(hello.events);
    record.routing_id = std::move(routing_id);
    record.has_hello = true;
    if (record.live()) {
        index_live(record);
        return HelloStatus::live;
    }
    slot.expiry = expiries_.emplace(now + hello_timeout_, record.instance);
    return HelloStatus::awaiting_subscription;
}

bool HookRegistry::on_bye(std::string_view instance) {
    const auto it = slots_.find(std::string(instance));
    if (it == slots_.end() || !it->second.record.has_hello) return false;
    Slot& slot = it->second;
    unindex_live(slot.record);
    clear_expiry(slot);
    slot.record.has_hello = false;
    slot.record.hook.clear();
    slot.record.events.clear();
    erase_if_unused(it);
    return true;
}

SubscriptionChange HookRegistry::on_subscription(std::string_view message) {
    if (message.empty()) return {};
    const bool subscribe = message.front() == 1;
    const std::string_view topic = message.substr(1);
    if (topic.substr(0, hook_token_prefix.size()) == hook_token_prefix) {
        return on_token(std::string(topic.substr(hook_token_prefix.size())), subscribe);
    }
    count_topic(topic, subscribe);
    return {};
}

SubscriptionChange HookRegistry::on_token(std::string instance, bool subscribe) {
    using Kind = SubscriptionChange::Kind;
    auto it = slots_.find(instance);
    if (subscribe) {
        if (it == slots_.end()) {
            if (slots_.size() >= max_hooks_) {
                HookRecord refused;
                refused.instance = std::move(instance);
                return {Kind::refused, std::move(refused)};
            }
            it = slots_.emplace(instance, Slot{}).first;
            it->second.record.instance = instance;
        }
        Slot& slot = it->second;
        const bool was_live = slot.record.live();
        ++slot.record.token_subscriptions;
        if (was_live || !slot.record.live()) return {};
        clear_expiry(slot);
        index_live(slot.record);
        return {Kind::became_live, slot.record};
    }

    if (it == slots_.end() || it->second.record.token_subscriptions == 0) return {};
    HookRecord& record = it->second.record;
    if (record.token_subscriptions > 1) {
        --record.token_subscriptions;
        return {};
    }
    // The last token is gone with its connection: forget the hook entirely, so that
    // a reconnect starts afresh with hello and subscription.
    unindex_live(record);
    HookRecord gone = std::move(record);
    gone.token_subscriptions = 0;
    clear_expiry(it->second);
    slots_.erase(it);
    if (!gone.has_hello) return {};
    return {Kind::dropped, std::move(gone)};
}

std::vector<HookRecord> HookRegistry::expire(SteadyTime now) {
    std::vector<HookRecord> expired;
    while (!expiries_.empty() && expiries_.begin()->first <= now) {
        const auto it = slots_.find(expiries_.begin()->second);
        expiries_.erase(expiries_.begin());
        if (it == slots_.end()) continue;
        it->second.expiry.reset();
        expired.push_back(std::move(it->second.record));
        slots_.erase(it);
    }
    return expired;
}

std::optional<SteadyTime> HookRegistry::next_expiry() const {
    if (expiries_.empty()) return std::nullopt;
    return expiries_.begin()->first;
}

std::size_t HookRegistry::live_count(std::string_view name) const {
    const auto it = live_by_name_.find(std::string(name));
    return it == live_by_name_.end() ? 0 : it->second.size();
}

std::vector<std::string> HookRegistry::live_instances(std::string_view name) const {
    const auto it = live_by_name_.find(std::string(name));
    if (it == live_by_name_.end()) return {};
    return {it->second.begin(), it->second.end()};
}

const HookRecord* HookRegistry::find(std::string_view instance) const {
    const auto it = slots_.find(std::string(instance));
    return it == slots_.end() ? nullptr : &it->second.record;
}

std::vector<HookRecord> HookRegistry::snapshot() const {
    std::vector<HookRecord> records;
    records.reserve(slots_.size());
    for (const auto& [instance, slot] : slots_) records.push_back(slot.record);
    std::sort(records.begin(), records.end(),
              [](const auto& a, const auto& b) { return a.instance < b.instance; });
    return records;
}

void HookRegistry::count_topic(std::string_view topic, bool subscribe) {
    if (!topic.empty() && topic.back() == '\0') topic.remove_suffix(1);
    const std::string key(topic);
    if (subscribe) {
        ++subscriptions_[key];
        return;
    }
    const auto it = subscriptions_.find(key);
    if (it == subscriptions_.end()) return;
    if (--it->second == 0) subscriptions_.erase(it);
}

void HookRegistry::index_live(const HookRecord& record) {
    if (!record.live()) return;
    for (const auto& name : record.events) live_by_name_[name].insert(record.instance);
}

void HookRegistry::unindex_live(const HookRecord& record) {
    if (!record.live()) return;
    for (const auto& name : record.events) {
        const auto it = live_by_name_.find(name);
        if (it == live_by_name_.end()) continue;
        it->second.erase(record.instance);
        if (it->second.empty()) live_by_name_.erase(it);
    }
}

void HookRegistry::clear_expiry(Slot& slot) {
    if (!slot.expiry) return;
    expiries_.erase(*slot.expiry);
    slot.expiry.reset();
}

void HookRegistry::erase_if_unused(std::unordered_map<std::string, Slot>::iterator it) {
    const HookRecord& record = it->second.record;
    if (record.has_hello || record.token_subscriptions > 0) return;
    clear_expiry(it->second);
    slots_.erase(it);
}

}  // namespace hookbus::detail
