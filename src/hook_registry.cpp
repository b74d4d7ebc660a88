// Hook registrations and the live indexes. See hook_registry.hpp.
#include "hook_registry.hpp"

#include <algorithm>

namespace hookbus::detail {

void HookCounters::add_latency(std::uint64_t micros) {
    const auto clamped = static_cast<std::uint32_t>(
        std::min<std::uint64_t>(micros, std::numeric_limits<std::uint32_t>::max()));
    if (latencies.size() < latency_window) {
        latencies.push_back(clamped);
        return;
    }
    latencies[next_latency] = clamped;
    next_latency = (next_latency + 1) % latency_window;
}

HookRegistry::Slot& HookRegistry::new_slot(const std::string& instance) {
    Slot& slot = slots_.emplace(instance, Slot{}).first->second;
    slot.record.instance = instance;
    slot.record.key = next_key_++;
    by_key_.emplace(slot.record.key, &slot.record);
    return slot;
}

HelloStatus HookRegistry::on_hello(std::string routing_id, Hello hello, SteadyTime now) {
    auto it = slots_.find(hello.instance);
    if (it == slots_.end()) {
        if (slots_.size() >= max_hooks_) return HelloStatus::overloaded;
        new_slot(hello.instance);
        it = slots_.find(hello.instance);
    }
    Slot& slot = it->second;
    unindex_live(slot.record);
    clear_expiry(slot);

    HookRecord& record = slot.record;
    record.hook = std::move(hello.hook);
    record.events = std::move(hello.events);
    record.observe = std::move(hello.observe);
    record.routing_id = std::move(routing_id);
    record.has_hello = true;
    record.last_heard = now;
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
    slot.record.observe.clear();
    erase_if_unused(it);
    return true;
}

bool HookRegistry::cut_off(std::string_view instance) {
    const auto it = slots_.find(std::string(instance));
    if (it == slots_.end() || !it->second.record.live()) return false;
    unindex_live(it->second.record);
    // The name stays for stats and log records; only the hello is forgotten.
    it->second.record.has_hello = false;
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
            new_slot(instance);
            it = slots_.find(instance);
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
    by_key_.erase(gone.key);
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
        by_key_.erase(it->second.record.key);
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
    const auto* hooks = answering(name);
    return hooks == nullptr ? 0 : hooks->size();
}

std::vector<std::string> HookRegistry::live_instances(std::string_view name) const {
    std::vector<std::string> instances;
    if (const auto* hooks = answering(name)) {
        for (const auto* record : *hooks) instances.push_back(record->instance);
    }
    std::sort(instances.begin(), instances.end());
    return instances;
}

const std::vector<HookRecord*>* HookRegistry::answering(std::string_view name) const {
    if (answering_.empty()) return nullptr;
    probe_.assign(name);
    const auto it = answering_.find(probe_);
    return it == answering_.end() ? nullptr : &it->second;
}

const std::vector<HookRecord*>* HookRegistry::observing(std::string_view name) const {
    if (observing_.empty()) return nullptr;
    probe_.assign(name);
    const auto it = observing_.find(probe_);
    return it == observing_.end() ? nullptr : &it->second;
}

const HookRecord* HookRegistry::find(std::string_view instance) const {
    probe_.assign(instance);
    const auto it = slots_.find(probe_);
    return it == slots_.end() ? nullptr : &it->second.record;
}

HookRecord* HookRegistry::find(std::string_view instance) {
    probe_.assign(instance);
    const auto it = slots_.find(probe_);
    return it == slots_.end() ? nullptr : &it->second.record;
}

HookRecord* HookRegistry::by_key(std::uint64_t key) {
    const auto it = by_key_.find(key);
    return it == by_key_.end() ? nullptr : it->second;
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

void HookRegistry::index_names(NameIndex& index, const std::vector<std::string>& names,
                               HookRecord* record) {
    for (const auto& name : names) {
        auto& hooks = index[name];
        if (std::find(hooks.begin(), hooks.end(), record) == hooks.end()) {
            hooks.push_back(record);
        }
    }
}

void HookRegistry::unindex_names(NameIndex& index, const std::vector<std::string>& names,
                                 const HookRecord* record) {
    for (const auto& name : names) {
        const auto it = index.find(name);
        if (it == index.end()) continue;
        auto& hooks = it->second;
        hooks.erase(std::remove(hooks.begin(), hooks.end(), record), hooks.end());
        if (hooks.empty()) index.erase(it);
    }
}

void HookRegistry::index_live(HookRecord& record) {
    if (!record.live()) return;
    index_names(answering_, record.events, &record);
    index_names(observing_, record.observe, &record);
}

void HookRegistry::unindex_live(HookRecord& record) {
    if (!record.live()) return;
    unindex_names(answering_, record.events, &record);
    unindex_names(observing_, record.observe, &record);
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
    by_key_.erase(record.key);
    slots_.erase(it);
}

}  // namespace hookbus::detail
