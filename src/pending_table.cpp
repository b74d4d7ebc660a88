// The pending table: waits keyed by binary event id, with a deadline index, and the
// rules for what ends a wait. See pending_table.hpp.
#include "pending_table.hpp"

#include <algorithm>
#include <cstring>
#include <random>

namespace hookbus::detail {

namespace {

constexpr std::array<std::size_t, 4> dash_positions{8, 13, 18, 23};

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool is_dash_position(std::size_t i) {
    return std::find(dash_positions.begin(), dash_positions.end(), i) !=
           dash_positions.end();
}

}  // namespace

std::optional<Uuid> parse_uuid(std::string_view text) {
    if (text.size() != 36) return std::nullopt;
    Uuid id{};
    std::size_t out = 0;
    for (std::size_t i = 0; i < text.size();) {
        if (is_dash_position(i)) {
            if (text[i] != '-') return std::nullopt;
            ++i;
            continue;
        }
        const int high = hex_value(text[i]);
        const int low = hex_value(text[i + 1]);
        if (high < 0 || low < 0) return std::nullopt;
        id[out++] = static_cast<std::uint8_t>(high << 4 | low);
        i += 2;
    }
    return id;
}

std::string format_uuid(const Uuid& id) {
    static constexpr char digits[] = "0123456789abcdef";
    char text[36];
    std::size_t at = 0;
    for (std::size_t i = 0; i < id.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) text[at++] = '-';
        text[at++] = digits[id[i] >> 4];
        text[at++] = digits[id[i] & 0x0f];
    }
    return std::string(text, sizeof text);
}

Uuid new_uuid4() {
    // Seeded once per thread: random_device is slow, the engine is not. Ids only need
    // to be unique, not unguessable (any hook that sees an event may answer it).
    thread_local std::mt19937_64 engine = [] {
        std::random_device device;
        std::seed_seq seed{device(), device(), device(), device(),
                           device(), device(), device(), device()};
        return std::mt19937_64(seed);
    }();
    Uuid id{};
    for (std::size_t half = 0; half < 2; ++half) {
        const auto bits = engine();
        std::memcpy(id.data() + half * 8, &bits, sizeof bits);
    }
    id[6] = static_cast<std::uint8_t>((id[6] & 0x0f) | 0x40);  // version 4
    id[8] = static_cast<std::uint8_t>((id[8] & 0x3f) | 0x80);  // variant 10xx
    return id;
}

std::size_t UuidHash::operator()(const Uuid& id) const noexcept {
    std::uint64_t head = 0;
    std::uint64_t tail = 0;
    std::memcpy(&head, id.data(), sizeof head);
    std::memcpy(&tail, id.data() + 8, sizeof tail);
    return static_cast<std::size_t>(head ^ (tail * 0x9e3779b97f4a7c15ULL));
}

bool admit(PendingWait& wait, std::optional<HookKey> key) {
    auto& owed = wait.owed;
    const auto slot = key ? std::find(owed.begin(), owed.end(), *key) : owed.end();
    if (wait.expect == Expect::first) {
        if (!wait.answers.empty()) return false;
    } else if (slot == owed.end()) {
        // An answer from outside the expected set cannot stand for anyone in it.
        return false;
    }
    if (slot != owed.end()) owed.erase(slot);
    return true;
}

bool settle_failed(PendingWait& wait, HookKey key, Missing missing) {
    const auto slot = std::find(wait.owed.begin(), wait.owed.end(), key);
    if (slot == wait.owed.end()) return false;
    wait.owed.erase(slot);
    wait.missing.push_back(std::move(missing));
    return true;
}

bool finished(const PendingWait& wait) {
    if (wait.expect == Expect::first && !wait.answers.empty()) return true;
    return wait.owed.empty();
}

bool PendingTable::insert(PendingWait wait) {
    if (full() || entries_.count(wait.id) != 0) return false;
    const auto index = deadlines_.emplace(wait.deadline, wait.id);
    const Uuid id = wait.id;
    entries_.emplace(id, Entry{std::move(wait), index});
    return true;
}

PendingWait* PendingTable::find(const Uuid& id) {
    const auto it = entries_.find(id);
    return it == entries_.end() ? nullptr : &it->second.wait;
}

PendingWait PendingTable::take(const Uuid& id) { return remove(entries_.find(id)); }

std::vector<Uuid> PendingTable::owing(HookKey key) const {
    std::vector<Uuid> ids;
    for (const auto& [id, entry] : entries_) {
        const auto& owed = entry.wait.owed;
        if (std::find(owed.begin(), owed.end(), key) != owed.end()) ids.push_back(id);
    }
    return ids;
}

std::vector<PendingWait> PendingTable::expire(SteadyTime now) {
    std::vector<PendingWait> expired;
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
        expired.push_back(remove(entries_.find(deadlines_.begin()->second)));
    }
    return expired;
}

std::vector<PendingWait> PendingTable::take_all() {
    std::vector<PendingWait> all;
    all.reserve(entries_.size());
    while (!deadlines_.empty()) {
        all.push_back(remove(entries_.find(deadlines_.begin()->second)));
    }
    return all;
}

std::optional<SteadyTime> PendingTable::next_deadline() const {
    if (deadlines_.empty()) return std::nullopt;
    return deadlines_.begin()->first;
}

PendingWait PendingTable::remove(EntryMap::iterator it) {
    PendingWait wait = std::move(it->second.wait);
    deadlines_.erase(it->second.by_deadline);
    entries_.erase(it);
    return wait;
}

}  // namespace hookbus::detail
