// A bounded soak of a real hookbusd: emits, waits and replies of every kind, a hook
// process killed and started again every few seconds, and malformed requests, all at
// once for HOOKBUS_SOAK_SECONDS (default 120; tests/load/soak.sh takes a longer run).
// It checks that every request is answered, that every outcome is one the hooks'
// behaviour allows, and that the broker's resident memory stays flat after warm-up.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <hookbus/emitter.hpp>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>
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
using Json = nlohmann::json;
using std::chrono::milliseconds;

constexpr long default_seconds = 120;
// RSS is flat when the mean of the last quarter of the run exceeds the mean of the
// second quarter (the first is warm-up: allocator arenas and ZeroMQ queues reach
// their working size) by no more than this. A leak of 100 bytes per request, at the
// few hundred requests per second this soak makes, grows by about this much in two
// minutes.
constexpr long rss_tolerance_kib = 4 * 1024;
// Pacing keeps the soak from starving the rest of a two-core machine; it is not
// there for correctness.
constexpr milliseconds wait_pace{4};
constexpr milliseconds emit_pace{2};
constexpr milliseconds bad_pace{20};
constexpr milliseconds restart_every{3000};
constexpr std::size_t max_in_flight = 16;

long soak_seconds() {
    const char* text = std::getenv("HOOKBUS_SOAK_SECONDS");
    const long seconds = text ? std::atol(text) : 0;
    return seconds > 0 ? seconds : default_seconds;
}

// Which hooks answer a name decides which outcomes its waits may have.
enum class Kind { steady, silent, none, flaky };

struct KindInfo {
    const char* name;
    milliseconds timeout;
};

KindInfo info(Kind kind) {
    switch (kind) {
        case Kind::steady:
            return {"soak.steady", 5000ms};  // an in-process hook that always answers
        case Kind::silent:
            return {"soak.silent", 300ms};  // an in-process hook that never answers
        case Kind::none:
            return {"soak.none", 5000ms};  // no hook at all
        case Kind::flaky:
            return {"soak.flaky", 2000ms};  // a CLI hook killed and restarted
    }
    return {"", 0ms};
}

// One name per wait, in this rotation: the CLI hook forks a shell per event, so it
// gets the fewest.
constexpr Kind rotation[] = {Kind::steady, Kind::none, Kind::steady, Kind::silent,
                             Kind::steady, Kind::none, Kind::flaky,  Kind::steady};

/// Everything the soak counted; atomics because several threads add to it.
struct Counts {
    std::atomic<std::uint64_t> waits{0};
    std::atomic<std::uint64_t> outcomes{0};
    std::atomic<std::uint64_t> wrong{0};
    std::atomic<std::uint64_t> lost{0};  ///< unreachable: no response at all
    std::atomic<std::uint64_t> steady_replied{0};
    std::atomic<std::uint64_t> flaky_replied{0};
    std::atomic<std::uint64_t> flaky_timed_out{0};
    std::atomic<std::uint64_t> flaky_died{0};
    std::atomic<std::uint64_t> flaky_no_hook{0};
    std::atomic<std::uint64_t> emits{0};
    std::atomic<std::uint64_t> bad_sent{0};
    std::atomic<std::uint64_t> bad_answered{0};
    std::atomic<std::uint64_t> restarts{0};
    std::atomic<std::uint64_t> restart_checks_failed{0};
    std::mutex mutex;
    std::vector<std::string> notes;  ///< the first few wrong outcomes, for the report

    void note(const std::string& text) {
        ++wrong;
        std::lock_guard<std::mutex> lock(mutex);
        if (notes.size() < 10) notes.push_back(text);
    }
};

// The reply a hook echoing `n` gives: the payload itself, for the CLI hook's `cat`.
bool echoes(const Outcome& out, long n, const std::string& hook) {
    if (out.replies.size() != 1 || out.replies[0].hook != hook) return false;
    const auto reply = Json::parse(out.replies[0].reply_json, nullptr, false);
    return reply.is_object() && reply.value("n", -1L) == n;
}

// Checks one finished wait against what its name's hooks may do.
void judge(Kind kind, long n, const Outcome& out, Counts& counts) {
    ++counts.outcomes;
    if (out.status == Status::unreachable) {
        ++counts.lost;
        return;
    }
    bool right = false;
    switch (kind) {
        case Kind::steady:
            right = out.status == Status::replied && echoes(out, n, "steady");
            counts.steady_replied += right ? 1 : 0;
            break;
        case Kind::silent:
            right = out.status == Status::timed_out && out.replies.empty();
            break;
        case Kind::none:
            right = out.status == Status::no_hook && out.id.empty();
            break;
        case Kind::flaky:
            // Killed while holding the event: incomplete at once, the hook missing
            // as died (or timed_out, if the deadline came first); between a kill and
            // the next start: no_hook. A reply must still be the right one.
            if (out.status == Status::replied) {
                right = echoes(out, n, "flaky");
                counts.flaky_replied += right ? 1 : 0;
            } else if (out.status == Status::incomplete) {
                right = out.replies.empty() && out.missing.size() == 1 &&
                        out.missing[0].why == hookbus::MissingWhy::died;
                ++counts.flaky_died;
            } else if (out.status == Status::timed_out) {
                right = out.replies.empty();
                ++counts.flaky_timed_out;
            } else if (out.status == Status::no_hook) {
                right = true;
                ++counts.flaky_no_hook;
            }
            break;
    }
    if (!right) {
        counts.note(std::string(info(kind).name) + " n=" + std::to_string(n) + " ended " +
                    std::string(to_string(out.status)) + " with " +
                    std::to_string(out.replies.size()) + " replies");
    }
}

class Soak : public ::testing::Test {
  protected:
    void SetUp() override {
        daemon_ = std::make_unique<Daemon>(HOOKBUSD_PATH, dir_);
        ASSERT_TRUE(daemon_->ready()) << daemon_->log();
    }

    EmitterOptions emitter_options() const {
        EmitterOptions options;
        options.endpoint = daemon_->endpoints().emit;
        return options;
    }

    std::unique_ptr<ThreadedHook> in_process_hook(const std::string& hook, Kind kind,
                                                  bool answers) {
        HookOptions options;
        options.name = hook;
        options.events = {info(kind).name};
        options.endpoints = daemon_->endpoints();
        return std::make_unique<ThreadedHook>(
            options, [answers](const Event& event) -> std::optional<Json> {
                if (!answers || !event.awaited()) return {};
                return Json::parse(event.payload_json);
            });
    }

    std::unique_ptr<CliHook> flaky_hook(int generation) {
        auto hook = std::make_unique<CliHook>(
            HOOKBUS_CLI_PATH, daemon_->endpoints(), info(Kind::flaky).name, "flaky",
            "cat", dir_.file("flaky-" + std::to_string(generation) + ".err"));
        return hook->live() ? std::move(hook) : nullptr;
    }

    // Waits of every kind, up to max_in_flight at once, each judged as it ends.
    void run_waits(const std::atomic<bool>& running, Counts& counts) {
        Emitter emitter(emitter_options());
        std::map<std::uint64_t, std::pair<Kind, long>> tickets;
        long n = 0;
        auto finish = [&](milliseconds block) {
            const auto done = emitter.next(block);
            if (!done) return false;
            const auto it = tickets.find(done->ticket);
            judge(it->second.first, it->second.second, done->outcome, counts);
            tickets.erase(it);
            return true;
        };
        while (running) {
            if (tickets.size() >= max_in_flight) {
                finish(wait_pace);
                continue;
            }
            const Kind kind = rotation[n % std::size(rotation)];
            const auto ticket =
                emitter.start(info(kind).name, Json{{"n", n}}.dump(), info(kind).timeout);
            tickets.emplace(ticket, std::make_pair(kind, n++));
            ++counts.waits;
            while (finish(0ms)) {
            }
            std::this_thread::sleep_for(wait_pace);
        }
        while (!tickets.empty() && finish(10s)) {
        }
        counts.lost += tickets.size();
    }

    // Fire-and-forget emits; each must be acknowledged.
    void run_emits(const std::atomic<bool>& running, Counts& counts) {
        Emitter emitter(emitter_options());
        while (running) {
            const auto out = emitter.emit("soak.ff", R"({"ff":true})");
            if (out.status == Status::ok) {
                ++counts.emits;
            } else {
                ++counts.lost;
            }
            std::this_thread::sleep_for(emit_pace);
        }
    }

    // Malformed requests on both ROUTER sockets; each must get an error back.
    void run_bad_input(const std::atomic<bool>& running, Counts& counts) {
        zmq::context_t context;
        RawDealer emit_side(context, daemon_->endpoints().emit);
        RawDealer hook_side(context, daemon_->endpoints().replies);
        const std::string bodies[] = {"\xc1", "not msgpack at all", "\x81\xa1v\x02",
                                      "\x82\xa1v\x01\xa2op\xa4nope"};
        std::size_t i = 0;
        while (running) {
            for (RawDealer* dealer : {&emit_side, &hook_side}) {
                dealer->send_body(bodies[i++ % std::size(bodies)]);
                ++counts.bad_sent;
                const auto body = dealer->recv_body();
                const bool refused = body && body->find("error") != std::string::npos;
                counts.bad_answered += refused ? 1 : 0;
            }
            std::this_thread::sleep_for(bad_pace);
        }
    }

    // Kills the CLI hook (SIGKILL and SIGTERM in turn) and starts a new one; each new
    // one must answer the next wait.
    void run_restarts(const std::atomic<bool>& running, Counts& counts) {
        Emitter emitter(emitter_options());
        int generation = 0;
        auto hook = flaky_hook(generation);
        while (running && hook) {
            const auto until = Clock::now() + restart_every;
            while (running && Clock::now() < until) std::this_thread::sleep_for(50ms);
            hook->process().signal(generation % 2 == 0 ? SIGKILL : SIGTERM);
            hook->process().wait_exit(10s);
            hook = flaky_hook(++generation);
            ++counts.restarts;
            const long n = -generation;
            const auto out =
                emitter.emit_and_wait(info(Kind::flaky).name, Json{{"n", n}}.dump(), 10s);
            if (!echoes(out, n, "flaky")) ++counts.restart_checks_failed;
        }
        if (!hook) ++counts.restart_checks_failed;
    }

    TempDir dir_;
    std::unique_ptr<Daemon> daemon_;
};

TEST_F(Soak, MixedTrafficLeaksNothingAndAnswersEveryRequestRightly) {
    const long seconds = soak_seconds();
    auto steady = in_process_hook("steady", Kind::steady, true);
    auto silent = in_process_hook("silent", Kind::silent, false);
    Emitter probe(emitter_options());
    ASSERT_TRUE(wait_until([&] {
        const auto stats = probe.stats().value_or(Json());
        return live_in(stats, steady->instance()) && live_in(stats, silent->instance());
    }));

    Counts counts;
    std::atomic<bool> running{true};
    std::vector<std::thread> load;
    load.emplace_back([&] { run_waits(running, counts); });
    load.emplace_back([&] { run_emits(running, counts); });
    load.emplace_back([&] { run_bad_input(running, counts); });
    load.emplace_back([&] { run_restarts(running, counts); });

    std::vector<long> samples;  // one per second
    const auto end = Clock::now() + std::chrono::seconds(seconds);
    while (Clock::now() < end) {
        std::this_thread::sleep_for(1s);
        samples.push_back(daemon_->rss_kib());
    }
    running = false;
    for (auto& thread : load) thread.join();

    const auto stats = probe.stats().value_or(Json());
    EXPECT_EQ(counts.lost, 0u) << "requests without any response";
    EXPECT_EQ(counts.wrong, 0u) << (counts.notes.empty() ? "" : counts.notes.front());
    EXPECT_EQ(counts.outcomes, counts.waits);
    EXPECT_EQ(counts.restart_checks_failed, 0u);
    EXPECT_EQ(counts.bad_answered, counts.bad_sent);
    EXPECT_EQ(stats.value("bad_messages", 0ul), counts.bad_sent.load());
    EXPECT_EQ(steady->accepted(), counts.steady_replied.load());
    EXPECT_EQ(stats.value("pending", -1), 0);

    auto mean = [&](std::size_t from, std::size_t to) {
        long sum = 0;
        for (std::size_t i = from; i < to; ++i) sum += samples[i];
        return to > from ? sum / static_cast<long>(to - from) : 0;
    };
    const std::size_t quarter = samples.size() / 4;
    const long warm_kib = mean(quarter, 2 * quarter);
    const long late_kib = mean(samples.size() - quarter, samples.size());
    EXPECT_LE(late_kib, warm_kib + rss_tolerance_kib);

    std::cout << "[ figure ] soak " << seconds << " s: " << counts.waits << " waits ("
              << counts.steady_replied << " steady replied; flaky "
              << counts.flaky_replied << " replied, " << counts.flaky_died
              << " settled as died, " << counts.flaky_timed_out << " timed out, "
              << counts.flaky_no_hook << " no hook), " << counts.emits
              << " emits, " << counts.bad_sent << " bad requests, " << counts.restarts
              << " hook restarts\n[ figure ] broker RSS " << samples.front()
              << " KiB after 1 s, " << warm_kib << " KiB mean of the second quarter, "
              << late_kib << " KiB mean of the last quarter, " << samples.back()
              << " KiB at the end\n";
}

}  // namespace
}  // namespace hookbus
