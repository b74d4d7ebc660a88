// The in-process broker over real ipc (and tcp) sockets, driven by raw cppzmq clients
// that speak the wire protocol through the codec only. Each test proves one numbered
// behaviour of the core issue: emit, wait outcomes, first-wins, sequences, never
// blocking on slow hooks, bad input, the pending bound and shutdown.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/broker_fixture.hpp"
#include "support/raw_clients.hpp"
#include "support/wait_until.hpp"

namespace hookbus {
namespace {

using namespace hookbus::testing;
using std::chrono::milliseconds;

template <class T, class Variant>
const T* as(const std::optional<Variant>& response) {
    return response ? std::get_if<T>(&*response) : nullptr;
}

std::optional<EmitResponse> recv_emit(RawDealer& dealer,
                                      milliseconds timeout = response_wait) {
    const auto body = dealer.recv_body(timeout);
    if (!body) return std::nullopt;
    return decode_emit_response(*body);
}

// The error code the broker answers `frames` with, or what went wrong instead.
std::string error_code_for(RawDealer& dealer, const std::vector<std::string>& frames) {
    dealer.send_frames(frames);
    const auto body = dealer.recv_body();
    if (!body) return "no response";
    const auto response = decode_emit_response(*body);
    const auto* error = std::get_if<Error>(&response);
    return error ? error->code_text : "not an error";
}

std::string msgpack_of(const nlohmann::json& value) {
    const auto bytes = nlohmann::json::to_msgpack(value);
    return std::string(bytes.begin(), bytes.end());
}

bool is_uuid4(const std::string& id) {
    return id.size() == 36 && id[14] == '4' &&
           std::string("89ab").find(id[19]) != std::string::npos;
}

class BrokerTest : public ::testing::Test {
  protected:
    void start(const std::function<void(BrokerConfig&)>& tweak = {}) {
        BrokerConfig config = test_broker_config(dir_);
        if (tweak) tweak(config);
        broker_ = std::make_unique<RunningBroker>(std::move(config));
    }
    const Endpoints& endpoints() const { return broker_->endpoints(); }
    RawDealer emitter() { return RawDealer(context_, endpoints().emit); }
    RawDealer replier() { return RawDealer(context_, endpoints().replies); }
    std::unique_ptr<RawHook> live_hook(const std::string& name,
                                       std::vector<std::string> events = {"capture"}) {
        auto hook = std::make_unique<RawHook>(context_, endpoints(), name, events);
        EXPECT_TRUE(hook->start());
        return hook;
    }
    nlohmann::json stats() { return emitter().stats(); }
    bool subscribed(const std::string& topic, int count = 1) {
        return wait_until([&] {
            const auto subscriptions = stats()["subscriptions"];
            return subscriptions.value(topic, 0) >= count;
        });
    }

    TempDir dir_;
    zmq::context_t context_;
    std::unique_ptr<RunningBroker> broker_;
};

// ---- 1. emit ------------------------------------------------------------------------

TEST_F(BrokerTest, FireAndForgetIsAckedWithAFreshUuid4) {
    start();
    RawDealer client = emitter();
    const auto response = client.ask(make_emit("capture", R"({"x":1})"));
    const auto* ack = as<Ack>(response);
    ASSERT_NE(ack, nullptr);
    EXPECT_TRUE(is_uuid4(ack->id)) << ack->id;
    EXPECT_EQ(ack->seq, 1u);
    EXPECT_GT(ack->emitted_at.seconds, 0);
}

TEST_F(BrokerTest, FireAndForgetEventReachesSubscribersVerbatimWithNilDeadline) {
    start();
    RawSub listener(context_, endpoints().events, {std::string("capture") + '\0'});
    ASSERT_TRUE(subscribed("capture"));
    RawDealer client = emitter();
    const auto response = client.ask(make_emit("capture", R"({ "x" : [1, 2] })"));
    const auto event = listener.next_event();
    ASSERT_TRUE(event.has_value());
    EXPECT_EQ(event->id, as<Ack>(response)->id);
    EXPECT_EQ(event->payload_json, R"({ "x" : [1, 2] })");
    EXPECT_FALSE(event->deadline.has_value());
}

TEST_F(BrokerTest, SubscriptionToCaptureDoesNotReceiveCaptureDone) {
    start();
    RawSub listener(context_, endpoints().events, {std::string("capture") + '\0'});
    ASSERT_TRUE(subscribed("capture"));
    RawDealer client = emitter();
    client.ask(make_emit("capture_done"));
    client.ask(make_emit("capture"));
    const auto event = listener.next_event();
    ASSERT_TRUE(event.has_value());
    EXPECT_EQ(event->name, "capture");
}

TEST_F(BrokerTest, NewSubscriberIsWelcomedWithRunAndSizeLimit) {
    start();
    RawSub listener(context_, endpoints().events, {std::string(welcome_topic) + '\0'});
    const auto published = listener.recv();
    const auto* welcome = as<Welcome>(published);
    ASSERT_NE(welcome, nullptr);
    EXPECT_EQ(welcome->run, broker_->broker().run_id());
    EXPECT_EQ(welcome->max_msg_size, std::uint64_t{1} << 20);
}

// ---- 2. emit and wait ---------------------------------------------------------------

TEST_F(BrokerTest, WaitIsRepliedWithTheWholeAnswerAndTheHookName) {
    start();
    auto hook = live_hook("guard");
    RawDealer client = emitter();
    client.send_body(encode(make_emit("capture", "{}", true, 5000)));
    const auto event = hook->next_event();
    ASSERT_TRUE(event && event->deadline.has_value());
    const std::string answer = R"({"abort":"no captures on main","score":3})";
    EXPECT_EQ(hook->reply(event->id, answer), true);
    const auto response = recv_emit(client);
    const auto* result = as<Result>(response);
    ASSERT_NE(result, nullptr);
    EXPECT_EQ(result->outcome, WaitOutcome::replied);
    ASSERT_EQ(result->replies.size(), 1u);
    EXPECT_EQ(result->replies[0].reply_json, answer);
    EXPECT_EQ(result->replies[0].hook, "guard");
}

TEST_F(BrokerTest, WaitTimesOutWhenNoHookAnswers) {
    start();
    auto hook = live_hook("sleepy");
    RawDealer client = emitter();
    const auto response = client.ask(make_emit("capture", "{}", true, 100));
    const auto* result = as<Result>(response);
    ASSERT_NE(result, nullptr);
    EXPECT_EQ(result->outcome, WaitOutcome::timed_out);
    EXPECT_TRUE(result->replies.empty());
}

TEST_F(BrokerTest, NoLiveHookGivesNoHookAtOnceAndPublishesNothing) {
    start();
    RawSub listener(context_, endpoints().events, {std::string("capture") + '\0'});
    ASSERT_TRUE(subscribed("capture"));
    RawDealer client = emitter();
    // The timeout is far beyond the client's wait, so only an at-once answer passes.
    const auto response =
        client.ask(make_emit("capture", "{}", true, 30000), milliseconds(3000));
    const auto* result = as<Result>(response);
    ASSERT_NE(result, nullptr);
    EXPECT_EQ(result->outcome, WaitOutcome::no_hook);
    EXPECT_EQ(result->id, "");
    const auto ack = client.ask(make_emit("capture"));
    EXPECT_EQ(listener.next_event()->id, as<Ack>(ack)->id);
}

TEST_F(BrokerTest, SubscriberWithoutHelloDoesNotCountAsAHook) {
    start();
    const std::string instance = make_uuid4();
    RawSub lurker(context_, endpoints().events, hook_topics({"capture"}, instance));
    ASSERT_TRUE(subscribed("capture"));
    RawDealer client = emitter();
    const auto response = client.ask(make_emit("capture", "{}", true, 30000));
    EXPECT_EQ(as<Result>(response)->outcome, WaitOutcome::no_hook);
}

TEST_F(BrokerTest, HelloWithoutSubscriptionGetsNoHelloOkAndDoesNotCount) {
    start();
    RawDealer hook_dealer = replier();
    hook_dealer.send_body(encode(Hello{"lonely", "guard", {"capture"}}));
    RawDealer client = emitter();
    const auto response = client.ask(make_emit("capture", "{}", true, 30000));
    EXPECT_EQ(as<Result>(response)->outcome, WaitOutcome::no_hook);
    EXPECT_FALSE(hook_dealer.recv_body(milliseconds(50)).has_value());
}

TEST_F(BrokerTest, HelloBeforeSubscriptionGetsHelloOkOnceSubscribed) {
    start();
    RawDealer hook_dealer = replier();
    hook_dealer.send_body(encode(Hello{"late-sub", "guard", {"capture"}}));
    ASSERT_TRUE(wait_until([&] { return stats()["hooks"].size() == 1; }));
    RawSub sub(context_, endpoints().events, hook_topics({"capture"}, "late-sub"));
    const auto body = hook_dealer.recv_body();
    ASSERT_TRUE(body.has_value());
    const auto response = decode_hook_response(*body);
    EXPECT_EQ(std::get<HelloOk>(response).instance, "late-sub");
}

TEST_F(BrokerTest, HookClosingItsEventsConnectionStopsCounting) {
    start();
    auto hook = live_hook("guard");
    hook->close_events();
    ASSERT_TRUE(wait_until([&] { return stats()["hooks"].empty(); }));
    RawDealer client = emitter();
    const auto response = client.ask(make_emit("capture", "{}", true, 30000));
    EXPECT_EQ(as<Result>(response)->outcome, WaitOutcome::no_hook);
}

TEST_F(BrokerTest, ByeStopsCounting) {
    start();
    auto hook = live_hook("guard");
    const auto bye = hook->dealer().tell(Bye{hook->instance()});
    EXPECT_NE(as<ByeOk>(bye), nullptr);
    RawDealer client = emitter();
    const auto response = client.ask(make_emit("capture", "{}", true, 30000));
    EXPECT_EQ(as<Result>(response)->outcome, WaitOutcome::no_hook);
}

TEST_F(BrokerTest, HelloWhoseSubscriptionNeverComesIsForgotten) {
    start([](BrokerConfig& config) { config.hello_timeout = milliseconds(100); });
    RawDealer hook_dealer = replier();
    hook_dealer.send_body(encode(Hello{"lonely", "guard", {"capture"}}));
    ASSERT_TRUE(wait_until([&] { return stats()["hooks"].size() == 1; }));
    EXPECT_TRUE(wait_until([&] { return stats()["hooks"].empty(); }));
    EXPECT_TRUE(wait_until([&] { return broker_->logged("HB-HOOK-EXPIRED"); }));
}

TEST_F(BrokerTest, HelloPastMaxHooksIsOverloaded) {
    start([](BrokerConfig& config) { config.max_hooks = 1; });
    auto hook = live_hook("only");
    RawDealer hook_dealer = replier();
    const auto response = hook_dealer.tell(Hello{"second", "guard", {"capture"}});
    const auto* error = as<Error>(response);
    ASSERT_NE(error, nullptr);
    EXPECT_EQ(error->code, ErrorCode::overloaded);
    EXPECT_NE(error->message.find("--max-hooks"), std::string::npos);
}

// ---- 3. first reply wins ------------------------------------------------------------

TEST_F(BrokerTest, FirstReplyWinsAndTheSecondIsRefused) {
    start();
    auto first = live_hook("first");
    auto second = live_hook("second");
    RawDealer client = emitter();
    client.send_body(encode(make_emit("capture", "{}", true, 5000)));
    const auto event = first->next_event();
    ASSERT_TRUE(event && second->next_event());
    EXPECT_EQ(first->reply(event->id, R"({"n":1})"), true);
    EXPECT_EQ(second->reply(event->id, R"({"n":2})"), false);
    const auto response = recv_emit(client);
    EXPECT_EQ(as<Result>(response)->replies.at(0).hook, "first");
}

TEST_F(BrokerTest, LateReplyIsRefused) {
    start();
    auto hook = live_hook("slow");
    RawDealer client = emitter();
    client.send_body(encode(make_emit("capture", "{}", true, 50)));
    const auto event = hook->next_event();
    ASSERT_TRUE(event.has_value());
    const auto response = recv_emit(client);
    ASSERT_EQ(as<Result>(response)->outcome, WaitOutcome::timed_out);
    EXPECT_EQ(hook->reply(event->id, "{}"), false);
}

TEST_F(BrokerTest, ReplyToUnknownOrFireAndForgetIdIsRefused) {
    start();
    auto hook = live_hook("guard");
    EXPECT_EQ(hook->reply(make_uuid4(), "{}"), false);
    EXPECT_EQ(hook->reply("not-a-uuid", "{}"), false);
    RawDealer client = emitter();
    const auto ack = client.ask(make_emit("capture"));
    EXPECT_EQ(hook->reply(as<Ack>(ack)->id, "{}"), false);
}

TEST_F(BrokerTest, PendingCountReturnsToZeroAfterEveryOutcome) {
    start();
    auto hook = live_hook("guard");
    RawDealer client = emitter();
    client.send_body(encode(make_emit("capture", "{}", true, 5000)));
    hook->reply(hook->next_event()->id, "{}");
    recv_emit(client);
    client.ask(make_emit("capture", "{}", true, 20));
    hook->reply(make_uuid4(), "{}");
    const auto counters = stats();
    EXPECT_EQ(counters["pending"], 0);
    EXPECT_EQ(counters["replies_accepted"], 1);
    EXPECT_EQ(counters["timeouts"], 1);
}

TEST_F(BrokerTest, ExpectAllCollectsAnAnswerFromEveryLiveHook) {
    start();
    auto a = live_hook("a");
    auto b = live_hook("b");
    RawDealer client = emitter();
    client.send_body(encode(make_emit("capture", "{}", true, 5000, Expect::all)));
    const auto event = a->next_event();
    ASSERT_TRUE(event && b->next_event());
    EXPECT_EQ(b->reply(event->id, R"({"from":"b"})"), true);
    EXPECT_EQ(a->reply(event->id, R"({"from":"a"})"), true);
    const auto response = recv_emit(client);
    EXPECT_EQ(as<Result>(response)->outcome, WaitOutcome::replied);
    EXPECT_EQ(as<Result>(response)->replies.size(), 2u);
}

TEST_F(BrokerTest, ExpectAllTimesOutWithThePartialAnswers) {
    start();
    auto a = live_hook("a");
    auto b = live_hook("b");
    RawDealer client = emitter();
    client.send_body(encode(make_emit("capture", "{}", true, 300, Expect::all)));
    const auto event = a->next_event();
    ASSERT_TRUE(event.has_value());
    EXPECT_EQ(a->reply(event->id, "{}"), true);
    const auto response = recv_emit(client);
    EXPECT_EQ(as<Result>(response)->outcome, WaitOutcome::timed_out);
    EXPECT_EQ(as<Result>(response)->replies.size(), 1u);
}

// ---- 4. loss is visible -------------------------------------------------------------

TEST_F(BrokerTest, SequenceNumbersIncreaseByOnePerName) {
    start();
    RawDealer client = emitter();
    std::vector<std::uint64_t> seqs;
    for (const char* name : {"a", "a", "b", "a"}) {
        const auto response = client.ask(make_emit(name));
        seqs.push_back(as<Ack>(response)->seq);
    }
    EXPECT_EQ(seqs, (std::vector<std::uint64_t>{1, 2, 1, 3}));
}

TEST_F(BrokerTest, SlowSubscriberSeesAGapInSequenceNumbers) {
    start([](BrokerConfig& config) { config.send_hwm = 4; });
    RawSub slow(context_, endpoints().events, {std::string("flood") + '\0'}, 1);
    ASSERT_TRUE(subscribed("flood"));
    RawDealer client = emitter();
    const std::string payload = "\"" + std::string(4000, 'x') + "\"";
    constexpr int rounds = 40;
    constexpr int window = 100;
    for (int round = 0; round < rounds; ++round) {
        for (int i = 0; i < window; ++i)
            client.send_body(encode(make_emit("flood", payload)));
        for (int i = 0; i < window; ++i) ASSERT_TRUE(client.recv_body().has_value());
    }
    std::vector<std::uint64_t> seqs;
    while (auto event = slow.next_event(milliseconds(300))) seqs.push_back(event->seq);
    ASSERT_FALSE(seqs.empty());
    EXPECT_LT(seqs.size(), std::size_t{rounds * window});
    EXPECT_GT(seqs.back() - seqs.front() + 1, seqs.size()) << "no gap in the seqs seen";
}

TEST_F(BrokerTest, RunChangesAcrossARestartAndSequencesStartAgain) {
    start();
    RawSub sub(context_, endpoints().events,
               {std::string(welcome_topic) + '\0', std::string("a") + '\0'});
    const auto first = sub.recv();
    ASSERT_NE(as<Welcome>(first), nullptr);
    emitter().ask(make_emit("a"));
    ASSERT_EQ(sub.next_event()->seq, 1u);
    broker_.reset();

    start();
    const auto second = sub.recv();
    ASSERT_NE(as<Welcome>(second), nullptr);
    EXPECT_NE(as<Welcome>(second)->run, as<Welcome>(first)->run);
    ASSERT_TRUE(subscribed("a"));
    emitter().ask(make_emit("a"));
    EXPECT_EQ(sub.next_event()->seq, 1u);
}

// ---- 5. a stuck hook costs nobody anything ------------------------------------------

TEST_F(BrokerTest, StuckHookDoesNotSlowEmittersOrOtherHooks) {
    start([](BrokerConfig& config) { config.send_hwm = 8; });
    const std::string stuck_instance = make_uuid4();
    RawSub stuck_sub(context_, endpoints().events,
                     hook_topics({"capture"}, stuck_instance), 1);
    RawDealer stuck_dealer = replier();
    ASSERT_NE(as<HelloOk>(stuck_dealer.tell(Hello{stuck_instance, "stuck", {"capture"}})),
              nullptr);
    auto fast = live_hook("fast");

    std::atomic<bool> done{false};
    std::thread answering([&] {
        while (!done) {
            if (auto event = fast->next_event(milliseconds(50)))
                fast->reply(event->id, "{}");
        }
    });
    RawDealer client = emitter();
    const std::string payload = "\"" + std::string(8000, 'y') + "\"";
    int replied = 0;
    for (int i = 0; i < 300; ++i) {
        const auto response = client.ask(make_emit("capture", payload, true, 10000));
        const auto* result = as<Result>(response);
        if (result && result->outcome == WaitOutcome::replied) ++replied;
    }
    done = true;
    answering.join();
    EXPECT_EQ(replied, 300);
}

// ---- 6. bad input -------------------------------------------------------------------

class BadInputTest : public BrokerTest,
                     public ::testing::WithParamInterface<const char*> {
  protected:
    RawDealer dealer() {
        return std::string(GetParam()) == "emit" ? emitter() : replier();
    }
};

TEST_P(BadInputTest, WrongFrameCountsAreBadFrames) {
    start();
    RawDealer client = dealer();
    EXPECT_EQ(error_code_for(client, {msgpack_of({{"v", hookbus::protocol_version}, {"op", "stats"}})}),
              "bad_frames");
    EXPECT_EQ(error_code_for(client, {"", "a", "b"}), "bad_frames");
    EXPECT_EQ(error_code_for(client, {"x", "body"}), "bad_frames");
}

TEST_P(BadInputTest, UndecodableBodiesAreBadMessage) {
    start();
    RawDealer client = dealer();
    EXPECT_EQ(error_code_for(client, {"", "\xc1"}), "bad_message");
    EXPECT_EQ(error_code_for(client, {"", msgpack_of(5)}), "bad_message");
    EXPECT_EQ(error_code_for(client, {"", msgpack_of({{"v", hookbus::protocol_version}}) + "trailing"}),
              "bad_message");
}

TEST_P(BadInputTest, UnknownOpAndVersionAreRefused) {
    start();
    RawDealer client = dealer();
    EXPECT_EQ(error_code_for(client, {"", msgpack_of({{"v", hookbus::protocol_version}, {"op", "dance"}})}),
              "unknown_op");
    EXPECT_EQ(error_code_for(client, {"", msgpack_of({{"v", hookbus::protocol_version + 1}, {"op", "emit"}})}),
              "unsupported_version");
}

TEST_P(BadInputTest, MissingAndMistypedFieldsAreBadField) {
    start();
    RawDealer client = dealer();
    const std::string op = std::string(GetParam()) == "emit" ? "emit" : "reply";
    EXPECT_EQ(error_code_for(client, {"", msgpack_of({{"v", hookbus::protocol_version}, {"op", op}})}),
              "bad_field");
    const auto mistyped = msgpack_of({{"v", hookbus::protocol_version},
                                      {"op", op},
                                      {"name", 5},
                                      {"id", 5},
                                      {"hook", 5},
                                      {"payload_json", "{}"},
                                      {"reply_json", "{}"}});
    EXPECT_EQ(error_code_for(client, {"", mistyped}), "bad_field");
}

TEST_P(BadInputTest, RefusalsAreCountedByCodeAndLogged) {
    start();
    RawDealer client = dealer();
    error_code_for(client, {"", "\xc1"});
    error_code_for(client, {"", "a", "b"});
    const auto counters = stats();
    EXPECT_EQ(counters["bad_messages"], 2);
    EXPECT_EQ(counters["bad_by_code"]["bad_frames"], 1);
    EXPECT_TRUE(broker_->logged("HB-BAD-MSG"));
}

INSTANTIATE_TEST_SUITE_P(OnEachRouter, BadInputTest,
                         ::testing::Values("emit", "replies"));

TEST_F(BrokerTest, OpOfTheOtherSocketIsUnknown) {
    start();
    RawDealer client = emitter();
    EXPECT_EQ(error_code_for(client, {"", encode(Hello{"i", "h", {"capture"}})}),
              "unknown_op");
    RawDealer hook_side = replier();
    EXPECT_EQ(error_code_for(hook_side, {"", encode(make_emit("capture"))}),
              "unknown_op");
}

TEST_F(BrokerTest, ReservedNameIsBadName) {
    start();
    RawDealer client = emitter();
    const auto body = msgpack_of(
        {{"v", hookbus::protocol_version}, {"op", "emit"}, {"name", "$hook/x"}, {"payload_json", "{}"}});
    EXPECT_EQ(error_code_for(client, {"", body}), "bad_name");
}

TEST_F(BrokerTest, ZeroOrExcessiveTimeoutIsBadTimeoutNamingTheFlag) {
    start([](BrokerConfig& config) { config.max_timeout = milliseconds(1000); });
    auto hook = live_hook("guard");
    RawDealer client = emitter();
    EXPECT_EQ(error_code_for(client, {"", encode(make_emit("capture", "{}", true, 0))}),
              "bad_timeout");
    const auto response = client.ask(make_emit("capture", "{}", true, 1001));
    const auto* error = as<Error>(response);
    ASSERT_NE(error, nullptr);
    EXPECT_NE(error->message.find("--max-timeout"), std::string::npos);
}

TEST_F(BrokerTest, BadClientDoesNotDisturbAGoodOne) {
    start();
    RawDealer bad = emitter();
    RawDealer good = emitter();
    for (int i = 0; i < 50; ++i) bad.send_frames({"", "\xc1"});
    const auto response = good.ask(make_emit("capture"));
    EXPECT_NE(as<Ack>(response), nullptr);
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(bad.recv_body().has_value());
}

TEST_F(BrokerTest, OversizedMessageIsDroppedAndTheBrokerKeepsServing) {
    start([](BrokerConfig& config) { config.max_msg_size = 1024; });
    RawDealer big = emitter();
    big.send_body(encode(make_emit("capture", "\"" + std::string(4096, 'z') + "\"")));
    RawDealer good = emitter();
    const auto response = good.ask(make_emit("capture"));
    EXPECT_NE(as<Ack>(response), nullptr);
    EXPECT_EQ(stats()["events_emitted"], 1);
}

TEST_F(BrokerTest, ResponseToAVanishedEmitterIsDroppedAndCounted) {
    start();
    auto hook = live_hook("silent");
    {
        RawDealer gone = emitter();
        gone.send_body(encode(make_emit("capture", "{}", true, 30)));
        ASSERT_TRUE(wait_until([&] { return stats()["waits_started"] == 1; }));
    }
    EXPECT_TRUE(wait_until([&] { return stats()["undeliverable"] == 1; }));
    EXPECT_EQ(stats()["timeouts"], 1);
}

// ---- 7. bounded pending table -------------------------------------------------------

TEST_F(BrokerTest, WaitPastMaxPendingIsOverloadedAtOnce) {
    start([](BrokerConfig& config) { config.max_pending = 2; });
    auto hook = live_hook("silent");
    RawDealer client = emitter();
    client.send_body(encode(make_emit("capture", "{}", true, 20000, Expect::first, 1)));
    client.send_body(encode(make_emit("capture", "{}", true, 20000, Expect::first, 2)));
    ASSERT_TRUE(wait_until([&] { return stats()["pending"] == 2; }));
    const auto response =
        client.ask(make_emit("capture", "{}", true, 20000, Expect::first, 3));
    const auto* error = as<Error>(response);
    ASSERT_NE(error, nullptr);
    EXPECT_EQ(error->code, ErrorCode::overloaded);
    EXPECT_EQ(error->req, 3u);
}

// ---- 8. shutdown --------------------------------------------------------------------

TEST_F(BrokerTest, StopTellsEveryWaiterShuttingDownAndRunReturns) {
    start();
    auto hook = live_hook("silent");
    RawDealer one = emitter();
    RawDealer two = emitter();
    one.send_body(encode(make_emit("capture", "{}", true, 20000, Expect::first, 11)));
    two.send_body(encode(make_emit("capture", "{}", true, 20000, Expect::first, 22)));
    ASSERT_TRUE(wait_until([&] { return stats()["pending"] == 2; }));
    broker_->stop();
    const auto first = recv_emit(one);
    const auto second = recv_emit(two);
    ASSERT_NE(as<Error>(first), nullptr);
    EXPECT_EQ(as<Error>(first)->code, ErrorCode::shutting_down);
    EXPECT_EQ(as<Error>(second)->req, 22u);
}

// ---- stats and endpoints ------------------------------------------------------------

TEST_F(BrokerTest, StatsListHooksAndSubscriptions) {
    start();
    auto hook = live_hook("guard", {"capture", "deploy"});
    const auto counters = stats();
    ASSERT_EQ(counters["hooks"].size(), 1u);
    EXPECT_EQ(counters["hooks"][0]["hook"], "guard");
    EXPECT_EQ(counters["hooks"][0]["live"], true);
    EXPECT_EQ(counters["subscriptions"]["deploy"], 1);
}

TEST_F(BrokerTest, SecondBrokerOnTheSameEndpointsRefusesToStart) {
    start();
    try {
        Broker second(test_broker_config(dir_));
        FAIL() << "a second broker took over live endpoints";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("answers"), std::string::npos) << e.what();
    }
    EXPECT_NE(as<Ack>(emitter().ask(make_emit("capture"))), nullptr);
}

TEST_F(BrokerTest, StaleSocketFilesOfADeadBrokerAreReplaced) {
    const Endpoints stale = test_broker_config(dir_).endpoints;
    ensure_private_dir(dir_.file("bus"));
    for (const auto* endpoint : {&stale.events, &stale.replies, &stale.emit}) {
        const std::string path = endpoint->substr(std::string("ipc://").size());
        ::close(::creat(path.c_str(), 0600));
    }
    start();
    EXPECT_NE(as<Ack>(emitter().ask(make_emit("capture"))), nullptr);
}

TEST(BrokerTcp, ServesOnEphemeralLoopbackPorts) {
    RunningBroker broker(tcp_broker_config());
    EXPECT_EQ(broker.endpoints().emit.find('*'), std::string::npos);
    zmq::context_t context;
    RawDealer client(context, broker.endpoints().emit);
    const auto response = client.ask(make_emit("capture"));
    EXPECT_NE(as<Ack>(response), nullptr);
}

}  // namespace
}  // namespace hookbus
