// Unit tests of run_child, the command runner behind `hookbus hook`.
#include "child_process.hpp"

#include <gtest/gtest.h>

#include <csignal>

using namespace std::chrono_literals;
using hookbus::detail::ChildEnd;
using hookbus::detail::ChildSpec;
using hookbus::detail::run_child;

namespace {

ChildSpec shell(const std::string& script, std::chrono::milliseconds limit = 10s) {
    ChildSpec spec;
    spec.argv = {"sh", "-c", script};
    spec.deadline = std::chrono::steady_clock::now() + limit;
    return spec;
}

class ChildProcess : public ::testing::Test {
  protected:
    void SetUp() override { std::signal(SIGPIPE, SIG_IGN); }
};

}  // namespace

TEST_F(ChildProcess, PassesStdinThroughToStdout) {
    auto spec = shell("cat");
    spec.input = R"({"path":"a.txt"})";
    auto result = run_child(spec);
    EXPECT_EQ(result.end, ChildEnd::exited);
    EXPECT_EQ(result.exit_code, 0);
    EXPECT_EQ(result.output, spec.input);
}

TEST_F(ChildProcess, AddsEnvironmentVariables) {
    auto spec = shell("printf %s \"$HOOKBUS_EVENT_NAME\"");
    spec.env = {{"HOOKBUS_EVENT_NAME", "capture"}};
    EXPECT_EQ(run_child(spec).output, "capture");
}

TEST_F(ChildProcess, ReportsTheExitStatus) {
    auto result = run_child(shell("exit 7"));
    EXPECT_EQ(result.end, ChildEnd::exited);
    EXPECT_EQ(result.exit_code, 7);
}

TEST_F(ChildProcess, KillsACommandThatOverrunsItsDeadline) {
    auto started = std::chrono::steady_clock::now();
    auto result = run_child(shell("sleep 30", 200ms));
    EXPECT_EQ(result.end, ChildEnd::killed);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
}

TEST_F(ChildProcess, KillsWhatTheCommandStartedToo) {
    // The background sleep keeps stdout open; only a group kill ends it.
    auto result = run_child(shell("sleep 30 & wait", 200ms));
    EXPECT_EQ(result.end, ChildEnd::killed);
}

TEST_F(ChildProcess, SurvivesACommandThatIgnoresALargeInput) {
    auto spec = shell("exit 0");
    spec.input.assign(1 << 20, 'x');
    auto result = run_child(spec);
    EXPECT_EQ(result.end, ChildEnd::exited);
}

TEST_F(ChildProcess, ReportsAMissingCommand) {
    ChildSpec spec;
    spec.argv = {"/nonexistent/hookbus-command"};
    spec.deadline = std::chrono::steady_clock::now() + 5s;
    auto result = run_child(spec);
    EXPECT_EQ(result.end, ChildEnd::failed_to_start);
    EXPECT_NE(result.error.find("/nonexistent/hookbus-command"), std::string::npos);
}

TEST_F(ChildProcess, TruncatesOutputPastTheLimit) {
    auto spec = shell("head -c 5000 /dev/zero");
    spec.output_limit = 100;
    auto result = run_child(spec);
    EXPECT_TRUE(result.truncated);
    EXPECT_EQ(result.output.size(), 100u);
}
