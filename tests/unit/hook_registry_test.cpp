// Unit tests of the hook registry: hello and `~hook/` subscription in either order
// make a hook live, disconnects and byes drop it, unanswered hellos expire on an
// explicit clock, and the table is bounded.
#include "hook_registry.hpp"

#include <gtest/gtest.h>

namespace hookbus::detail {
namespace {

using std::chrono::milliseconds;

const SteadyTime t0{};
constexpr milliseconds hello_timeout{30000};

Hello hello(std::string instance, std::vector<std::string> events = {"capture"}) {
    return {std::move(instance), "guard", std::move(events)};
}

std::string subscribe(std::string_view topic) { return '\x01' + std::string(topic); }
std::string unsubscribe(std::string_view topic) { return '\x00' + std::string(topic); }

using Kind = SubscriptionChange::Kind;

TEST(HookRegistry, HelloThenTokenMakesHookLive) {
    HookRegistry registry(8, hello_timeout);
    EXPECT_EQ(registry.on_hello("rid", hello("a"), t0),
              HelloStatus::awaiting_subscription);
    EXPECT_EQ(registry.live_count("capture"), 0u);
    const auto change = registry.on_subscription(subscribe("~hook/a"));
    EXPECT_EQ(change.kind, Kind::became_live);
    EXPECT_EQ(change.hook.routing_id, "rid");
    EXPECT_EQ(registry.live_count("capture"), 1u);
}

TEST(HookRegistry, TokenThenHelloMakesHookLive) {
    HookRegistry registry(8, hello_timeout);
    EXPECT_EQ(registry.on_subscription(subscribe("~hook/a")).kind, Kind::none);
    EXPECT_EQ(registry.on_hello("rid", hello("a"), t0), HelloStatus::live);
    EXPECT_EQ(registry.live_instances("capture"), std::vector<std::string>{"a"});
}

TEST(HookRegistry, PlainSubscriberIsNotAHook) {
    HookRegistry registry(8, hello_timeout);
    registry.on_subscription(subscribe(std::string("capture") + '\0'));
    EXPECT_EQ(registry.live_count("capture"), 0u);
    EXPECT_EQ(registry.subscriptions().at("capture"), 1u);
    EXPECT_EQ(registry.size(), 0u);
}

TEST(HookRegistry, LosingTheTokenDropsTheHook) {
    HookRegistry registry(8, hello_timeout);
    registry.on_subscription(subscribe("~hook/a"));
    registry.on_hello("rid", hello("a"), t0);
    EXPECT_EQ(registry.on_subscription(unsubscribe("~hook/a")).kind, Kind::dropped);
    EXPECT_EQ(registry.live_count("capture"), 0u);
    EXPECT_EQ(registry.size(), 0u);
}

TEST(HookRegistry, ByeStopsCountingAtOnce) {
    HookRegistry registry(8, hello_timeout);
    registry.on_subscription(subscribe("~hook/a"));
    registry.on_hello("rid", hello("a"), t0);
    EXPECT_TRUE(registry.on_bye("a"));
    EXPECT_EQ(registry.live_count("capture"), 0u);
    EXPECT_FALSE(registry.on_bye("a"));
}

TEST(HookRegistry, SecondHelloReplacesTheEventNames) {
    HookRegistry registry(8, hello_timeout);
    registry.on_subscription(subscribe("~hook/a"));
    registry.on_hello("rid", hello("a", {"capture"}), t0);
    registry.on_hello("rid", hello("a", {"deploy"}), t0);
    EXPECT_EQ(registry.live_count("capture"), 0u);
    EXPECT_EQ(registry.live_count("deploy"), 1u);
}

TEST(HookRegistry, HelloWithoutTokenExpires) {
    HookRegistry registry(8, hello_timeout);
    registry.on_hello("rid", hello("a"), t0);
    EXPECT_EQ(registry.next_expiry(), t0 + hello_timeout);
    EXPECT_TRUE(registry.expire(t0 + hello_timeout - milliseconds(1)).empty());
    EXPECT_EQ(registry.expire(t0 + hello_timeout).size(), 1u);
    EXPECT_EQ(registry.size(), 0u);
}

TEST(HookRegistry, LiveHookDoesNotExpire) {
    HookRegistry registry(8, hello_timeout);
    registry.on_hello("rid", hello("a"), t0);
    registry.on_subscription(subscribe("~hook/a"));
    EXPECT_FALSE(registry.next_expiry().has_value());
    EXPECT_TRUE(registry.expire(t0 + hello_timeout * 2).empty());
}

TEST(HookRegistry, RefusesHooksPastTheBound) {
    HookRegistry registry(1, hello_timeout);
    registry.on_hello("rid", hello("a"), t0);
    EXPECT_EQ(registry.on_hello("rid", hello("b"), t0), HelloStatus::overloaded);
    EXPECT_EQ(registry.on_subscription(subscribe("~hook/c")).kind, Kind::refused);
    EXPECT_EQ(registry.size(), 1u);
}

TEST(HookRegistry, CountsSubscriptionsPerTopic) {
    HookRegistry registry(8, hello_timeout);
    registry.on_subscription(subscribe(std::string("capture") + '\0'));
    registry.on_subscription(subscribe(std::string("capture") + '\0'));
    registry.on_subscription(subscribe(""));
    registry.on_subscription(unsubscribe(std::string("capture") + '\0'));
    EXPECT_EQ(registry.subscriptions().at("capture"), 1u);
    EXPECT_EQ(registry.subscriptions().at(""), 1u);
}

}  // namespace
}  // namespace hookbus::detail
