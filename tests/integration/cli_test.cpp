// The `hookbus` CLI against a real `hookbusd`, each in its own process and each test in
// its own HOOKBUS_DIR: emit and its exit codes, hook commands written in sh, tail's
// JSON lines (lag included) and stats.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait_until.hpp"

using namespace std::chrono_literals;
using hookbus::testing::ChildProcess;
using hookbus::testing::read_text_file;
using hookbus::testing::TempDir;
using hookbus::testing::wait_until;
using Json = nlohmann::json;

namespace {

/// What a finished `hookbus` run left behind.
struct CliRun {
    int code = -1;
    std::string out;
    std::string err;
};

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream stream(text);
    for (std::string line; std::getline(stream, line);) lines.push_back(line);
    return lines;
}

class Cli : public ::testing::Test {
  protected:
    void SetUp() override { start_broker(); }

    void TearDown() override {
        // Hooks and tails first: they kill their own commands on SIGTERM.
        for (auto& child : children_) stop(*child);
        if (broker_) stop(*broker_);
    }

    static void stop(ChildProcess& child) {
        child.signal(SIGTERM);
        child.wait_exit(10s);
    }

    std::string file(const std::string& stem) {
        return dir_.file(stem + "-" + std::to_string(++files_));
    }

    std::vector<std::string> with_dir(const std::string& binary,
                                      const std::vector<std::string>& args) const {
        std::vector<std::string> argv = {"/usr/bin/env", "HOOKBUS_DIR=" + dir_.path(),
                                         binary};
        argv.insert(argv.end(), args.begin(), args.end());
        return argv;
    }

    void start_broker(const std::vector<std::string>& flags = {}) {
        std::filesystem::remove(dir_.file("emit"));
        broker_log_ = file("hookbusd");
        broker_ = std::make_unique<ChildProcess>(with_dir(HOOKBUSD_PATH, flags),
                                                 broker_log_, broker_log_ + ".err");
        ASSERT_TRUE(wait_until([&] {
            return std::filesystem::exists(dir_.file("emit"));
        })) << read_text_file(broker_log_ + ".err");
    }

    CliRun cli(const std::vector<std::string>& args, std::chrono::seconds limit = 20s) {
        auto out = file("out");
        ChildProcess child(with_dir(HOOKBUS_CLI_PATH, args), out, out + ".err");
        auto code = child.wait_exit(limit);
        return CliRun{code.value_or(-1), read_text_file(out),
                      read_text_file(out + ".err")};
    }

    /// Starts `hookbus hook NAME --name guard -- sh -c SCRIPT` and waits until live.
    ChildProcess& hook(const std::string& script, const std::string& name = "capture") {
        auto err = file("hook");
        children_.push_back(std::make_unique<ChildProcess>(
            with_dir(HOOKBUS_CLI_PATH,
                     {"hook", name, "--name", "guard", "--", "sh", "-c", script}),
            err + ".out", err));
        hook_log_ = err;
        EXPECT_TRUE(wait_until([&] {
            return read_text_file(err).find("is live") != std::string::npos;
        })) << read_text_file(err);
        return *children_.back();
    }

    /// Starts `hookbus tail ARGS...`; returns the file its stdout goes to.
    std::string tail(const std::vector<std::string>& args, const std::string& topic) {
        auto out = file("tail");
        std::vector<std::string> argv = {"tail"};
        argv.insert(argv.end(), args.begin(), args.end());
        children_.push_back(std::make_unique<ChildProcess>(
            with_dir(HOOKBUS_CLI_PATH, argv), out, out + ".err"));
        EXPECT_TRUE(wait_until([&] {
            auto stats = Json::parse(cli({"stats"}).out, nullptr, false);
            return stats.is_object() && stats["subscriptions"].contains(topic);
        })) << "tail's subscription never reached the broker";
        return out;
    }

    TempDir dir_;
    int files_ = 0;
    std::string broker_log_;
    std::string hook_log_;
    std::unique_ptr<ChildProcess> broker_;
    std::vector<std::unique_ptr<ChildProcess>> children_;
};

constexpr const char* veto_script =
    R"(cat >/dev/null; echo '{"abort":"no captures on main","score":3}')";

}  // namespace

TEST_F(Cli, EmitPrintsTheEventId) {
    auto run = cli({"emit", "capture", R"({"path":"a.txt"})"});
    EXPECT_EQ(run.code, 0) << run.err;
    EXPECT_TRUE(std::regex_match(run.out, std::regex("[0-9a-f-]{36}\n"))) << run.out;
}

TEST_F(Cli, VetoExitsOneAndPrintsTheWholeReply) {
    hook(veto_script);
    auto run = cli({"emit", "capture", "--wait", "--timeout", "10s"});
    ASSERT_EQ(run.code, 1) << run.err;

    auto outcome = Json::parse(run.out);
    EXPECT_EQ(outcome["outcome"], "replied");
    EXPECT_EQ(outcome["abort"], "no captures on main");
    EXPECT_EQ(outcome["replies"][0]["hook"], "guard");
    EXPECT_EQ(outcome["replies"][0]["reply"]["score"], 3);
}

TEST_F(Cli, AllowingReplyExitsZero) {
    hook(R"(cat >/dev/null; echo '{"ok":true}')");
    auto run = cli({"emit", "capture", "{}", "--wait", "--timeout", "10s"});
    EXPECT_EQ(run.code, 0) << run.err;
    EXPECT_EQ(Json::parse(run.out)["abort"], "");
}

TEST_F(Cli, SlowHookExitsThree) {
    hook("sleep 30");
    auto run = cli({"emit", "capture", "--wait", "--timeout", "1s"});
    EXPECT_EQ(run.code, 3) << run.err;
    EXPECT_EQ(Json::parse(run.out)["outcome"], "timed_out");
}

TEST_F(Cli, NoHookExitsFour) {
    auto run = cli({"emit", "capture", "--wait", "--timeout", "30s"});
    EXPECT_EQ(run.code, 4) << run.err;
    EXPECT_EQ(Json::parse(run.out)["outcome"], "no_hook");
}

TEST_F(Cli, NoBrokerExitsFiveAndSaysWhatToDo) {
    TempDir nowhere;
    auto run =
        cli({"--dir", nowhere.path(), "emit", "capture", "--wait", "--timeout", "200ms"});
    EXPECT_EQ(run.code, 5);
    EXPECT_NE(run.err.find("is hookbusd running?"), std::string::npos) << run.err;
}

TEST_F(Cli, BrokerKilledMidWaitExitsFive) {
    hook("sleep 30");
    auto out = file("emit");
    ChildProcess emit(
        with_dir(HOOKBUS_CLI_PATH, {"emit", "capture", "--wait", "--timeout", "1s"}), out,
        out + ".err");
    ASSERT_TRUE(wait_until([&] {
        return Json::parse(cli({"stats"}).out, nullptr, false).value("pending", 0) == 1;
    }));
    broker_->signal(SIGKILL);
    broker_->wait_exit(10s);
    EXPECT_EQ(emit.wait_exit(20s), 5) << read_text_file(out + ".err");
}

TEST_F(Cli, BrokerStoppedMidWaitExitsSix) {
    hook("sleep 30");
    auto out = file("emit");
    ChildProcess emit(
        with_dir(HOOKBUS_CLI_PATH, {"emit", "capture", "--wait", "--timeout", "30s"}),
        out, out + ".err");
    ASSERT_TRUE(wait_until([&] {
        return Json::parse(cli({"stats"}).out, nullptr, false).value("pending", 0) == 1;
    }));
    broker_->signal(SIGTERM);
    EXPECT_EQ(emit.wait_exit(20s), 6) << read_text_file(out + ".err");
    EXPECT_NE(read_text_file(out + ".err").find("shutting down"), std::string::npos);
}

TEST_F(Cli, BadUsageExitsTwo) {
    EXPECT_EQ(cli({"emit"}).code, 2);
    EXPECT_EQ(cli({"emit", "capture", "--no-such-flag"}).code, 2);
    EXPECT_EQ(cli({"emit", "bad name"}).code, 2);
    EXPECT_EQ(cli({"emit", "capture", "not json"}).code, 2);
    EXPECT_EQ(cli({"emit", "capture", "--wait", "--timeout", "5"}).code, 2);
    EXPECT_EQ(cli({"hook", "capture"}).code, 2);
    EXPECT_EQ(cli({}).code, 2);
}

TEST_F(Cli, HelpDocumentsTheExitCodes) {
    auto run = cli({"--help"});
    EXPECT_EQ(run.code, 0);
    EXPECT_NE(run.out.find("5  broker unreachable"), std::string::npos) << run.out;
}

TEST_F(Cli, HookCommandGetsThePayloadAndTheEventEnvironment) {
    hook(R"(p=$(cat); printf '{"got":%s,"name":"%s","id":"%s","awaited":"%s"}' )"
         R"("$p" "$HOOKBUS_EVENT_NAME" "$HOOKBUS_EVENT_ID" "$HOOKBUS_AWAITED")");
    auto run =
        cli({"emit", "capture", R"({"path":"a.txt"})", "--wait", "--timeout", "10s"});
    ASSERT_EQ(run.code, 0) << run.err;

    auto outcome = Json::parse(run.out);
    auto reply = outcome["replies"][0]["reply"];
    EXPECT_EQ(reply["got"], Json({{"path", "a.txt"}}));
    EXPECT_EQ(reply["name"], "capture");
    EXPECT_EQ(reply["id"], outcome["id"]);
    EXPECT_EQ(reply["awaited"], "1");
}

TEST_F(Cli, HookOutputThatIsNotJsonSendsNoReply) {
    hook("cat >/dev/null; echo hello");
    auto run = cli({"emit", "capture", "--wait", "--timeout", "500ms"});
    EXPECT_EQ(run.code, 3);
    EXPECT_NE(read_text_file(hook_log_).find("not a JSON object"), std::string::npos);
}

TEST_F(Cli, HookCommandFailingSendsNoReply) {
    hook("cat >/dev/null; echo '{}'; exit 3");
    auto run = cli({"emit", "capture", "--wait", "--timeout", "500ms"});
    EXPECT_EQ(run.code, 3);
    EXPECT_NE(read_text_file(hook_log_).find("exited with status 3"), std::string::npos);
}

TEST_F(Cli, HookExitsZeroOnSigterm) {
    auto& guard = hook(veto_script);
    guard.signal(SIGTERM);
    EXPECT_EQ(guard.wait_exit(10s), 0);
}

TEST_F(Cli, TailPrintsEventsAsJsonLines) {
    auto out = tail({"capture", "--count", "2"}, "capture");
    cli({"emit", "capture", R"({"n":1})"});
    cli({"emit", "capture", R"("text")"});
    ASSERT_EQ(children_.back()->wait_exit(10s), 0);

    auto lines = lines_of(read_text_file(out));
    ASSERT_EQ(lines.size(), 2u);
    auto first = Json::parse(lines[0]);
    EXPECT_EQ(first["name"], "capture");
    EXPECT_EQ(first["seq"], 1);
    EXPECT_EQ(first["payload"], Json({{"n", 1}}));
    EXPECT_EQ(Json::parse(lines[1])["payload"], "text");
}

TEST_F(Cli, TailReportsABrokerRestartAsALagLine) {
    auto out = tail({"--count", "1"}, "");
    stop(*broker_);
    start_broker();
    ASSERT_TRUE(wait_until(
        [&] { return read_text_file(out).find("lagged") != std::string::npos; }));
    cli({"emit", "capture", "{}"});
    ASSERT_EQ(children_.back()->wait_exit(10s), 0);

    auto lines = lines_of(read_text_file(out));
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(Json::parse(lines[0])["lagged"]["restarted"], true);
    EXPECT_EQ(Json::parse(lines[1])["name"], "capture");
}

TEST_F(Cli, StatsPrintsTheBrokersCounters) {
    hook(veto_script);
    cli({"emit", "capture", "--wait", "--timeout", "10s"});
    auto run = cli({"stats"});
    ASSERT_EQ(run.code, 0) << run.err;

    auto stats = Json::parse(run.out);
    EXPECT_EQ(stats["events_emitted"], 1);
    EXPECT_EQ(stats["replies_accepted"], 1);
    EXPECT_EQ(stats["hooks"][0]["hook"], "guard");
}

TEST_F(Cli, PolicyAllUnderClosedVetoesWhenAHookStaysSilent) {
    hook(R"(cat >/dev/null; echo '{"ok":true}')");
    hook("sleep 30");
    auto run = cli({"emit", "capture", "--wait", "--policy", "all", "--on-failure",
                    "closed", "--timeout", "1s"});
    ASSERT_EQ(run.code, 1) << run.err;
    auto outcome = Json::parse(run.out);
    EXPECT_EQ(outcome["outcome"], "timed_out");
    EXPECT_EQ(outcome["verdict"], "vetoed");
    EXPECT_EQ(outcome["decided_by"], "policy");
    EXPECT_EQ(outcome["policy"], "all");
    EXPECT_EQ(outcome["replies"].size(), 1u);
    ASSERT_EQ(outcome["missing"].size(), 1u);
    EXPECT_EQ(outcome["missing"][0]["why"], "timed_out");
}

TEST_F(Cli, PolicyAllUnderOpenExitsThreeWhenAHookStaysSilent) {
    hook(R"(cat >/dev/null; echo '{"ok":true}')");
    hook("sleep 30");
    auto run = cli({"emit", "capture", "--wait", "--policy", "all", "--on-failure", "open",
                    "--timeout", "1s"});
    ASSERT_EQ(run.code, 3) << run.err;
    EXPECT_EQ(Json::parse(run.out)["verdict"], "allowed");
}

TEST_F(Cli, BadPolicyIsAUsageError) {
    auto run = cli({"emit", "capture", "--wait", "--policy", "most"});
    EXPECT_EQ(run.code, 2);
    EXPECT_NE(run.err.find("--policy"), std::string::npos) << run.err;
}

TEST_F(Cli, WaitExitsThreeWithoutTheHooksAndZeroOnceTheyAreLive) {
    auto early = cli({"wait", "capture", "--hooks", "1", "--timeout", "300ms"});
    EXPECT_EQ(early.code, 3) << early.err;
    EXPECT_NE(early.out.find("0 of 1"), std::string::npos) << early.out;

    hook(R"(cat >/dev/null; echo '{}')");
    auto ready = cli({"wait", "capture", "--hooks", "1", "--timeout", "10s"});
    EXPECT_EQ(ready.code, 0) << ready.err;
    EXPECT_NE(ready.out.find("1 of 1"), std::string::npos) << ready.out;
}

TEST_F(Cli, HooksListsTheLiveHooksWithTheirNames) {
    hook(R"(cat >/dev/null; echo '{}')", "pre_capture");
    auto run = cli({"hooks"});
    ASSERT_EQ(run.code, 0) << run.err;
    const auto lines = lines_of(run.out);
    ASSERT_EQ(lines.size(), 2u) << run.out;
    EXPECT_NE(lines[0].find("LAST HEARD"), std::string::npos);
    EXPECT_NE(lines[1].find("guard"), std::string::npos);
    EXPECT_NE(lines[1].find("pre_capture"), std::string::npos);
    EXPECT_NE(lines[1].find(" ago"), std::string::npos);
}

TEST_F(Cli, HookbusdTakesDefaultPoliciesPerName) {
    stop(*broker_);
    start_broker({"--policy", "capture=all", "--on-failure", "*=closed"});
    auto stats = Json::parse(cli({"stats"}).out);
    EXPECT_EQ(stats["policies"]["capture"]["expect"], "all");
    EXPECT_EQ(stats["policies"]["capture"]["on_failure"], "closed");
    EXPECT_EQ(stats["policies"]["*"]["expect"], "first");
    EXPECT_EQ(stats["policies"]["*"]["on_failure"], "closed");

    // No hook and closed by default: the policy vetoes.
    auto run = cli({"emit", "merge", "--wait", "--timeout", "5s"});
    EXPECT_EQ(run.code, 1) << run.err;
    EXPECT_EQ(Json::parse(run.out)["decided_by"], "policy");
}

TEST_F(Cli, HookbusdRefusesAMalformedPolicy) {
    const auto log = file("bad");
    ChildProcess bad(with_dir(HOOKBUSD_PATH, {"--policy", "capture"}), log, log + ".err");
    const auto code = bad.wait_exit(10s);
    ASSERT_TRUE(code.has_value());
    EXPECT_NE(*code, 0);
    EXPECT_NE(read_text_file(log + ".err").find("NAME=VALUE"), std::string::npos)
        << read_text_file(log + ".err");
}
