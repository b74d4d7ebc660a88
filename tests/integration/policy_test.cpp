// Reply and failure policies end to end (docs/protocol.md section 13): an in-process
// broker, hooks served by the C++ Hook on threads of their own, and emitters that
// wait under `first` or `all`, `open` or `closed`. Each test checks the verdict, who
// decided it, the vetoes and the missing hooks the emitter is told about.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <hookbus/emitter.hpp>
#include <hookbus/hook.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "support/broker_fixture.hpp"
#include "support/raw_clients.hpp"
#include "support/temp_dir.hpp"
#include "support/threaded_hook.hpp"
#include "support/wait_until.hpp"

using namespace std::chrono_literals;
using hookbus::Decision;
using hookbus::DecidedBy;
using hookbus::Emitter;
using hookbus::EmitterOptions;
using hookbus::Event;
using hookbus::Expect;
using hookbus::Hook;
using hookbus::HookOptions;
using hookbus::MissingWhy;
using hookbus::OnFailure;
using hookbus::Outcome;
using hookbus::Status;
using hookbus::testing::RunningBroker;
using hookbus::testing::TempDir;
using hookbus::testing::ThreadedHook;
using hookbus::testing::wait_until;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto long_timeout = 30s;

class Policies : public ::testing::Test {
  protected:
    void start_broker(std::function<void(hookbus::BrokerConfig&)> tweak = nullptr) {
        auto config = hookbus::testing::test_broker_config(dir_);
        if (tweak) tweak(config);
        broker_ = std::make_unique<RunningBroker>(config);
        emitter_ = emitter();
    }

    std::unique_ptr<Emitter> emitter() {
        EmitterOptions options;
        options.endpoint = broker_->endpoints().emit;
        return std::make_unique<Emitter>(options);
    }

    HookOptions options(const std::string& name, std::vector<std::string> events,
                        std::vector<std::string> observe = {}) {
        HookOptions options;
        options.name = name;
        options.events = std::move(events);
        options.observe = std::move(observe);
        options.endpoints = broker_->endpoints();
        return options;
    }

    /// A hook on a thread of its own that answers every awaited event with `reply`.
    std::unique_ptr<ThreadedHook> hook(const std::string& name, Json reply,
                                       std::vector<std::string> events = {"pre_capture"}) {
        auto served = std::make_unique<ThreadedHook>(
            options(name, std::move(events)),
            [reply](const Event& event) -> std::optional<Json> {
                if (!event.awaited()) return std::nullopt;
                return reply;
            });
        wait_live(served->instance());
        return served;
    }

    /// A hook that takes events and never answers them.
    std::unique_ptr<ThreadedHook> silent(const std::string& name) {
        auto served = std::make_unique<ThreadedHook>(
            options(name, {"pre_capture"}),
            [](const Event&) -> std::optional<Json> { return std::nullopt; });
        wait_live(served->instance());
        return served;
    }

    void wait_live(const std::string& instance) {
        ASSERT_TRUE(wait_until([&] {
            auto stats = emitter_->stats();
            return stats && hookbus::testing::live_in(*stats, instance);
        })) << "hook " << instance << " never became live";
    }

    Json hook_stats(const std::string& instance) {
        const auto stats = emitter_->stats();
        if (!stats) return nullptr;
        for (const auto& hook : stats->at("hooks")) {
            if (hook.at("instance") == instance) return hook;
        }
        return nullptr;
    }

    TempDir dir_;
    std::unique_ptr<RunningBroker> broker_;
    std::unique_ptr<Emitter> emitter_;
};

std::vector<std::string> hooks_of(const Outcome& outcome) {
    std::vector<std::string> names;
    for (const auto& answer : outcome.replies) names.push_back(answer.hook);
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace

TEST_F(Policies, AllCollectsEveryAllowAndIsAllowedByTheHooks) {
    start_broker();
    auto a = hook("secrets", {{"abort", ""}});
    auto b = hook("policy", {{"ok", true}});
    auto c = hook("audit", {{"abort", nullptr}});

    const auto out = emitter_->emit_and_wait("pre_capture", "{}", long_timeout,
                                             {Expect::all, OnFailure::closed});
    EXPECT_EQ(out.status, Status::replied);
    EXPECT_EQ(hooks_of(out), (std::vector<std::string>{"audit", "policy", "secrets"}));
    EXPECT_EQ(out.verdict, Decision::allowed);
    EXPECT_EQ(out.decided_by, DecidedBy::hook);
    EXPECT_TRUE(out.vetoes.empty());
    EXPECT_TRUE(out.missing.empty());
    EXPECT_EQ(out.expect, Expect::all);
    EXPECT_EQ(out.on_failure, OnFailure::closed);
    for (const auto& answer : out.replies) EXPECT_GT(answer.latency_us, 0u);
}

TEST_F(Policies, OneVetoAmongThreeVetoesAndKeepsItsReason) {
    start_broker();
    auto a = hook("secrets", {{"abort", "an AWS key in config.yml"}});
    auto b = hook("policy", {{"abort", ""}});
    auto c = hook("audit", {{"logged", true}});

    const auto out = emitter_->emit_and_wait("pre_capture", "{}", long_timeout, Expect::all);
    EXPECT_EQ(out.status, Status::replied);
    EXPECT_EQ(out.replies.size(), 3u);
    EXPECT_EQ(out.verdict, Decision::vetoed);
    EXPECT_EQ(out.decided_by, DecidedBy::hook);
    ASSERT_EQ(out.vetoes.size(), 1u);
    EXPECT_EQ(out.vetoes[0].hook, "secrets");
    EXPECT_EQ(out.vetoes[0].reason, "an AWS key in config.yml");
    EXPECT_EQ(out.abort(), "an AWS key in config.yml");
    EXPECT_TRUE(out.vetoed());
}

TEST_F(Policies, EveryVetoReasonIsKeptInArrivalOrder) {
    start_broker();
    auto a = hook("secrets", {{"abort", "key"}});
    auto b = hook("license", {{"abort", {{"code", 3}}}});

    const auto out = emitter_->emit_and_wait("pre_capture", "{}", long_timeout, Expect::all);
    ASSERT_EQ(out.vetoes.size(), 2u);
    // Arrival order follows the answers, whichever hook was quicker.
    for (std::size_t i = 0; i < 2; ++i) EXPECT_EQ(out.vetoes[i].hook, out.replies[i].hook);
    std::vector<std::string> reasons{out.vetoes[0].reason, out.vetoes[1].reason};
    std::sort(reasons.begin(), reasons.end());
    EXPECT_EQ(reasons, (std::vector<std::string>{"key", R"({"code":3})"}));
}

TEST_F(Policies, TheLastAnswerEndsAnAllWaitLongBeforeItsDeadline) {
    start_broker();
    auto a = hook("one", {{"abort", ""}});
    auto b = hook("two", {{"abort", ""}});

    const auto started = Clock::now();
    const auto out = emitter_->emit_and_wait("pre_capture", "{}", long_timeout, Expect::all);
    const auto elapsed = Clock::now() - started;
    EXPECT_EQ(out.status, Status::replied);
    EXPECT_EQ(out.replies.size(), 2u);
    EXPECT_LT(elapsed, long_timeout / 2);
    std::cout << "[ figure ] all wait of 2 hooks ended after "
              << std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count()
              << " us, deadline " << long_timeout.count() << " s\n";
}

TEST_F(Policies, ASilentHookUnderClosedVetoesAtTheDeadlineNamingIt) {
    start_broker();
    auto talker = hook("talker", {{"abort", ""}});
    auto mute = silent("mute");

    const auto out = emitter_->emit_and_wait("pre_capture", "{}", 300ms,
                                             {Expect::all, OnFailure::closed});
    EXPECT_EQ(out.status, Status::timed_out);
    EXPECT_EQ(out.replies.size(), 1u);
    EXPECT_EQ(out.verdict, Decision::vetoed);
    EXPECT_EQ(out.decided_by, DecidedBy::policy);
    ASSERT_EQ(out.missing.size(), 1u);
    EXPECT_EQ(out.missing[0].hook, "mute");
    EXPECT_EQ(out.missing[0].instance, mute->instance());
    EXPECT_EQ(out.missing[0].why, MissingWhy::timed_out);
    ASSERT_EQ(out.vetoes.size(), 1u);
    EXPECT_NE(out.vetoes[0].reason.find("mute"), std::string::npos);
    EXPECT_NE(out.vetoes[0].reason.find("timed_out"), std::string::npos);
}

TEST_F(Policies, ASilentHookUnderOpenIsAllowedByThePolicy) {
    start_broker();
    auto talker = hook("talker", {{"abort", ""}});
    auto mute = silent("mute");

    const auto out = emitter_->emit_and_wait("pre_capture", "{}", 300ms,
                                             {Expect::all, OnFailure::open});
    EXPECT_EQ(out.status, Status::timed_out);
    EXPECT_EQ(out.verdict, Decision::allowed);
    EXPECT_EQ(out.decided_by, DecidedBy::policy);
    ASSERT_EQ(out.missing.size(), 1u);
    EXPECT_TRUE(out.vetoes.empty());
}

TEST_F(Policies, AHookVetoOutranksThePolicyInDecidedBy) {
    start_broker();
    auto no = hook("no", {{"abort", "never"}});
    auto mute = silent("mute");

    const auto out = emitter_->emit_and_wait("pre_capture", "{}", 300ms,
                                             {Expect::all, OnFailure::closed});
    EXPECT_EQ(out.verdict, Decision::vetoed);
    EXPECT_EQ(out.decided_by, DecidedBy::hook);
    ASSERT_EQ(out.vetoes.size(), 2u);
    EXPECT_EQ(out.vetoes[0].reason, "never");  // the hook's own, then the policy's
}

TEST_F(Policies, FirstUnderClosedVetoesWhenNobodyAnswers) {
    start_broker();
    auto mute = silent("mute");
    const auto out = emitter_->emit_and_wait("pre_capture", "{}", 200ms,
                                             {Expect::first, OnFailure::closed});
    EXPECT_EQ(out.status, Status::timed_out);
    EXPECT_EQ(out.verdict, Decision::vetoed);
    ASSERT_EQ(out.missing.size(), 1u);
    EXPECT_EQ(out.missing[0].hook, "mute");
}

TEST_F(Policies, NoHookUnderClosedIsVetoedByThePolicyAndUnderOpenAllowed) {
    start_broker();
    const auto closed = emitter_->emit_and_wait("pre_capture", "{}", long_timeout,
                                                {Expect::all, OnFailure::closed});
    EXPECT_EQ(closed.status, Status::no_hook);
    EXPECT_EQ(closed.verdict, Decision::vetoed);
    EXPECT_EQ(closed.decided_by, DecidedBy::policy);
    ASSERT_EQ(closed.vetoes.size(), 1u);
    EXPECT_NE(closed.vetoes[0].reason.find("pre_capture"), std::string::npos);

    const auto open = emitter_->emit_and_wait("pre_capture", "{}", long_timeout,
                                              {Expect::all, OnFailure::open});
    EXPECT_EQ(open.status, Status::no_hook);
    EXPECT_EQ(open.verdict, Decision::allowed);
}

TEST_F(Policies, AnObserverGetsTheEventButIsNeverCounted) {
    start_broker();
    std::atomic<int> seen{0};
    ThreadedHook auditor(options("auditor", {}, {"pre_capture"}),
                         [&seen](const Event& event) -> std::optional<Json> {
                             if (event.name == "pre_capture") ++seen;
                             return std::nullopt;
                         });
    wait_live(auditor.instance());

    // Alone, an observer does not make the name answered.
    EXPECT_EQ(emitter_->emit_and_wait("pre_capture", "{}", long_timeout).status,
              Status::no_hook);
    EXPECT_EQ(emitter_->wait_ready("pre_capture", 1, 100ms).ready, false);

    auto answerer = hook("policy", {{"abort", ""}});
    const auto out = emitter_->emit_and_wait("pre_capture", "{}", long_timeout, Expect::all);
    EXPECT_EQ(out.status, Status::replied);
    EXPECT_EQ(hooks_of(out), std::vector<std::string>{"policy"});
    EXPECT_TRUE(out.missing.empty());
    ASSERT_TRUE(wait_until([&] { return seen.load() == 1; }));

    const auto listed = hook_stats(auditor.instance());
    EXPECT_EQ(listed.at("observe"), Json::array({"pre_capture"}));
    EXPECT_EQ(listed.at("events"), Json::array());
    EXPECT_EQ(listed.at("received"), 1);
}

TEST_F(Policies, AnObserverCannotAnswer) {
    start_broker();
    Hook auditor(options("auditor", {"capture"}, {"pre_capture"}));
    ASSERT_TRUE(auditor.wait_ready(10s));
    emitter_->emit("pre_capture", "{}");
    auto event = auditor.next(10s);
    ASSERT_TRUE(event);
    EXPECT_THROW(auditor.post_reply(*event, R"({"abort":"no"})"), std::invalid_argument);
}

TEST_F(Policies, AHookThatRegistersAfterThePublishIsNotExpected) {
    start_broker();
    Hook early(options("early", {"pre_capture"}));
    ASSERT_TRUE(early.wait_ready(10s));
    const auto ticket =
        emitter_->start("pre_capture", "{}", long_timeout, {Expect::all, OnFailure::open});
    auto event = early.next(10s);
    ASSERT_TRUE(event);

    // Registered after the publish: its answer does not count, and the wait does not
    // wait for it.
    Hook late(options("late", {"pre_capture"}));
    ASSERT_TRUE(late.wait_ready(10s));
    EXPECT_FALSE(late.reply(*event, R"({"abort":"late"})"));
    EXPECT_TRUE(early.reply(*event, R"({"abort":""})"));

    auto done = emitter_->next(10s);
    ASSERT_TRUE(done);
    EXPECT_EQ(done->ticket, ticket);
    EXPECT_EQ(done->outcome.status, Status::replied);
    EXPECT_EQ(hooks_of(done->outcome), std::vector<std::string>{"early"});
    EXPECT_EQ(done->outcome.verdict, Decision::allowed);
}

TEST_F(Policies, AHookThatLeavesSettlesItsPartAtOnce) {
    start_broker();
    auto talker = hook("talker", {{"abort", ""}});
    zmq::context_t context;
    hookbus::testing::RawHook leaver(context, broker_->endpoints(), "leaver",
                                     {"pre_capture"});
    ASSERT_TRUE(leaver.start());
    emitter_->start("pre_capture", "{}", long_timeout, {Expect::all, OnFailure::closed});
    ASSERT_TRUE(leaver.next_event());
    leaver.dealer().send_body(hookbus::encode(hookbus::Bye{leaver.instance()}));

    auto done = emitter_->next(10s);
    ASSERT_TRUE(done);
    EXPECT_EQ(done->outcome.status, Status::incomplete);
    ASSERT_EQ(done->outcome.missing.size(), 1u);
    EXPECT_EQ(done->outcome.missing[0].why, MissingWhy::left);
    EXPECT_EQ(done->outcome.verdict, Decision::vetoed);
}

TEST_F(Policies, AHookCutOffForLaggingSettlesItsWaitsAtOnceAndCountsAgainAfterHello) {
    start_broker([](hookbus::BrokerConfig& config) { config.max_owed = 3; });
    // This hook reads nothing until told to: it falls behind.
    Hook laggard(options("laggard", {"pre_capture"}));
    ASSERT_TRUE(laggard.wait_ready(10s));

    const auto started = Clock::now();
    for (int i = 0; i < 4; ++i) {
        emitter_->start("pre_capture", "{}", long_timeout, {Expect::all, OnFailure::closed});
    }
    for (int i = 0; i < 4; ++i) {
        auto done = emitter_->next(long_timeout);
        ASSERT_TRUE(done);
        EXPECT_EQ(done->outcome.status, Status::incomplete);
        ASSERT_EQ(done->outcome.missing.size(), 1u);
        EXPECT_EQ(done->outcome.missing[0].why, MissingWhy::lagged);
        EXPECT_EQ(done->outcome.verdict, Decision::vetoed);
    }
    EXPECT_LT(Clock::now() - started, long_timeout / 2);
    auto stats = emitter_->stats();
    EXPECT_EQ(stats->at("hooks_cut_off"), 1);
    EXPECT_FALSE(hookbus::testing::live_in(*stats, laggard.instance()));
    EXPECT_TRUE(broker_->logged("HB-HOOK-LAGGED"));

    // Catching up, it answers a settled event: refused, and told to say hello again,
    // which the library does by itself.
    auto old = laggard.next(10s);
    ASSERT_TRUE(old);
    EXPECT_FALSE(laggard.reply(*old, R"({"abort":""})"));
    ASSERT_TRUE(laggard.wait_ready(10s));
    wait_live(laggard.instance());
    const auto ticket = emitter_->start("pre_capture", "{}", long_timeout, Expect::all);
    std::optional<Event> fresh;
    while ((fresh = laggard.next(10s)) && fresh->seq < 5) {
    }
    ASSERT_TRUE(fresh);
    EXPECT_TRUE(laggard.reply(*fresh, R"({"abort":""})"));
    auto done = emitter_->next(10s);
    ASSERT_TRUE(done);
    EXPECT_EQ(done->ticket, ticket);
    EXPECT_EQ(done->outcome.status, Status::replied);
}

TEST_F(Policies, WaitReadyIsAnsweredWhenTheHooksArrive) {
    start_broker();
    auto waiter = emitter();
    std::optional<hookbus::Readiness> readiness;
    std::thread asking([&] { readiness = waiter->wait_ready("pre_capture", 2, 10s); });
    auto a = hook("one", {{"abort", ""}});
    auto b = hook("two", {{"abort", ""}});
    asking.join();
    ASSERT_TRUE(readiness);
    EXPECT_EQ(readiness->status, Status::ok);
    EXPECT_TRUE(readiness->ready);
    EXPECT_EQ(readiness->hooks, 2u);
}

TEST_F(Policies, WaitReadyTimesOutWithTheCountItSaw) {
    start_broker();
    auto a = hook("one", {{"abort", ""}});
    const auto started = Clock::now();
    const auto readiness = emitter_->wait_ready("pre_capture", 2, 200ms);
    EXPECT_GE(Clock::now() - started, 200ms);
    EXPECT_EQ(readiness.status, Status::ok);
    EXPECT_FALSE(readiness.ready);
    EXPECT_EQ(readiness.hooks, 1u);
}

TEST_F(Policies, TheBrokersDefaultsApplyWhenTheEmitterGivesNone) {
    start_broker([](hookbus::BrokerConfig& config) {
        config.policies["pre_capture"] = {Expect::all, OnFailure::closed};
    });
    auto a = hook("one", {{"abort", ""}}, {"pre_capture", "capture"});
    auto mute = silent("mute");

    const auto named = emitter_->emit_and_wait("pre_capture", "{}", 200ms);
    EXPECT_EQ(named.expect, Expect::all);
    EXPECT_EQ(named.on_failure, OnFailure::closed);
    EXPECT_EQ(named.verdict, Decision::vetoed);

    const auto other = emitter_->emit_and_wait("capture", "{}", long_timeout);
    EXPECT_EQ(other.expect, Expect::first);
    EXPECT_EQ(other.on_failure, OnFailure::open);

    // The emitter's own choice wins over the default.
    const auto chosen = emitter_->emit_and_wait("pre_capture", "{}", long_timeout,
                                                {Expect::first, OnFailure::open});
    EXPECT_EQ(chosen.expect, Expect::first);
    EXPECT_EQ(chosen.status, Status::replied);

    const auto stats = emitter_->stats();
    ASSERT_TRUE(stats);
    const auto policies = stats->at("policies");
    EXPECT_EQ(policies.at("pre_capture").at("expect"), "all");
    EXPECT_EQ(policies.at("*").at("on_failure"), "open");
}

TEST_F(Policies, StatsCountAnswersVetoesTimeoutsAndLatencyPerHook) {
    start_broker();
    auto no = hook("no", {{"abort", "never"}});
    auto mute = silent("mute");
    for (int i = 0; i < 3; ++i) {
        emitter_->emit_and_wait("pre_capture", "{}", 200ms, Expect::all);
    }
    const auto vetoer = hook_stats(no->instance());
    EXPECT_EQ(vetoer.at("received"), 3);
    EXPECT_EQ(vetoer.at("answers"), 3);
    EXPECT_EQ(vetoer.at("vetoes"), 3);
    EXPECT_EQ(vetoer.at("timeouts"), 0);
    EXPECT_GT(vetoer.at("latency_us").at("p50").get<std::uint64_t>(), 0u);
    EXPECT_GE(vetoer.at("latency_us").at("p99"), vetoer.at("latency_us").at("p50"));
    EXPECT_TRUE(vetoer.at("last_heard_ms").is_number());

    const auto quiet = hook_stats(mute->instance());
    EXPECT_EQ(quiet.at("answers"), 0);
    EXPECT_EQ(quiet.at("timeouts"), 3);
    EXPECT_EQ(quiet.at("owed"), 0);
    EXPECT_TRUE(quiet.at("latency_us").is_null());
}

TEST_F(Policies, AnUnreachableBrokerVetoesAWaitThatAskedToFailClosed) {
    EmitterOptions options;
    options.endpoint = "ipc://" + dir_.file("nobody-here");
    options.grace = 100ms;
    Emitter lonely(options);
    const auto closed =
        lonely.emit_and_wait("pre_capture", "{}", 100ms, {Expect::all, OnFailure::closed});
    EXPECT_EQ(closed.status, Status::unreachable);
    EXPECT_TRUE(closed.vetoed());
    EXPECT_EQ(closed.decided_by, DecidedBy::policy);
    ASSERT_EQ(closed.vetoes.size(), 1u);
    EXPECT_NE(closed.vetoes[0].reason.find("unreachable"), std::string::npos);

    const auto open = lonely.emit_and_wait("pre_capture", "{}", 100ms, Expect::all);
    EXPECT_EQ(open.status, Status::unreachable);
    EXPECT_FALSE(open.vetoed());
}
