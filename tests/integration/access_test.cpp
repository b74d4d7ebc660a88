// Who may connect over ipc: a hookbusd running as root binds in a runtime directory of
// mode 0700, and another local user (made by the test, deleted when it ends) runs the
// real `hookbus` CLI against it through setpriv. The owner gets through; the other
// user can neither emit nor tail. Needs root to make the user; skipped otherwise.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <random>
#include <thread>

#include "support/daemon.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait_until.hpp"

namespace hookbus {
namespace {

using namespace hookbus::testing;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

constexpr milliseconds exit_wait{15000};
// How long the other user's tail is given to receive something.
constexpr milliseconds tail_wait{1500};

// Runs a command to completion, output discarded; its exit code, or -1.
int run_quietly(const std::vector<std::string>& argv, const TempDir& dir,
                const std::string& tag) {
    ChildProcess child(argv, dir.file(tag + ".out"), dir.file(tag + ".err"));
    return child.wait_exit(exit_wait).value_or(-1);
}

// Runs `argv` until it exits 0, a few times: useradd and userdel fail while another
// test process holds the lock on /etc/passwd.
bool run_with_retries(const std::vector<std::string>& argv, const TempDir& dir,
                      const std::string& tag) {
    for (int attempt = 0; attempt < 10; ++attempt) {
        if (run_quietly(argv, dir, tag) == 0) return true;
        std::this_thread::sleep_for(100ms);
    }
    return false;
}

// A system user that exists for the lifetime of this object.
class TemporaryUser {
  public:
    explicit TemporaryUser(const TempDir& scratch) : scratch_(scratch) {
        std::random_device random;
        name_ =
            "hbacc" + std::to_string(::getpid()) + "x" + std::to_string(random() % 10000);
        created_ = run_with_retries(
            {"/usr/sbin/useradd", "-M", "-r", "-s", "/usr/sbin/nologin", name_}, scratch_,
            "useradd");
    }
    ~TemporaryUser() {
        if (created_) run_with_retries({"/usr/sbin/userdel", name_}, scratch_, "userdel");
    }
    TemporaryUser(const TemporaryUser&) = delete;
    TemporaryUser& operator=(const TemporaryUser&) = delete;

    bool created() const { return created_; }
    /// `argv` prefixed so that it runs as this user, with no supplementary groups.
    std::vector<std::string> as_user(std::vector<std::string> argv) const {
        std::vector<std::string> full{"/usr/bin/setpriv", "--reuid=" + name_,
                                      "--regid=" + name_, "--clear-groups", "--"};
        full.insert(full.end(), argv.begin(), argv.end());
        return full;
    }

  private:
    const TempDir& scratch_;
    std::string name_;
    bool created_ = false;
};

class AccessTest : public ::testing::Test {
  protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root to create a second local user";
        user_ = std::make_unique<TemporaryUser>(dir_);
        ASSERT_TRUE(user_->created()) << read_text_file(dir_.file("useradd.err"));

        // Only the runtime directory may stand in the other user's way: the test
        // directory is opened to everyone, and the CLI is copied where all can run it.
        ::chmod(dir_.path().c_str(), 0755);
        cli_ = dir_.file("hookbus");
        std::filesystem::copy_file(HOOKBUS_CLI_PATH, cli_);
        ::chmod(cli_.c_str(), 0755);

        daemon_ = std::make_unique<Daemon>(HOOKBUSD_PATH, dir_);
        ASSERT_TRUE(daemon_->ready()) << daemon_->log();
    }

    std::string bus() const { return dir_.file("bus"); }

    TempDir dir_;
    std::unique_ptr<TemporaryUser> user_;
    std::string cli_;
    std::unique_ptr<Daemon> daemon_;
};

TEST_F(AccessTest, RuntimeDirectoryIsPrivateToTheOwner) {
    struct stat st {};
    ASSERT_EQ(::stat(bus().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    EXPECT_EQ(st.st_uid, 0u);
}

TEST_F(AccessTest, OwnerCanEmit) {
    EXPECT_EQ(run_quietly({cli_, "--dir", bus(), "emit", "capture", "{}"}, dir_, "owner"),
              0);
}

TEST_F(AccessTest, OtherUserCanRunTheCli) {
    // The control: the refusals below come from the directory, not the binary.
    EXPECT_EQ(run_quietly(user_->as_user({cli_, "--help"}), dir_, "help"), 0);
}

TEST_F(AccessTest, OtherUserCannotEmit) {
    const auto code = run_quietly(user_->as_user({cli_, "--dir", bus(), "emit", "capture",
                                                  "{}", "--timeout", "1s"}),
                                  dir_, "intruder");
    EXPECT_EQ(code, 5) << read_text_file(dir_.file("intruder.err"));
    EXPECT_EQ(read_text_file(dir_.file("intruder.out")), "");
}

TEST_F(AccessTest, OtherUserTailReceivesNothing) {
    ChildProcess tail(user_->as_user({cli_, "--dir", bus(), "tail"}),
                      dir_.file("tail.out"), dir_.file("tail.err"));
    const auto give_up = std::chrono::steady_clock::now() + tail_wait;
    while (std::chrono::steady_clock::now() < give_up) {
        ASSERT_EQ(
            run_quietly({cli_, "--dir", bus(), "emit", "capture", "{}"}, dir_, "emit"),
            0);
    }
    tail.signal(SIGTERM);
    tail.wait_exit(exit_wait);
    EXPECT_EQ(read_text_file(dir_.file("tail.out")), "");
    // The CLI announces a welcome on stderr ("tailing ..."); none came.
    EXPECT_EQ(read_text_file(dir_.file("tail.err")).find("tailing"), std::string::npos);
}

}  // namespace
}  // namespace hookbus
