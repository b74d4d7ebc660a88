// Unit tests of GapTracker: the loss detection rules of docs/protocol.md section 9,
// fed by hand with welcomes and (name, run, seq) triples.
#include "gap_tracker.hpp"

#include <gtest/gtest.h>

using hookbus::detail::Gap;
using hookbus::detail::GapTracker;

namespace {

constexpr std::uint64_t run_a = 1111;
constexpr std::uint64_t run_b = 2222;

}  // namespace

TEST(GapTracker, FirstEventOfANameSetsTheBaseline) {
    GapTracker tracker;
    EXPECT_FALSE(tracker.on_welcome(run_a));
    EXPECT_FALSE(tracker.on_event("capture", run_a, 41));
    EXPECT_FALSE(tracker.on_event("capture", run_a, 42));
}

TEST(GapTracker, EachNameHasItsOwnBaseline) {
    GapTracker tracker;
    tracker.on_welcome(run_a);
    EXPECT_FALSE(tracker.on_event("capture", run_a, 7));
    EXPECT_FALSE(tracker.on_event("deploy", run_a, 300));
    EXPECT_FALSE(tracker.on_event("capture", run_a, 8));
}

TEST(GapTracker, FirstEventWithoutWelcomeAdoptsItsRun) {
    GapTracker tracker;
    EXPECT_FALSE(tracker.on_event("capture", run_a, 5));
    EXPECT_EQ(tracker.run(), run_a);
    EXPECT_FALSE(tracker.on_welcome(run_a));
}

TEST(GapTracker, GapWithinARunCountsTheMissingEvents) {
    GapTracker tracker;
    tracker.on_welcome(run_a);
    tracker.on_event("capture", run_a, 3);

    auto gap = tracker.on_event("capture", run_a, 7);
    ASSERT_TRUE(gap);
    EXPECT_EQ(gap->name, "capture");
    EXPECT_EQ(gap->missed, 3u);
    EXPECT_FALSE(gap->restarted);
}

TEST(GapTracker, BaselineMovesPastAGap) {
    GapTracker tracker;
    tracker.on_event("capture", run_a, 1);
    tracker.on_event("capture", run_a, 5);
    EXPECT_FALSE(tracker.on_event("capture", run_a, 6));
}

TEST(GapTracker, WelcomeOfTheSameRunIsNotARestart) {
    GapTracker tracker;
    tracker.on_welcome(run_a);
    tracker.on_event("capture", run_a, 1);
    EXPECT_FALSE(tracker.on_welcome(run_a));
    auto gap = tracker.on_event("capture", run_a, 4);
    ASSERT_TRUE(gap);
    EXPECT_EQ(gap->missed, 2u);
}

TEST(GapTracker, WelcomeWithANewRunReportsARestart) {
    GapTracker tracker;
    tracker.on_welcome(run_a);

    auto gap = tracker.on_welcome(run_b);
    ASSERT_TRUE(gap);
    EXPECT_TRUE(gap->restarted);
    EXPECT_EQ(gap->name, "");
    EXPECT_EQ(tracker.run(), run_b);
}

TEST(GapTracker, AfterARestartWelcomeNamesStartFromZero) {
    GapTracker tracker;
    tracker.on_welcome(run_a);
    tracker.on_event("capture", run_a, 10);
    tracker.on_welcome(run_b);

    EXPECT_FALSE(tracker.on_event("capture", run_b, 1));
    auto gap = tracker.on_event("deploy", run_b, 4);
    ASSERT_TRUE(gap);
    EXPECT_EQ(gap->missed, 3u);
}

TEST(GapTracker, EventWithANewRunReportsRestartAndSeqMinusOne) {
    GapTracker tracker;
    tracker.on_welcome(run_a);
    tracker.on_event("capture", run_a, 10);

    auto gap = tracker.on_event("capture", run_b, 6);
    ASSERT_TRUE(gap);
    EXPECT_EQ(gap->missed, 5u);
    EXPECT_TRUE(gap->restarted);
}

TEST(GapTracker, EventWithANewRunReportsRestartEvenWithNothingMissed) {
    GapTracker tracker;
    tracker.on_event("capture", run_a, 10);

    auto gap = tracker.on_event("capture", run_b, 1);
    ASSERT_TRUE(gap);
    EXPECT_EQ(gap->missed, 0u);
    EXPECT_TRUE(gap->restarted);
}

TEST(GapTracker, OtherNamesStartFromZeroAfterAnEventRestart) {
    GapTracker tracker;
    tracker.on_event("capture", run_a, 10);
    tracker.on_event("deploy", run_a, 10);
    tracker.on_event("capture", run_b, 1);

    auto gap = tracker.on_event("deploy", run_b, 3);
    ASSERT_TRUE(gap);
    EXPECT_EQ(gap->missed, 2u);
    EXPECT_FALSE(gap->restarted);
}

TEST(GapTracker, DuplicateIsNeitherAGapNorABaselineChange) {
    GapTracker tracker;
    tracker.on_event("capture", run_a, 5);
    EXPECT_FALSE(tracker.on_event("capture", run_a, 5));
    EXPECT_FALSE(tracker.on_event("capture", run_a, 6));
}

TEST(GapTracker, OutOfOrderEventDoesNotMoveTheBaselineBack) {
    GapTracker tracker;
    tracker.on_event("capture", run_a, 5);
    tracker.on_event("capture", run_a, 8);
    EXPECT_FALSE(tracker.on_event("capture", run_a, 6));
    EXPECT_FALSE(tracker.on_event("capture", run_a, 9));
}

TEST(GapTracker, StragglerFromAPreviousRunIsIgnored) {
    GapTracker tracker;
    tracker.on_event("capture", run_a, 5);
    tracker.on_welcome(run_b);
    tracker.on_event("capture", run_b, 1);

    EXPECT_FALSE(tracker.on_event("capture", run_a, 6));
    EXPECT_FALSE(tracker.on_welcome(run_a));
    EXPECT_EQ(tracker.run(), run_b);
    EXPECT_FALSE(tracker.on_event("capture", run_b, 2));
}
