// Unit tests of the broker's pending table: capacity, first-wins and all-hooks
// acceptance, failures that settle waits, deadlines driven by an explicit clock, and no memory for stray replies.
#include "pending_table.hpp"

#include <gtest/gtest.h>

namespace hookbus::detail {
namespace {

using std::chrono::milliseconds;

const SteadyTime t0{};

Uuid id_of(int n) {
    Uuid id{};
    id[15] = static_cast<std::uint8_t>(n);
    return id;
}

PendingWait wait_for(int n, milliseconds timeout, Expect expect = Expect::first,
                     std::vector<HookKey> owed = {}) {
    PendingWait wait;
    wait.id = id_of(n);
    wait.routing_id = "emitter";
    wait.req = static_cast<std::uint64_t>(n);
    wait.expect = expect;
    wait.owed = std::move(owed);
    wait.deadline = t0 + timeout;
    return wait;
}

struct Offered {
    bool accepted = false;
    std::optional<PendingWait> completed;
};

// What the broker does with a reply from hook `key` (nullopt: a reply that names no
// registered hook) to wait `n`.
Offered offer(PendingTable& table, int n, std::optional<HookKey> key) {
    auto* wait = table.find(id_of(n));
    if (wait == nullptr || !admit(*wait, key)) return {};
    const std::string instance = key ? "h" + std::to_string(*key) : "";
    wait->answers.push_back({"hook-" + instance, instance, R"({"abort":""})"});
    if (!finished(*wait)) return {true, std::nullopt};
    return {true, table.take(id_of(n))};
}

TEST(PendingTable, ParsesAndFormatsUuidText) {
    const std::string text = "0f1e2d3c-4b5a-4697-8877-66554433aabb";
    const auto id = parse_uuid(text);
    ASSERT_TRUE(id.has_value());
    EXPECT_EQ(format_uuid(*id), text);
    EXPECT_EQ(parse_uuid("0F1E2D3C-4B5A-4697-8877-66554433AABB"), id);
}

TEST(PendingTable, RejectsMalformedUuidText) {
    EXPECT_FALSE(parse_uuid("").has_value());
    EXPECT_FALSE(parse_uuid("0f1e2d3c-4b5a-4697-8877-66554433aab").has_value());
    EXPECT_FALSE(parse_uuid("0f1e2d3c-4b5a-4697-8877+66554433aabb").has_value());
    EXPECT_FALSE(parse_uuid("0f1e2d3c-4b5a-4697-8877-66554433aabg").has_value());
}

TEST(PendingTable, InsertRefusesPastCapacity) {
    PendingTable table(2);
    EXPECT_TRUE(table.insert(wait_for(1, milliseconds(10))));
    EXPECT_TRUE(table.insert(wait_for(2, milliseconds(10))));
    EXPECT_FALSE(table.insert(wait_for(3, milliseconds(10))));
    EXPECT_EQ(table.size(), 2u);
}

TEST(PendingTable, FirstReplyWinsAndCompletesTheWait) {
    PendingTable table(4);
    table.insert(wait_for(1, milliseconds(10)));
    const auto verdict = offer(table, 1, 1);
    EXPECT_TRUE(verdict.accepted);
    ASSERT_TRUE(verdict.completed.has_value());
    EXPECT_EQ(verdict.completed->answers.at(0).instance, "h1");
    EXPECT_EQ(table.size(), 0u);
}

TEST(PendingTable, SecondReplyIsRefused) {
    PendingTable table(4);
    table.insert(wait_for(1, milliseconds(10)));
    offer(table, 1, 1);
    const auto second = offer(table, 1, 2);
    EXPECT_FALSE(second.accepted);
    EXPECT_FALSE(second.completed.has_value());
}

TEST(PendingTable, StrayRepliesStoreNothing) {
    PendingTable table(4);
    table.insert(wait_for(1, milliseconds(10)));
    for (int n = 2; n < 200; ++n) {
        EXPECT_FALSE(offer(table, n, 1).accepted);
    }
    EXPECT_EQ(table.size(), 1u);
}

TEST(PendingTable, AllCompletesOnceEveryExpectedInstanceAnswered) {
    PendingTable table(4);
    table.insert(wait_for(1, milliseconds(10), Expect::all, {1, 2}));
    const auto first = offer(table, 1, 2);
    EXPECT_TRUE(first.accepted);
    EXPECT_FALSE(first.completed.has_value());
    const auto second = offer(table, 1, 1);
    ASSERT_TRUE(second.completed.has_value());
    EXPECT_EQ(second.completed->answers.size(), 2u);
}

TEST(PendingTable, AllRefusesRepeatedUnexpectedAndAnonymousInstances) {
    PendingTable table(4);
    table.insert(wait_for(1, milliseconds(10), Expect::all, {1, 2}));
    offer(table, 1, 1);
    EXPECT_FALSE(offer(table, 1, 1).accepted);
    EXPECT_FALSE(offer(table, 1, 26).accepted);
    EXPECT_FALSE(offer(table, 1, std::nullopt).accepted);
}

TEST(PendingTable, ExpireReturnsOnlyDueWaitsEarliestFirst) {
    PendingTable table(4);
    table.insert(wait_for(1, milliseconds(30)));
    table.insert(wait_for(2, milliseconds(10)));
    table.insert(wait_for(3, milliseconds(50)));
    const auto expired = table.expire(t0 + milliseconds(30));
    ASSERT_EQ(expired.size(), 2u);
    EXPECT_EQ(expired[0].req, 2u);
    EXPECT_EQ(table.size(), 1u);
}

TEST(PendingTable, ExpiredWaitKeepsPartialAnswersAndRefusesLateOnes) {
    PendingTable table(4);
    table.insert(wait_for(1, milliseconds(10), Expect::all, {1, 2}));
    offer(table, 1, 1);
    const auto expired = table.expire(t0 + milliseconds(10));
    ASSERT_EQ(expired.size(), 1u);
    EXPECT_EQ(expired[0].answers.size(), 1u);
    EXPECT_FALSE(offer(table, 1, 2).accepted);
}

TEST(PendingTable, NextDeadlineFollowsCompletions) {
    PendingTable table(4);
    EXPECT_FALSE(table.next_deadline().has_value());
    table.insert(wait_for(1, milliseconds(10)));
    table.insert(wait_for(2, milliseconds(20)));
    offer(table, 1, 1);
    EXPECT_EQ(table.next_deadline(), t0 + milliseconds(20));
}

TEST(PendingTable, FirstTakesAnAnswerFromOutsideTheExpectedSet) {
    PendingTable table(4);
    table.insert(wait_for(1, milliseconds(10), Expect::first, {1}));
    const auto verdict = offer(table, 1, 7);
    EXPECT_TRUE(verdict.accepted);
    ASSERT_TRUE(verdict.completed.has_value());
    EXPECT_EQ(verdict.completed->owed, std::vector<HookKey>{1});
}

TEST(PendingTable, AllFinishesWhenTheLastOwedHookFails) {
    PendingTable table(4);
    table.insert(wait_for(1, milliseconds(10), Expect::all, {1, 2}));
    offer(table, 1, 1);
    auto* wait = table.find(id_of(1));
    ASSERT_NE(wait, nullptr);
    EXPECT_FALSE(settle_failed(*wait, 1, {"a", "h1", MissingWhy::died}));
    EXPECT_TRUE(settle_failed(*wait, 2, {"b", "h2", MissingWhy::lagged}));
    EXPECT_TRUE(finished(*wait));
    ASSERT_EQ(wait->missing.size(), 1u);
    EXPECT_EQ(wait->missing[0].why, MissingWhy::lagged);
}

TEST(PendingTable, FirstFinishesWhenEveryExpectedHookFails) {
    PendingTable table(4);
    table.insert(wait_for(1, milliseconds(10), Expect::first, {1, 2}));
    auto* wait = table.find(id_of(1));
    settle_failed(*wait, 1, {"a", "h1", MissingWhy::died});
    EXPECT_FALSE(finished(*wait));
    settle_failed(*wait, 2, {"b", "h2", MissingWhy::left});
    EXPECT_TRUE(finished(*wait));
}

TEST(PendingTable, OwingListsTheWaitsThatStillExpectAHook) {
    PendingTable table(4);
    table.insert(wait_for(1, milliseconds(10), Expect::all, {1, 2}));
    table.insert(wait_for(2, milliseconds(10), Expect::all, {2}));
    table.insert(wait_for(3, milliseconds(10), Expect::all, {3}));
    offer(table, 1, 2);
    EXPECT_EQ(table.owing(2), std::vector<Uuid>{id_of(2)});
    EXPECT_EQ(table.owing(1), std::vector<Uuid>{id_of(1)});
}

TEST(PendingTable, TakeAllEmptiesTheTable) {
    PendingTable table(4);
    table.insert(wait_for(1, milliseconds(10)));
    table.insert(wait_for(2, milliseconds(20)));
    EXPECT_EQ(table.take_all().size(), 2u);
    EXPECT_EQ(table.size(), 0u);
    EXPECT_FALSE(table.next_deadline().has_value());
}

}  // namespace
}  // namespace hookbus::detail
