// The real hookbusd binary, spawned per test in its own runtime directory and driven
// with raw sockets: clean shutdown on SIGTERM and SIGINT, and clear refusals for bad
// flags and for a second daemon on the same endpoints.
#include <gtest/gtest.h>
#include <signal.h>

#include "support/process.hpp"
#include "support/raw_clients.hpp"
#include "support/temp_dir.hpp"
#include "support/wait_until.hpp"

namespace hookbus {
namespace {

using namespace hookbus::testing;
using std::chrono::milliseconds;

constexpr milliseconds exit_wait{10000};

class HookbusdTest : public ::testing::Test {
  protected:
    std::string bus_dir() const { return dir_.file("bus"); }
    Endpoints endpoints() const { return endpoints_in(bus_dir()); }

    std::unique_ptr<ChildProcess> spawn(std::vector<std::string> extra = {},
                                        const std::string& tag = "d") {
        std::vector<std::string> argv{HOOKBUSD_PATH, "--dir", bus_dir(), "--log-level",
                                      "info"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        return std::make_unique<ChildProcess>(argv, dir_.file(tag + ".out"),
                                              dir_.file(tag + ".err"));
    }
    std::string stderr_of(const std::string& tag = "d") const {
        return read_text_file(dir_.file(tag + ".err"));
    }
    // True once the daemon answers a stats request.
    bool serving() {
        RawDealer client(context_, endpoints().emit);
        return !client.stats().is_null();
    }

    TempDir dir_;
    zmq::context_t context_;
};

TEST_F(HookbusdTest, SigtermWithAWaitInFlightAnswersShuttingDownAndExitsZero) {
    auto daemon = spawn();
    ASSERT_TRUE(serving()) << stderr_of();
    RawHook hook(context_, endpoints(), "silent", {"capture"});
    ASSERT_TRUE(hook.start());
    RawDealer client(context_, endpoints().emit);
    client.send_body(encode(make_emit("capture", "{}", true, 30000, Expect::first, 9)));
    ASSERT_TRUE(wait_until(
        [&] { return RawDealer(context_, endpoints().emit).stats()["pending"] == 1; }));

    daemon->signal(SIGTERM);
    const auto body = client.recv_body();
    ASSERT_TRUE(body.has_value());
    const auto response = decode_emit_response(*body);
    EXPECT_EQ(std::get<Error>(response).code, ErrorCode::shutting_down);
    EXPECT_EQ(daemon->wait_exit(exit_wait), 0);
}

TEST_F(HookbusdTest, SigintExitsZeroAndLogsStartAndStop) {
    auto daemon = spawn();
    ASSERT_TRUE(serving()) << stderr_of();
    daemon->signal(SIGINT);
    EXPECT_EQ(daemon->wait_exit(exit_wait), 0);
    EXPECT_NE(stderr_of().find("HB-START"), std::string::npos);
    EXPECT_NE(stderr_of().find("HB-STOP"), std::string::npos);
}

TEST_F(HookbusdTest, UnknownFlagExitsNonZeroWithAMessage) {
    auto daemon = spawn({"--no-such-flag"});
    const auto code = daemon->wait_exit(exit_wait);
    ASSERT_TRUE(code.has_value());
    EXPECT_NE(*code, 0);
    EXPECT_NE(stderr_of().find("--no-such-flag"), std::string::npos) << stderr_of();
}

TEST_F(HookbusdTest, BadDurationSaysWhatIsExpected) {
    auto daemon = spawn({"--max-timeout", "5 parsecs"});
    const auto code = daemon->wait_exit(exit_wait);
    ASSERT_TRUE(code.has_value());
    EXPECT_NE(*code, 0);
    EXPECT_NE(stderr_of().find("duration"), std::string::npos) << stderr_of();
}

TEST_F(HookbusdTest, SecondDaemonOnTheSameDirRefusesClearly) {
    auto first = spawn({}, "first");
    ASSERT_TRUE(serving()) << stderr_of("first");
    auto second = spawn({}, "second");
    EXPECT_EQ(second->wait_exit(exit_wait), 1);
    EXPECT_NE(stderr_of("second").find("another hookbus broker answers"),
              std::string::npos)
        << stderr_of("second");
    EXPECT_TRUE(serving());
}

TEST_F(HookbusdTest, VersionFlagPrintsTheVersion) {
    auto daemon = spawn({"--version"});
    EXPECT_EQ(daemon->wait_exit(exit_wait), 0);
    EXPECT_NE(read_text_file(dir_.file("d.out")).find("hookbusd"), std::string::npos);
}

}  // namespace
}  // namespace hookbus
