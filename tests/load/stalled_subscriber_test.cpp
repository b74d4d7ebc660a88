// A subscriber that stops reading while a million events go out through a real
// hookbusd: the broker's memory stays within what its high-water mark allows, the
// emitters keep their pace, and the subscriber, once it reads again, accounts for
// every event: the ones it received plus the ones Lagged says it missed.
#include <gtest/gtest.h>

#include <atomic>
#include <hookbus/hook.hpp>
#include <iostream>
#include <thread>
#include <zmq.hpp>

#include "support/daemon.hpp"
#include "support/raw_clients.hpp"
#include "support/wait_until.hpp"

namespace hookbus {
namespace {

using namespace hookbus::testing;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

constexpr std::uint64_t stalled_events = 1'000'000;
// Emitted while the subscriber reads, for the reference rate.
constexpr std::uint64_t reference_events = 200'000;
// hookbusd's default --hwm, passed explicitly because the memory bound rests on it.
constexpr int send_hwm = 10'000;
// Emits in flight on the one raw DEALER. It stays below the ROUTER's per-peer queue
// (1000 by default), so that no acknowledgement is ever dropped for a full queue.
constexpr std::uint64_t window = 500;
// What one queued event costs the broker besides its bytes: the zmq_msg_t slot in the
// pipe (64 bytes), the shared message header with its reference count, and malloc's
// own bookkeeping; rounded up generously.
constexpr long per_message_overhead = 192;
// Everything else the load may add to a broker: allocator arenas that grow under
// load and are kept, ZeroMQ's per-connection batches, the ROUTER queues of the
// emitter (at most `window` requests and acknowledgements). Far below what an
// unbounded queue of a million events would take (several hundred MiB).
constexpr long constant_kib = 16 * 1024;

const std::string payload = Json{{"pad", std::string(120, 'x')}}.dump();

/// How a burst of pipelined fire-and-forget emits went.
struct Burst {
    std::uint64_t acked = 0;
    std::uint64_t refused = 0;
    double seconds = 0;
    double rate() const { return seconds > 0 ? acked / seconds : 0; }
};

// Emits `count` events named `name`, keeping `window` requests in flight.
Burst emit_burst(RawDealer& dealer, std::uint64_t count, std::uint64_t first_req) {
    Burst burst;
    const auto started = Clock::now();
    std::uint64_t sent = 0;
    while (burst.acked + burst.refused < count) {
        while (sent < count && sent - burst.acked - burst.refused < window) {
            dealer.send_body(encode(make_emit("flood", payload, false, std::nullopt,
                                              Expect::first, first_req + sent)));
            ++sent;
        }
        const auto body = dealer.recv_body();
        if (!body) break;  // lost acknowledgement: the test reports the shortfall
        const auto response = decode_emit_response(*body);
        ++(std::holds_alternative<Ack>(response) ? burst.acked : burst.refused);
    }
    burst.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    return burst;
}

// One flood frame as the broker encodes it, for the memory bound.
std::size_t flood_frame_size() {
    Event event;
    event.name = "flood";
    event.id = make_uuid4();
    event.run = (std::uint64_t{1} << 53) - 1;
    event.seq = stalled_events * 2;
    event.emitted_at = wall_now();
    event.payload_json = payload;
    return encode(event).size();
}

/// What the subscriber saw once it read again.
struct Account {
    std::uint64_t received = 0;
    std::uint64_t missed = 0;
    std::uint64_t lags = 0;
    std::uint64_t bad_successors = 0;  ///< events after a Lagged with the wrong seq
    std::optional<std::uint64_t> last_seq;
    std::optional<std::uint64_t> expected_seq;
};

// Reads until `quiet` passes without an event, checking that the event after each
// Lagged is exactly the one its count predicts.
void account_until_quiet(Subscriber& subscriber, Account& account,
                         std::chrono::milliseconds quiet) {
    while (true) {
        try {
            const auto event = subscriber.next(quiet);
            if (!event) return;
            if (account.expected_seq && event->seq != *account.expected_seq) {
                ++account.bad_successors;
            }
            account.expected_seq.reset();
            account.last_seq = event->seq;
            ++account.received;
        } catch (const Lagged& lagged) {
            ++account.lags;
            account.missed += lagged.missed();
            if (account.last_seq) {
                account.expected_seq = *account.last_seq + lagged.missed() + 1;
            }
        }
    }
}

/// Samples a process's resident memory on a thread and keeps the peak.
class RssSampler {
  public:
    explicit RssSampler(pid_t pid)
        : pid_(pid), thread_([this] {
              while (!stop_) {
                  peak_ = std::max(peak_.load(), rss_kib(pid_));
                  std::this_thread::sleep_for(20ms);
              }
          }) {}
    ~RssSampler() { finish(); }
    long finish() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
        return peak_ = std::max(peak_.load(), rss_kib(pid_));
    }

  private:
    pid_t pid_;
    std::atomic<bool> stop_{false};
    std::atomic<long> peak_{0};
    std::thread thread_;
};

TEST(StalledSubscriber, MillionEventsKeepBrokerMemoryBoundedAndEveryLossCounted) {
    TempDir dir;
    Daemon daemon(HOOKBUSD_PATH, dir, {"--hwm", std::to_string(send_hwm)});
    ASSERT_TRUE(daemon.ready()) << daemon.log();
    zmq::context_t context;
    RawDealer sender(context, daemon.endpoints().emit);
    Subscriber subscriber({daemon.endpoints().events, {"flood"}, nullptr});
    ASSERT_TRUE(
        wait_until([&] { return sender.stats()["subscriptions"].contains("flood"); }));
    const long baseline_kib = daemon.rss_kib();

    // Reference: the subscriber keeps reading on a thread of its own meanwhile.
    Account account;
    std::atomic<bool> reading{true};
    std::thread reader([&] {
        while (reading) account_until_quiet(subscriber, account, 100ms);
    });
    const Burst reference = emit_burst(sender, reference_events, 1);
    reading = false;
    reader.join();
    account_until_quiet(subscriber, account, 1s);

    // The subscriber stops reading for the whole million.
    RssSampler sampler(daemon.process().pid());
    const Burst stalled = emit_burst(sender, stalled_events, reference_events + 1);
    const long peak_kib = sampler.finish();

    // Reading again drains what was queued. A stall longer than the heartbeat timeout
    // also cost the subscriber its connection (its own heartbeat gave up on a socket
    // it had stopped reading), so reading makes it reconnect and subscribe again;
    // the broker must see that before it publishes the event that reveals the gap,
    // since losses at the end of a burst show only with the next event of the name.
    account_until_quiet(subscriber, account, 1s);
    ASSERT_TRUE(wait_until([&] {
        account_until_quiet(subscriber, account, 10ms);
        return sender.stats()["subscriptions"].contains("flood");
    })) << "the subscriber never subscribed again";
    const Burst revealing = emit_burst(sender, 1, reference_events + stalled_events + 1);
    account_until_quiet(subscriber, account, 2s);

    const std::uint64_t emitted = reference.acked + stalled.acked + revealing.acked;
    ASSERT_EQ(emitted, reference_events + stalled_events + 1) << "acknowledgements lost";
    EXPECT_EQ(sender.stats()["events_emitted"], emitted);
    EXPECT_GT(account.lags, 0u) << "the stall lost nothing; the test provoked no loss";
    EXPECT_EQ(account.received + account.missed, emitted);
    EXPECT_EQ(account.bad_successors, 0u);

    const long bound_kib =
        baseline_kib + constant_kib +
        send_hwm * static_cast<long>(flood_frame_size() + per_message_overhead) / 1024;
    EXPECT_LE(peak_kib, bound_kib);
    std::cout << "[ figure ] broker RSS " << baseline_kib << " KiB before, peak "
              << peak_kib << " KiB during " << stalled_events
              << " events to a stalled subscriber; bound " << bound_kib << " KiB (frame "
              << flood_frame_size() << " B, hwm " << send_hwm
              << ")\n[ figure ] emit rate " << static_cast<long>(reference.rate())
              << "/s with the subscriber reading, " << static_cast<long>(stalled.rate())
              << "/s with it stalled (ratio " << stalled.rate() / reference.rate()
              << ")\n[ figure ] subscriber received " << account.received << ", missed "
              << account.missed << " in " << account.lags << " gap(s)\n";
}

}  // namespace
}  // namespace hookbus
