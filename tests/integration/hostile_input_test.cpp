// Hostile and broken input against an in-process broker over real ipc sockets: every
// class of malformed message on the emit and replies ROUTERs and odd subscription
// messages on the events XPUB, one at a time and as floods from several sockets, while
// a good subscriber, emitter, waiter and hook keep working beside them. The broker
// must refuse each with its error code, count each, deliver every good event and
// answer every good wait rightly, and keep serving.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/broker_fixture.hpp"
#include "support/raw_clients.hpp"
#include "support/wait_until.hpp"

namespace hookbus {
namespace {

using namespace hookbus::testing;
using std::chrono::milliseconds;
using Tally = std::map<std::string, std::uint64_t>;

constexpr std::size_t max_msg_size = 64 * 1024;
constexpr std::uint64_t max_timeout_ms = 30000;

/// One malformed request and the error code the broker must answer it with.
struct BadInput {
    std::string what;
    std::vector<std::string> frames;
    std::string code;
};

std::string msgpack_of(const nlohmann::json& value) {
    const auto bytes = nlohmann::json::to_msgpack(value);
    return std::string(bytes.begin(), bytes.end());
}

std::string bytes(std::initializer_list<int> values) {
    std::string text;
    for (int value : values) text += static_cast<char>(value);
    return text;
}

BadInput body(std::string what, std::string bytes, std::string code) {
    return {std::move(what), {"", std::move(bytes)}, std::move(code)};
}

// Classes that are refused alike on both ROUTER sockets.
std::vector<BadInput> common_bad_inputs(const std::string& op) {
    const std::string good = msgpack_of({{"v", hookbus::protocol_version}, {"op", op}});
    return {
        {"no delimiter", {good}, "bad_frames"},
        {"three frames", {"", good, good}, "bad_frames"},
        {"non-empty delimiter", {"x", good}, "bad_frames"},
        {"four frames", {"", "", "", good}, "bad_frames"},
        body("empty body", "", "bad_message"),
        body("invalid msgpack byte", "\xc1", "bad_message"),
        body("truncated map", bytes({0x82, 0xa1, 'v'}), "bad_message"),
        body("not a map", msgpack_of(5), "bad_message"),
        body("array body", msgpack_of({1, 2, 3}), "bad_message"),
        body("trailing bytes", good + "tail", "bad_message"),
        body("key that is not a str", bytes({0x81, 0x01, 0x01}), "bad_message"),
        body("repeated key", bytes({0x82, 0xa1, 'v', 0x01, 0xa1, 'v', 0x01}),
             "bad_message"),
        body("nested too deep", std::string(200, '\x91') + '\x01', "bad_message"),
        body("array claiming 4 billion items", bytes({0xdd, 0xff, 0xff, 0xff, 0xff}),
             "bad_message"),
        body("v missing", msgpack_of({{"op", op}}), "bad_field"),
        body("v is a str", msgpack_of({{"v", "1"}, {"op", op}}), "bad_field"),
        body("v is the next version", msgpack_of({{"v", hookbus::protocol_version + 1}, {"op", op}}), "unsupported_version"),
        body("v is 0", msgpack_of({{"v", 0}, {"op", op}}), "unsupported_version"),
        body("v is -1", msgpack_of({{"v", -1}, {"op", op}}), "unsupported_version"),
        body("op missing", msgpack_of({{"v", hookbus::protocol_version}}), "bad_field"),
        body("op is an int", msgpack_of({{"v", hookbus::protocol_version}, {"op", 5}}), "bad_field"),
        body("op is bin", msgpack_of({{"v", hookbus::protocol_version}, {"op", nlohmann::json::binary({'e'})}}),
             "bad_field"),
        body("unknown op", msgpack_of({{"v", hookbus::protocol_version}, {"op", "dance"}}), "unknown_op"),
    };
}

std::vector<BadInput> bad_emit_inputs() {
    auto inputs = common_bad_inputs("stats");
    auto emit = [](nlohmann::json fields) {
        nlohmann::json body = {
            {"v", hookbus::protocol_version}, {"op", "emit"}, {"name", "capture"}, {"payload_json", "{}"}};
        body.update(fields);
        return msgpack_of(body);
    };
    const std::vector<BadInput> own = {
        body("name missing",
             msgpack_of({{"v", hookbus::protocol_version}, {"op", "emit"}, {"payload_json", "{}"}}), "bad_field"),
        body("payload missing", msgpack_of({{"v", hookbus::protocol_version}, {"op", "emit"}, {"name", "a"}}),
             "bad_field"),
        body("name is an int", emit({{"name", 5}}), "bad_field"),
        body("payload is an array", emit({{"payload_json", {1}}}), "bad_field"),
        body("wait is an int", emit({{"wait", 1}}), "bad_field"),
        body("timeout is a str", emit({{"wait", true}, {"timeout_ms", "5"}}),
             "bad_field"),
        body("timeout is negative", emit({{"wait", true}, {"timeout_ms", -5}}),
             "bad_field"),
        body("expect is unknown", emit({{"wait", true}, {"expect", "some"}}),
             "bad_field"),
        body("req is a str", msgpack_of({{"v", hookbus::protocol_version}, {"op", "stats"}, {"req", "7"}}),
             "bad_field"),
        body("reserved name", emit({{"name", "$welcome"}}), "bad_name"),
        body("name too long", emit({{"name", std::string(129, 'a')}}), "bad_name"),
        body("name with a NUL", emit({{"name", std::string("cap\0ture", 8)}}),
             "bad_name"),
        body("timeout zero", emit({{"wait", true}, {"timeout_ms", 0}}), "bad_timeout"),
        body("timeout above the maximum",
             emit({{"wait", true}, {"timeout_ms", max_timeout_ms + 1}}), "bad_timeout"),
        body("hello on the emit socket", encode(Hello{"i", "h", {"capture"}}),
             "unknown_op"),
    };
    inputs.insert(inputs.end(), own.begin(), own.end());
    return inputs;
}

std::vector<BadInput> bad_hook_inputs() {
    auto inputs = common_bad_inputs("bye");
    auto hello = [](nlohmann::json fields) {
        nlohmann::json body = {{"v", hookbus::protocol_version},
                               {"op", "hello"},
                               {"instance", "i-1"},
                               {"hook", "bad"},
                               {"events", {"capture"}}};
        body.update(fields);
        return msgpack_of(body);
    };
    auto reply = [](nlohmann::json fields) {
        nlohmann::json body = {{"v", hookbus::protocol_version},
                               {"op", "reply"},
                               {"id", make_uuid4()},
                               {"hook", "bad"},
                               {"reply_json", "{}"}};
        body.update(fields);
        return msgpack_of(body);
    };
    const std::vector<BadInput> own = {
        body("hello without events",
             msgpack_of({{"v", hookbus::protocol_version}, {"op", "hello"}, {"instance", "i"}, {"hook", "h"}}),
             "bad_field"),
        body("hello with no event names", hello({{"events", nlohmann::json::array()}}),
             "bad_field"),
        body("hello with 1025 names",
             hello({{"events", std::vector<std::string>(1025, "a")}}), "bad_field"),
        body("hello with an int name", hello({{"events", {5}}}), "bad_field"),
        body("hello with a bad name", hello({{"events", {"$x"}}}), "bad_name"),
        body("hello with a bad instance", hello({{"instance", "a b"}}), "bad_field"),
        body("hello with a long instance", hello({{"instance", std::string(65, 'a')}}),
             "bad_field"),
        body("hello with an empty hook name", hello({{"hook", ""}}), "bad_field"),
        body("hello with a hook name that is not UTF-8", hello({{"hook", "\xff\xfe"}}),
             "bad_field"),
        body("reply without reply_json",
             msgpack_of({{"v", hookbus::protocol_version}, {"op", "reply"}, {"id", "x"}, {"hook", "h"}}),
             "bad_field"),
        body("reply_json not an object", reply({{"reply_json", "[1]"}}), "bad_field"),
        body("reply_json not JSON", reply({{"reply_json", "{"}}), "bad_field"),
        body("reply id is an int", reply({{"id", 5}}), "bad_field"),
        body("bye without instance", msgpack_of({{"v", hookbus::protocol_version}, {"op", "bye"}}), "bad_field"),
        body("emit on the replies socket", encode(make_emit("capture")), "unknown_op"),
    };
    inputs.insert(inputs.end(), own.begin(), own.end());
    return inputs;
}

Tally tally_of(const std::vector<BadInput>& inputs, std::uint64_t rounds) {
    Tally tally;
    for (const auto& input : inputs) tally[input.code] += rounds;
    return tally;
}

void add(Tally& into, const Tally& more) {
    for (const auto& [code, count] : more) into[code] += count;
}

// Messages on the events socket that are not subscriptions, each its own class.
std::vector<std::string> odd_subscription_messages(const std::string& victim) {
    return {"", "garbage", std::string("\x02~hook/") + victim,
            std::string("\xff") + "capture" + '\0', std::string(1000, '\x7f')};
}

class HostileInputTest : public ::testing::Test {
  protected:
    void SetUp() override {
        BrokerConfig config = test_broker_config(dir_);
        config.max_msg_size = max_msg_size;
        config.max_timeout = milliseconds(max_timeout_ms);
        // Deep enough that the good subscriber loses nothing however the flood
        // schedules it; loss under load is the load tests' subject.
        config.send_hwm = 1'000'000;
        broker_ = std::make_unique<RunningBroker>(std::move(config));
    }

    const Endpoints& endpoints() const { return broker_->endpoints(); }
    RawDealer emitter() { return RawDealer(context_, endpoints().emit); }
    RawDealer replier() { return RawDealer(context_, endpoints().replies); }
    nlohmann::json stats() { return emitter().stats(); }

    zmq::socket_t xsub() {
        zmq::socket_t socket(context_, zmq::socket_type::xsub);
        socket.set(zmq::sockopt::linger, 0);
        // XSUB drops what does not fit its send queue; unbounded, every message
        // reaches the broker and the counts below are exact.
        socket.set(zmq::sockopt::sndhwm, 0);
        socket.connect(endpoints().events);
        return socket;
    }

    bool hook_live(const std::string& instance) {
        const auto counters = stats();
        for (const auto& hook : counters["hooks"]) {
            if (hook["instance"] == instance) return hook["live"] == true;
        }
        return false;
    }

    bool subscribed(const std::string& topic) {
        return wait_until([&] { return stats()["subscriptions"].value(topic, 0) > 0; });
    }

    TempDir dir_;
    zmq::context_t context_;
    std::unique_ptr<RunningBroker> broker_;
};

// Sends `inputs` in windows and checks each answer, in order; the codes the broker
// answered with are added to `answered`, the first mismatch to `failures`.
void flood(RawDealer& dealer, const std::vector<BadInput>& inputs, std::uint64_t rounds,
           Tally& answered, std::vector<std::string>& failures) {
    for (std::uint64_t round = 0; round < rounds; ++round) {
        for (const auto& input : inputs) dealer.send_frames(input.frames);
        for (const auto& input : inputs) {
            const auto body = dealer.recv_body();
            if (!body) {
                failures.push_back(input.what + ": no response");
                return;
            }
            // Both response decoders read an `error` alike.
            const auto response = decode_emit_response(*body);
            const auto* error = std::get_if<Error>(&response);
            const std::string code = error ? error->code_text : "not an error";
            ++answered[code];
            if (code != input.code && failures.size() < 10) {
                failures.push_back(input.what + ": got " + code + ", want " + input.code);
            }
        }
    }
}

TEST_F(HostileInputTest, EveryMalformedClassGetsItsErrorCodeOnTheEmitSocket) {
    RawDealer dealer = emitter();
    for (const auto& input : bad_emit_inputs()) {
        SCOPED_TRACE(input.what);
        dealer.send_frames(input.frames);
        const auto body = dealer.recv_body();
        ASSERT_TRUE(body.has_value());
        const auto response = decode_emit_response(*body);
        const auto* error = std::get_if<Error>(&response);
        ASSERT_NE(error, nullptr);
        EXPECT_EQ(error->code_text, input.code);
    }
}

TEST_F(HostileInputTest, EveryMalformedClassGetsItsErrorCodeOnTheRepliesSocket) {
    RawDealer dealer = replier();
    for (const auto& input : bad_hook_inputs()) {
        SCOPED_TRACE(input.what);
        dealer.send_frames(input.frames);
        const auto body = dealer.recv_body();
        ASSERT_TRUE(body.has_value());
        const auto response = decode_hook_response(*body);
        const auto* error = std::get_if<Error>(&response);
        ASSERT_NE(error, nullptr);
        EXPECT_EQ(error->code_text, input.code);
    }
}

TEST_F(HostileInputTest, RefusedRequestCarriesTheReqItCouldRead) {
    RawDealer dealer = emitter();
    const auto response =
        dealer.ask(make_emit("capture", "{}", true, 0, Expect::first, 41));
    const auto* error = response ? std::get_if<Error>(&*response) : nullptr;
    ASSERT_NE(error, nullptr);
    EXPECT_EQ(error->req, 41u);
}

TEST_F(HostileInputTest, OddMessagesOnTheEventsSocketAreCountedAndIgnored) {
    RawHook hook(context_, endpoints(), "guard", {"capture"});
    ASSERT_TRUE(hook.start());
    zmq::socket_t hostile = xsub();
    const auto odd = odd_subscription_messages(hook.instance());
    for (const auto& message : odd) hostile.send(zmq::buffer(message));

    EXPECT_TRUE(wait_until([&] { return stats()["bad_subscriptions"] == odd.size(); }));
    EXPECT_TRUE(hook_live(hook.instance()));
}

TEST_F(HostileInputTest, OddMessageNamingAHookTokenDoesNotUnregisterTheHook) {
    RawHook hook(context_, endpoints(), "guard", {"capture"});
    ASSERT_TRUE(hook.start());
    zmq::socket_t hostile = xsub();
    hostile.send(zmq::buffer(std::string("\x02~hook/") + hook.instance()));
    // An unsubscription for a topic this connection never subscribed: libzmq itself
    // keeps it from the broker.
    hostile.send(zmq::buffer(std::string(1, '\0') + "~hook/" + hook.instance()));
    ASSERT_TRUE(wait_until([&] { return stats()["bad_subscriptions"] == 1; }));

    RawDealer client = emitter();
    client.send_body(encode(make_emit("capture", "{}", true, 5000)));
    const auto event = hook.next_event();
    ASSERT_TRUE(event.has_value());
    EXPECT_EQ(hook.reply(event->id, "{}"), true);
}

TEST_F(HostileInputTest, HugeSubscriptionTopicsComeAndGoWithoutHarm) {
    zmq::socket_t hostile = xsub();
    const std::string topic(max_msg_size - 64, 't');
    hostile.send(zmq::buffer("\x01" + topic));
    ASSERT_TRUE(subscribed(topic));
    hostile.send(zmq::buffer(std::string(1, '\0') + topic));

    EXPECT_TRUE(wait_until([&] { return !stats()["subscriptions"].contains(topic); }));
    EXPECT_EQ(stats()["bad_subscriptions"], 0);
}

TEST_F(HostileInputTest, OversizedMessagesAreDroppedUncountedAndServingGoesOn) {
    const std::string huge(max_msg_size + 1, 'x');
    RawDealer big_emit = emitter();
    RawDealer big_reply = replier();
    zmq::socket_t big_sub = xsub();
    big_emit.send_body(huge);
    big_reply.send_body(huge);
    big_sub.send(zmq::buffer("\x01" + huge));

    // libzmq drops the connection instead of delivering: no answer ever comes.
    EXPECT_FALSE(big_emit.recv_body(milliseconds(500)).has_value());
    EXPECT_FALSE(big_reply.recv_body(milliseconds(100)).has_value());
    const auto counters = stats();
    EXPECT_EQ(counters["bad_messages"], 0);
    EXPECT_EQ(counters["bad_subscriptions"], 0);
    EXPECT_EQ(counters["undeliverable"], 0);
}

TEST_F(HostileInputTest, FloodsOnEverySocketLeaveGoodClientsServedAndAreCounted) {
    constexpr std::uint64_t rounds = 60;  // per hostile socket, ~40 messages a round
    constexpr std::uint64_t fire_and_forget = 4000;
    constexpr std::uint64_t waits = 150;

    RawSub subscriber(context_, endpoints().events, {"flood" + std::string(1, '\0')},
                      1'000'000);
    ASSERT_TRUE(subscribed("flood"));
    RawHook hook(context_, endpoints(), "guard", {"guarded"});
    ASSERT_TRUE(hook.start());

    std::atomic<bool> done{false};
    std::vector<std::thread> threads;
    std::vector<Tally> answered(4);
    std::vector<std::vector<std::string>> failures(8);

    // Hostile ROUTER clients: two on each socket.
    const auto emit_inputs = bad_emit_inputs();
    const auto hook_inputs = bad_hook_inputs();
    for (std::size_t i = 0; i < 4; ++i) {
        threads.emplace_back([&, i] {
            RawDealer dealer = i < 2 ? emitter() : replier();
            flood(dealer, i < 2 ? emit_inputs : hook_inputs, rounds, answered[i],
                  failures[i]);
        });
    }

    // Hostile subscribers: odd messages, subscription churn, huge topics, oversize.
    std::atomic<std::uint64_t> odd_sent{0};
    threads.emplace_back([&] {
        zmq::socket_t hostile = xsub();
        const auto odd = odd_subscription_messages(hook.instance());
        const std::string huge_topic(max_msg_size / 2, 'h');
        for (int i = 0; i < 2000; ++i) {
            const std::string topic = "churn-" + std::to_string(i) + '\0';
            hostile.send(zmq::buffer("\x01" + topic));
            hostile.send(zmq::buffer(odd[i % odd.size()]));
            hostile.send(zmq::buffer(std::string(1, '\0') + topic));
            ++odd_sent;
            if (i % 100 == 0) {
                hostile.send(zmq::buffer("\x01" + huge_topic));
                hostile.send(zmq::buffer(std::string(1, '\0') + huge_topic));
            }
        }
        // Closing with linger 0 would discard what is still queued.
        wait_until([&] { return stats()["bad_subscriptions"] == odd_sent.load(); });
    });
    threads.emplace_back([&] {
        const std::string huge(max_msg_size + 1, 'x');
        for (int i = 0; i < 20 && !done; ++i) {
            RawDealer big_emit = emitter();
            RawDealer big_reply = replier();
            zmq::socket_t big_sub = xsub();
            big_emit.send_body(huge);
            big_reply.send_body(huge);
            big_sub.send(zmq::buffer("\x01" + huge));
            if (big_emit.recv_body(milliseconds(50))) failures[4].push_back("oversize");
        }
    });

    // The good hook answers every event except those asking to be ignored.
    std::thread hook_thread([&] {
        while (!done) {
            const auto event = hook.next_event(milliseconds(100));
            if (!event) continue;
            const auto payload = nlohmann::json::parse(event->payload_json);
            if (payload.value("ignore", false)) continue;
            if (hook.reply(event->id, event->payload_json) != true) {
                failures[5].push_back("reply to " + event->id + " refused");
            }
        }
    });

    // A good fire-and-forget emitter.
    threads.emplace_back([&] {
        RawDealer client = emitter();
        for (std::uint64_t i = 1; i <= fire_and_forget; ++i) {
            const auto response =
                client.ask(make_emit("flood", "{}", false, {}, Expect::first, i));
            const auto* ack = response ? std::get_if<Ack>(&*response) : nullptr;
            if (ack == nullptr || ack->req != i || ack->seq != i) {
                failures[6].push_back("emit " + std::to_string(i) + " not acked rightly");
                return;
            }
        }
    });

    // A good waiter: replied, timed out and no-hook waits, each with its outcome.
    threads.emplace_back([&] {
        RawDealer client = emitter();
        for (std::uint64_t i = 1; i <= waits; ++i) {
            const bool ignored = i % 10 == 0;
            const bool nobody = i % 7 == 0;
            const std::string payload =
                nlohmann::json{{"n", i}, {"ignore", ignored}}.dump();
            const auto response =
                client.ask(make_emit(nobody ? "nobody" : "guarded", payload, true,
                                     ignored ? 200 : 5000, Expect::first, i));
            const auto* result = response ? std::get_if<Result>(&*response) : nullptr;
            const WaitOutcome want = nobody    ? WaitOutcome::no_hook
                                     : ignored ? WaitOutcome::timed_out
                                               : WaitOutcome::replied;
            bool right = result != nullptr && result->req == i && result->outcome == want;
            if (right && want == WaitOutcome::replied) {
                right = result->replies.size() == 1 &&
                        result->replies[0].reply_json == payload;
            }
            if (!right) failures[7].push_back("wait " + std::to_string(i) + " wrong");
        }
    });

    for (auto& thread : threads) thread.join();
    done = true;
    hook_thread.join();

    for (const auto& list : failures) {
        for (const auto& failure : list) ADD_FAILURE() << failure;
    }

    // Every good event arrived, in sequence, with nothing lost.
    std::uint64_t next_seq = 1;
    while (next_seq <= fire_and_forget) {
        const auto event = subscriber.next_event();
        ASSERT_TRUE(event.has_value()) << "event seq " << next_seq << " never came";
        ASSERT_EQ(event->seq, next_seq);
        ++next_seq;
    }

    // The counters show exactly what was sent, oversized messages not at all.
    Tally sent = tally_of(emit_inputs, 2 * rounds);
    add(sent, tally_of(hook_inputs, 2 * rounds));
    Tally got;
    for (const auto& tally : answered) add(got, tally);
    EXPECT_EQ(got, sent);
    std::uint64_t total = 0;
    for (const auto& [code, count] : sent) total += count;
    const auto counters = stats();
    EXPECT_EQ(counters["bad_by_code"], nlohmann::json(sent));
    EXPECT_EQ(counters["bad_messages"], total);
    EXPECT_EQ(counters["bad_subscriptions"], odd_sent.load());
    EXPECT_EQ(counters["undeliverable"], 0);
    EXPECT_TRUE(hook_live(hook.instance()));
}

}  // namespace
}  // namespace hookbus
