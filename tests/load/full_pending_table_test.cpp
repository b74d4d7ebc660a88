// The pending table of a real hookbusd filled to its bound by waits on a live hook that
// never answers: the broker's memory at that size is measured and printed, the next
// wait is refused as overloaded at once, and every wait in the table ends timed_out,
// never before its own timeout.
#include <gtest/gtest.h>

#include <iostream>
#include <zmq.hpp>

#include "support/daemon.hpp"
#include "support/raw_clients.hpp"
#include "support/threaded_hook.hpp"
#include "support/wait_until.hpp"

namespace hookbus {
namespace {

using namespace hookbus::testing;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::size_t max_pending = 100'000;
// The waits are spread over many connections: when they expire, each connection
// receives its results in one burst, and a burst must fit the ROUTER's queue for one
// peer (1000 by default) or the broker drops results it cannot queue.
constexpr std::size_t dealers = 200;
constexpr std::size_t waits_per_dealer = max_pending / dealers;
// Long enough to fill the table (about 2 s on a loaded two-core machine) and to look
// at it full; the test checks that it was full before the first wait expired.
constexpr milliseconds wait_timeout{10000};

struct SentWait {
    Clock::time_point at;
    bool answered = false;
};

// The outcome of one dealer's waits: how many ended timed_out, not before their time.
struct Tally {
    std::size_t timed_out = 0;
    std::size_t early = 0;
    std::size_t wrong = 0;  ///< another outcome, an unknown req, or a second answer
};

void collect(RawDealer& dealer, std::vector<SentWait>& sent, Tally& tally,
             Clock::time_point give_up) {
    std::size_t answered = 0;
    while (answered < sent.size() && Clock::now() < give_up) {
        const auto body = dealer.recv_body(milliseconds(1000));
        if (!body) continue;
        ++answered;
        const auto response = decode_emit_response(*body);
        const auto* result = std::get_if<Result>(&response);
        if (result == nullptr || result->req == 0 || result->req > sent.size() ||
            sent[result->req - 1].answered || result->outcome != WaitOutcome::timed_out) {
            ++tally.wrong;
            continue;
        }
        SentWait& wait = sent[result->req - 1];
        wait.answered = true;
        ++tally.timed_out;
        if (Clock::now() - wait.at < wait_timeout) ++tally.early;
    }
}

TEST(FullPendingTable, EveryWaitTimesOutAndTheNextIsOverloadedAtOnce) {
    TempDir dir;
    Daemon daemon(HOOKBUSD_PATH, dir,
                  {"--max-pending", std::to_string(max_pending), "--max-timeout", "60s",
                   // The table is what is measured: no cut-off for lagging.
                   "--max-owed", "0"});
    ASSERT_TRUE(daemon.ready()) << daemon.log();
    zmq::context_t context;
    // The hook reads every event, so that it never falls a queue behind and gets cut
    // off by heartbeats, but answers none.
    HookOptions options;
    options.name = "silent";
    options.events = {"hold"};
    options.endpoints = daemon.endpoints();
    ThreadedHook silent(options, [](const Event&) { return std::nullopt; });
    RawDealer probe(context, daemon.endpoints().emit);
    ASSERT_TRUE(wait_until([&] { return live_in(probe.stats(), silent.instance()); }));
    const long baseline_kib = daemon.rss_kib();

    std::vector<std::unique_ptr<RawDealer>> senders;
    std::vector<std::vector<SentWait>> sent(dealers,
                                            std::vector<SentWait>(waits_per_dealer));
    for (std::size_t d = 0; d < dealers; ++d) {
        senders.push_back(std::make_unique<RawDealer>(context, daemon.endpoints().emit));
    }
    const auto filling = Clock::now();
    for (std::size_t k = 0; k < waits_per_dealer; ++k) {
        for (std::size_t d = 0; d < dealers; ++d) {
            sent[d][k].at = Clock::now();
            senders[d]->send_body(encode(make_emit(
                "hold", "{}", true, wait_timeout.count(), Expect::first, k + 1)));
        }
    }
    ASSERT_TRUE(wait_until([&] { return probe.stats()["pending"] == max_pending; },
                           wait_timeout));
    const auto fill_time = Clock::now() - filling;
    const long full_kib = daemon.rss_kib();

    RawDealer late(context, daemon.endpoints().emit);
    const auto asked = Clock::now();
    const auto refusal = late.ask(make_emit("hold", "{}", true, wait_timeout.count()));
    const auto refusal_time = Clock::now() - asked;
    // Still before the first wait could expire: the table really was full.
    ASSERT_LT(Clock::now() - filling, wait_timeout);
    ASSERT_TRUE(refusal);
    ASSERT_TRUE(std::holds_alternative<Error>(*refusal));
    EXPECT_EQ(std::get<Error>(*refusal).code, ErrorCode::overloaded);

    Tally tally;
    const auto give_up = Clock::now() + wait_timeout + 60s;
    for (std::size_t d = 0; d < dealers; ++d)
        collect(*senders[d], sent[d], tally, give_up);
    EXPECT_EQ(tally.timed_out, max_pending);
    EXPECT_EQ(tally.early, 0u);
    EXPECT_EQ(tally.wrong, 0u);
    const auto stats = probe.stats();
    EXPECT_EQ(stats["pending"], 0);
    EXPECT_EQ(stats["timeouts"], max_pending);
    EXPECT_EQ(stats["undeliverable"], 0);

    using std::chrono::duration_cast;
    std::cout << "[ figure ] pending table of " << max_pending << " waits: broker RSS "
              << baseline_kib << " KiB before, " << full_kib << " KiB full ("
              << (full_kib - baseline_kib) * 1024 / static_cast<long>(max_pending)
              << " B per wait, events queued for the silent hook included); "
              << daemon.rss_kib()
              << " KiB after every wait expired\n[ figure ] filled in "
              << duration_cast<milliseconds>(fill_time).count()
              << " ms; the next wait was refused overloaded in "
              << duration_cast<std::chrono::microseconds>(refusal_time).count()
              << " us\n";
}

}  // namespace
}  // namespace hookbus
