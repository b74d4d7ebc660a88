// The C++ client library against a real in-process broker over ipc: Emitter, Hook and
// Subscriber end to end, lost-event reporting, broker restarts, and the client's own
// deadline when the broker is gone (behaviour 9).
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <hookbus/emitter.hpp>
#include <hookbus/hook.hpp>
#include <memory>
#include <thread>
#include <vector>

#include "support/broker_fixture.hpp"
#include "support/temp_dir.hpp"
#include "support/wait_until.hpp"

using namespace std::chrono_literals;
using hookbus::Emitter;
using hookbus::EmitterOptions;
using hookbus::Event;
using hookbus::Hook;
using hookbus::HookOptions;
using hookbus::Lagged;
using hookbus::Status;
using hookbus::Subscriber;
using hookbus::testing::RunningBroker;
using hookbus::testing::TempDir;
using hookbus::testing::wait_until;
using Json = nlohmann::json;

namespace {

using Clock = std::chrono::steady_clock;

/// Answers every event it receives on a thread of its own, until destroyed.
class AnsweringHook {
  public:
    using Answer = std::function<std::optional<Json>(const Event&)>;

    AnsweringHook(std::unique_ptr<Hook> hook, Answer answer)
        : hook_(std::move(hook)),
          answer_(std::move(answer)),
          thread_([this] { serve(); }) {}
    ~AnsweringHook() {
        stop_ = true;
        thread_.join();
    }
    std::atomic<int> lagged_restarts{0};

  private:
    void serve() {
        while (!stop_) {
            try {
                auto event = hook_->next(50ms);
                if (!event) continue;
                if (auto reply = answer_(*event)) hook_->reply(*event, *reply);
            } catch (const Lagged& lagged) {
                if (lagged.restarted()) ++lagged_restarts;
            }
        }
    }

    std::unique_ptr<Hook> hook_;
    Answer answer_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

class Client : public ::testing::Test {
  protected:
    void SetUp() override { start_broker(); }

    void start_broker(std::function<void(hookbus::BrokerConfig&)> tweak = nullptr) {
        auto config = hookbus::testing::test_broker_config(dir_);
        if (tweak) tweak(config);
        broker_.reset();
        broker_ = std::make_unique<RunningBroker>(config);
    }

    const hookbus::Endpoints& endpoints() const { return broker_->endpoints(); }

    std::unique_ptr<Emitter> emitter() {
        EmitterOptions options;
        options.endpoint = endpoints().emit;
        return std::make_unique<Emitter>(options);
    }

    std::unique_ptr<Hook> live_hook(const std::string& name,
                                    std::vector<std::string> events = {"capture"}) {
        HookOptions options;
        options.name = name;
        options.events = std::move(events);
        options.endpoints = endpoints();
        auto hook = std::make_unique<Hook>(options);
        EXPECT_TRUE(hook->wait_ready(10s)) << "hook " << name << " never became live";
        return hook;
    }

    std::unique_ptr<Subscriber> subscriber(std::vector<std::string> names) {
        auto topic = names.empty() ? std::string() : names.front();
        auto result = std::make_unique<Subscriber>(
            hookbus::SubscriberOptions{endpoints().events, std::move(names), nullptr});
        // The broker publishes only to subscriptions it has seen; wait for ours.
        auto probe = emitter();
        EXPECT_TRUE(wait_until([&] {
            auto stats = probe->stats();
            return stats && stats->value("subscriptions", Json::object()).contains(topic);
        })) << "subscription to '"
            << topic << "' never reached the broker";
        return result;
    }

    TempDir dir_;
    std::unique_ptr<RunningBroker> broker_;
};

std::optional<Json> veto_with_extras(const Event&) {
    return Json{{"abort", "no captures on main"}, {"score", 3}, {"tags", {"a", "b"}}};
}

}  // namespace

TEST_F(Client, EmitIsAcknowledgedWithAFreshId) {
    auto out = emitter()->emit("capture", R"({"path":"a.txt"})");
    EXPECT_EQ(out.status, Status::ok);
    EXPECT_EQ(out.id.size(), 36u);
    EXPECT_EQ(out.seq, 1u);
}

TEST_F(Client, SubscriberReceivesTheEventVerbatim) {
    auto listener = subscriber({"capture"});
    auto out = emitter()->emit("capture", R"({"path" : "a.txt"})");

    auto event = listener->next(10s);
    ASSERT_TRUE(event);
    EXPECT_EQ(event->id, out.id);
    EXPECT_EQ(event->payload_json, R"({"path" : "a.txt"})");
    EXPECT_FALSE(event->awaited());
}

TEST_F(Client, SubscriberOfANameDoesNotReceiveALongerName) {
    auto listener = subscriber({"capture"});
    auto sender = emitter();
    sender->emit("capture_done", "{}");
    auto out = sender->emit("capture", "{}");

    auto event = listener->next(10s);
    ASSERT_TRUE(event);
    EXPECT_EQ(event->id, out.id);
}

TEST_F(Client, ReplyArrivesWholeWithTheHookName) {
    AnsweringHook guard(live_hook("guard"), veto_with_extras);
    auto out = emitter()->emit_and_wait("capture", "{}", 10s);

    ASSERT_EQ(out.status, Status::replied);
    ASSERT_EQ(out.replies.size(), 1u);
    EXPECT_EQ(out.replies[0].hook, "guard");
    EXPECT_EQ(Json::parse(out.replies[0].reply_json), *veto_with_extras(Event{}));
    EXPECT_EQ(out.abort(), "no captures on main");
}

TEST_F(Client, ReplyWithoutAbortIsNoVeto) {
    AnsweringHook guard(live_hook("guard"), [](const Event&) {
        return Json{{"ok", true}};
    });
    auto out = emitter()->emit_and_wait("capture", "{}", 10s);
    EXPECT_EQ(out.status, Status::replied);
    EXPECT_FALSE(out.vetoed());
}

TEST_F(Client, HookSeesTheDeadlineOfAnAwaitedEvent) {
    std::atomic<bool> awaited{false};
    AnsweringHook guard(live_hook("guard"), [&](const Event& event) {
        awaited = event.awaited();
        return Json::object();
    });
    emitter()->emit_and_wait("capture", "{}", 10s);
    EXPECT_TRUE(awaited);
}

TEST_F(Client, WaitForAllCollectsEveryLiveHook) {
    AnsweringHook first(live_hook("first"), [](const Event&) { return Json{{"n", 1}}; });
    AnsweringHook second(live_hook("second"), [](const Event&) {
        return Json{{"n", 2}};
    });
    auto out = emitter()->emit_and_wait("capture", "{}", 10s, hookbus::Expect::all);
    EXPECT_EQ(out.status, Status::replied);
    EXPECT_EQ(out.replies.size(), 2u);
}

TEST_F(Client, SilentHookEndsInTimedOut) {
    auto silent = live_hook("silent");
    auto out = emitter()->emit_and_wait("capture", "{}", 300ms);
    EXPECT_EQ(out.status, Status::timed_out);
    EXPECT_FALSE(out.id.empty());
}

TEST_F(Client, NoHookIsReportedWithoutWaitingOutTheTimeout) {
    constexpr auto timeout = 30s;
    auto started = Clock::now();
    auto out = emitter()->emit_and_wait("capture", "{}", timeout);
    EXPECT_EQ(out.status, Status::no_hook);
    EXPECT_LT(Clock::now() - started, timeout / 2);
}

TEST_F(Client, ListenerDoesNotCountAsAHook) {
    auto listener = subscriber({"capture"});
    auto out = emitter()->emit_and_wait("capture", "{}", 30s);
    EXPECT_EQ(out.status, Status::no_hook);
}

TEST_F(Client, ManyWaitsInFlightEachGetTheirOwnAnswer) {
    AnsweringHook echo(live_hook("echo"), [](const Event& event) {
        return Json{{"n", Json::parse(event.payload_json).at("n")}};
    });
    auto sender = emitter();
    std::map<std::uint64_t, int> expected;
    for (int n = 0; n < 200; ++n) {
        expected[sender->start("capture", Json{{"n", n}}.dump(), 20s)] = n;
    }
    EXPECT_EQ(sender->in_flight(), 200u);

    int correct = 0;
    while (auto done = sender->next(25s)) {
        auto n = Json::parse(done->outcome.replies.at(0).reply_json).at("n").get<int>();
        if (done->outcome.status == Status::replied && n == expected.at(done->ticket))
            ++correct;
    }
    EXPECT_EQ(correct, 200);
    EXPECT_EQ(sender->in_flight(), 0u);
}

TEST_F(Client, LaggedCountsExactlyTheLostEventsAndDeliversTheNext) {
    start_broker([](hookbus::BrokerConfig& config) { config.send_hwm = 4; });
    auto listener = subscriber({"flood"});
    auto sender = emitter();
    const std::string payload = Json{{"pad", std::string(8000, 'x')}}.dump();
    constexpr std::uint64_t flood = 3000;
    for (std::uint64_t i = 0; i < flood; ++i) sender->emit("flood", payload);

    std::uint64_t received = 0, missed = 0, lags = 0, bad_successors = 0;
    std::optional<std::uint64_t> last_seq, expected_seq;
    auto account = [&](std::chrono::milliseconds quiet) {
        while (true) {
            try {
                auto event = listener->next(quiet);
                if (!event) return;
                if (expected_seq && event->seq != *expected_seq) ++bad_successors;
                expected_seq.reset();
                last_seq = event->seq;
                ++received;
            } catch (const Lagged& lagged) {
                ++lags;
                missed += lagged.missed();
                expected_seq = last_seq.value_or(0) + lagged.missed() + 1;
            }
        }
    };
    account(1s);
    // Losses at the end of a burst show only when the next event arrives.
    sender->emit("flood", "{}");
    account(2s);

    EXPECT_GT(lags, 0u) << "the flood lost nothing; the test provoked no loss";
    EXPECT_EQ(received + missed, flood + 1);
    EXPECT_EQ(bad_successors, 0u);
}

TEST_F(Client, HookReannouncesAfterABrokerRestart) {
    auto hook = live_hook("guard");
    auto first_run = broker_->broker().run_id();
    start_broker();
    ASSERT_NE(broker_->broker().run_id(), first_run);

    bool restarted = false;
    wait_until([&] {
        try {
            hook->next(50ms);
        } catch (const Lagged& lagged) {
            restarted = lagged.restarted();
        }
        return restarted;
    });
    EXPECT_TRUE(restarted);
    EXPECT_TRUE(hook->wait_ready(10s));

    AnsweringHook guard(std::move(hook), veto_with_extras);
    EXPECT_EQ(emitter()->emit_and_wait("capture", "{}", 10s).status, Status::replied);
}

TEST_F(Client, SubscriberReportsARestartAndTheSequenceAfterIt) {
    auto listener = subscriber({"capture"});
    emitter()->emit("capture", "{}");
    ASSERT_TRUE(listener->next(10s));
    start_broker();

    bool restarted = false;
    wait_until([&] {
        try {
            listener->next(50ms);
        } catch (const Lagged& lagged) {
            restarted = lagged.restarted();
        }
        return restarted;
    });
    EXPECT_TRUE(restarted);
}

TEST_F(Client, WaitWithNoBrokerAtAllEndsUnreachable) {
    TempDir empty;
    EmitterOptions options;
    options.endpoint = hookbus::endpoints_in(empty.path()).emit;
    options.grace = 200ms;
    Emitter lonely(options);

    auto started = Clock::now();
    auto out = lonely.emit_and_wait("capture", "{}", 300ms);
    EXPECT_EQ(out.status, Status::unreachable);
    EXPECT_LT(Clock::now() - started, 10s) << "the client deadline did not hold";
}

TEST_F(Client, EmitWithNoBrokerAtAllEndsUnreachable) {
    TempDir empty;
    EmitterOptions options;
    options.endpoint = hookbus::endpoints_in(empty.path()).emit;
    options.request_timeout = 300ms;
    Emitter lonely(options);
    EXPECT_EQ(lonely.emit("capture", "{}").status, Status::unreachable);
    EXPECT_FALSE(lonely.stats());
}

TEST_F(Client, RequestGivenUpOnNeverReachesABrokerStartedLater) {
    TempDir later;
    auto config = hookbus::testing::test_broker_config(later);
    EmitterOptions options;
    options.endpoint = config.endpoints.emit;
    options.request_timeout = 1s;
    Emitter early(options);
    ASSERT_EQ(early.emit("capture", "{}").status, Status::unreachable);

    RunningBroker broker(config);
    hookbus::Outcome out;
    wait_until([&] { return (out = early.emit("deploy", "{}")).status == Status::ok; });
    ASSERT_EQ(out.status, Status::ok);
    EXPECT_EQ(early.stats()->value("events_emitted", 0), 1);
}

TEST_F(Client, BrokerStoppedMidWaitTellsShuttingDown) {
    auto silent = live_hook("silent");
    auto sender = emitter();
    sender->start("capture", "{}", 30s);
    ASSERT_TRUE(wait_until([&] { return sender->stats()->value("pending", 0) == 1; }));

    broker_->stop();
    auto done = sender->next(10s);
    ASSERT_TRUE(done);
    EXPECT_EQ(done->outcome.status, Status::shutting_down);
}

TEST_F(Client, WaitOnABrokerThatIsGoneEndsUnreachable) {
    auto silent = live_hook("silent");
    EmitterOptions options;
    options.endpoint = endpoints().emit;
    options.grace = 200ms;
    Emitter sender(options);
    broker_->stop();

    auto out = sender.emit_and_wait("capture", "{}", 300ms);
    EXPECT_EQ(out.status, Status::unreachable);
}

TEST_F(Client, FullPendingTableIsOverloaded) {
    start_broker([](hookbus::BrokerConfig& config) { config.max_pending = 1; });
    auto silent = live_hook("silent");
    auto sender = emitter();
    sender->start("capture", "{}", 10s);

    auto out = sender->emit_and_wait("capture", "{}", 10s);
    EXPECT_EQ(out.status, Status::overloaded);
    EXPECT_EQ(out.error_code, hookbus::ErrorCode::overloaded);
}

TEST_F(Client, TimeoutAboveTheBrokerMaximumIsRefused) {
    auto silent = live_hook("silent");
    auto out = emitter()->emit_and_wait("capture", "{}", 1h);
    EXPECT_EQ(out.status, Status::refused);
    EXPECT_EQ(out.error_code, hookbus::ErrorCode::bad_timeout);
    EXPECT_FALSE(out.error_message.empty());
}

TEST_F(Client, BadNameIsRefusedLocally) {
    EXPECT_THROW(emitter()->emit("$welcome", "{}"), std::invalid_argument);
    EXPECT_THROW(emitter()->start("bad name", "{}", 1s), std::invalid_argument);
}

TEST_F(Client, OversizedRequestIsRefusedLocally) {
    std::string huge = Json{{"pad", std::string(2 << 20, 'x')}}.dump();
    EXPECT_THROW(emitter()->emit("capture", huge), std::invalid_argument);
}

TEST_F(Client, StatsCountTheBrokersWork) {
    auto sender = emitter();
    sender->emit("capture", "{}");
    sender->emit_and_wait("capture", "{}", 1s);

    auto stats = sender->stats();
    ASSERT_TRUE(stats);
    EXPECT_EQ(stats->value("events_emitted", 0), 1);
    EXPECT_EQ(stats->value("no_hook", 0), 1);
}

TEST_F(Client, LateReplyIsNotAccepted) {
    HookOptions options{"late", {"capture"}, endpoints()};
    Hook hook(options);
    ASSERT_TRUE(hook.wait_ready(10s));
    auto sender = emitter();
    sender->start("capture", "{}", 200ms);

    auto event = hook.next(10s);
    ASSERT_TRUE(event);
    ASSERT_TRUE(sender->next(10s));
    EXPECT_FALSE(hook.reply(*event, Json{{"abort", "too late"}}));
}

TEST_F(Client, PostedRepliesAnswerManyWaitsAtOnce) {
    auto hook = live_hook("pipelined");
    auto sender = emitter();
    for (int n = 0; n < 50; ++n) sender->start("capture", "{}", 20s);

    for (int n = 0; n < 50; ++n) {
        auto event = hook->next(10s);
        ASSERT_TRUE(event);
        ASSERT_TRUE(hook->post_reply(*event, R"({"abort":""})"));
    }
    int replied = 0;
    while (auto done = sender->next(10s))
        replied += done->outcome.status == Status::replied ? 1 : 0;
    EXPECT_EQ(replied, 50);
    EXPECT_TRUE(hook->flush_replies(10s));
    EXPECT_EQ(hook->reply_counts().accepted, 50u);
}

TEST_F(Client, PostedReplyVerdictsReachTheCallback) {
    std::vector<hookbus::Verdict> verdicts;
    HookOptions options{"posting", {"capture"}, endpoints()};
    options.on_verdict = [&](const hookbus::Verdict& v) { verdicts.push_back(v); };
    Hook hook(options);
    ASSERT_TRUE(hook.wait_ready(10s));
    auto sender = emitter();
    sender->start("capture", "{}", 10s);
    auto event = hook.next(10s);
    ASSERT_TRUE(event);

    hook.post_reply(*event, Json::object());
    hook.post_reply(*event, Json::object());  // second answer: refused
    ASSERT_TRUE(hook.flush_replies(10s));
    ASSERT_EQ(verdicts.size(), 2u);
    EXPECT_TRUE(verdicts[0].accepted && verdicts[0].id == event->id);
    EXPECT_FALSE(verdicts[1].accepted || verdicts[1].timed_out);
}

TEST_F(Client, BlockingReplyGetsItsOwnVerdictAmongPostedOnes) {
    auto hook = live_hook("mixed");
    auto sender = emitter();
    sender->start("capture", "{}", 10s);
    sender->start("capture", "{}", 10s);
    auto first = hook->next(10s);
    auto second = hook->next(10s);
    ASSERT_TRUE(first && second);

    ASSERT_TRUE(hook->post_reply(*first, "{}"));
    EXPECT_TRUE(hook->reply(*second, "{}"));
    EXPECT_TRUE(hook->flush_replies(10s));
    EXPECT_EQ(hook->reply_counts().accepted, 2u);
}

TEST_F(Client, PostedReplyWithoutAckTimesOut) {
    HookOptions options{"orphan", {"capture"}, endpoints()};
    options.reply_timeout = 200ms;
    Hook hook(options);
    ASSERT_TRUE(hook.wait_ready(10s));
    auto sender = emitter();
    sender->start("capture", "{}", 10s);
    auto event = hook.next(10s);
    ASSERT_TRUE(event);
    broker_.reset();

    ASSERT_TRUE(hook.post_reply(*event, "{}"));
    EXPECT_TRUE(hook.flush_replies(5s));
    EXPECT_EQ(hook.reply_counts().timed_out, 1u);
}
