// Unit tests of the broker's pending table: capacity, first-wins and all-instances
// acceptance, deadlines driven by an explicit clock, and no memory for stray replies.
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
                     std::vector<std::string> expected = {}) {
    PendingWait wait;
    wait.id = id_of(n);
    wait.routing_id = "emitter";
    wait.req = static_cast<std::uint64_t>(n);
    wait.expect = expect;
    wait.expected = std::move(expected);
    wait.deadline = t0 + timeout;
    return wait;
}

Answer answer(std::string instance) {
    return {"hook-" + instance, instance, R"({"abort":""})"};
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
    const auto verdict = table.accept(id_of(1), answer("a"));
    EXPECT_TRUE(verdict.accepted);
    ASSERT_TRUE(verdict.completed.has_value());
    EXPECT_EQ(verdict.completed->answers.at(0).instance, "a");
    EXPECT_EQ(table.size(), 0u);
}

TEST(PendingTable, SecondReplyIsRefused) {
    PendingTable table(4);
    table.insert(wait_for(1, milliseconds(10)));
    table.accept(id_of(1), answer("a"));
    const auto second = table.accept(id_of(1), answer("b"));
    EXPECT_FALSE(second.accepted);
    EXPECT_FALSE(second.completed.has_value());
}

TEST(PendingTable, StrayRepliesStoreNothing) {
    PendingTable table(4);
    table.insert(wait_for(1, milliseconds(10)));
    for (int n = 2; n < 200; ++n) {
        EXPECT_FALSE(table.accept(id_of(n), answer("a")).accepted);
    }
    EXPECT_EQ(table.size(), 1u);
}

TEST(PendingTable, AllCompletesOnceEveryExpectedInstanceAnswered) {
    PendingTable table(4);
    table.insert(wait_for(1, milliseconds(10), Expect::all, {"a", "b"}));
    const auto first = table.accept(id_of(1), answer("b"));
    EXPECT_TRUE(first.accepted);
    EXPECT_FALSE(first.completed.has_value());
    const auto second = table.accept(id_of(1), answer("a"));
    ASSERT_TRUE(second.completed.has_value());
    EXPECT_EQ(second.completed->answers.size(), 2u);
}

TEST(PendingTable, AllRefusesRepeatedUnexpectedAndAnonymousInstances) {
    PendingTable table(4);
    table.insert(wait_for(1, milliseconds(10), Expect::all, {"a", "b"}));
    table.accept(id_of(1), answer("a"));
    EXPECT_FALSE(table.accept(id_of(1), answer("a")).accepted);
    EXPECT_FALSE(table.accept(id_of(1), answer("z")).accepted);
    EXPECT_FALSE(table.accept(id_of(1), answer("")).accepted);
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
    table.insert(wait_for(1, milliseconds(10), Expect::all, {"a", "b"}));
    table.accept(id_of(1), answer("a"));
    const auto expired = table.expire(t0 + milliseconds(10));
    ASSERT_EQ(expired.size(), 1u);
    EXPECT_EQ(expired[0].answers.size(), 1u);
    EXPECT_FALSE(table.accept(id_of(1), answer("b")).accepted);
}

TEST(PendingTable, NextDeadlineFollowsCompletions) {
    PendingTable table(4);
    EXPECT_FALSE(table.next_deadline().has_value());
    table.insert(wait_for(1, milliseconds(10)));
    table.insert(wait_for(2, milliseconds(20)));
    table.accept(id_of(1), answer("a"));
    EXPECT_EQ(table.next_deadline(), t0 + milliseconds(20));
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
