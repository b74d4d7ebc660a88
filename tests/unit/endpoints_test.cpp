// Unit tests of endpoint defaults and the private runtime directory checks.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <hookbus/endpoints.hpp>

#include "support/temp_dir.hpp"

namespace hookbus {
namespace {

using testing::TempDir;

mode_t mode_of(const std::string& path) {
    struct stat st {};
    ::stat(path.c_str(), &st);
    return st.st_mode & 07777;
}

// Sets or clears one environment variable for the life of a test.
class ScopedEnv {
  public:
    ScopedEnv(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        if (value) {
            ::setenv(name, value, 1);
        } else {
            ::unsetenv(name);
        }
    }
    ~ScopedEnv() {
        if (old_.empty()) {
            ::unsetenv(name_);
        } else {
            ::setenv(name_, old_.c_str(), 1);
        }
    }

  private:
    const char* name_;
    std::string old_;
};

TEST(Endpoints, HookbusDirWinsOverXdgRuntimeDir) {
    ScopedEnv dir("HOOKBUS_DIR", "/x/bus");
    ScopedEnv xdg("XDG_RUNTIME_DIR", "/run/user/7");
    EXPECT_EQ(default_runtime_dir(), "/x/bus");
    EXPECT_EQ(default_endpoints().emit, "ipc:///x/bus/emit");
}

TEST(Endpoints, XdgRuntimeDirThenTmpAreTheFallbacks) {
    ScopedEnv dir("HOOKBUS_DIR", nullptr);
    ScopedEnv xdg("XDG_RUNTIME_DIR", "/run/user/7");
    EXPECT_EQ(default_runtime_dir(), "/run/user/7/hookbus");
    ScopedEnv no_xdg("XDG_RUNTIME_DIR", nullptr);
    EXPECT_EQ(default_runtime_dir(), "/tmp/hookbus-" + std::to_string(::getuid()));
}

TEST(Endpoints, EndpointsInNamesTheThreeSockets) {
    const Endpoints endpoints = endpoints_in("/d");
    EXPECT_EQ(endpoints.events, "ipc:///d/events");
    EXPECT_EQ(endpoints.replies, "ipc:///d/replies");
    EXPECT_EQ(endpoints.emit, "ipc:///d/emit");
}

TEST(Endpoints, EnsurePrivateDirCreatesMode0700) {
    TempDir tmp;
    const std::string dir = tmp.file("bus");
    ensure_private_dir(dir);
    EXPECT_EQ(mode_of(dir), 0700u);
    EXPECT_NO_THROW(ensure_private_dir(dir));
}

TEST(Endpoints, EnsurePrivateDirRefusesGroupAccessAndSaysWhatToDo) {
    TempDir tmp;
    const std::string dir = tmp.file("open");
    ::mkdir(dir.c_str(), 0700);
    ::chmod(dir.c_str(), 0750);
    try {
        ensure_private_dir(dir);
        FAIL() << "an open directory was accepted";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("chmod 700"), std::string::npos);
    }
}

TEST(Endpoints, EnsurePrivateDirSuggestsASubdirectoryForSharedDirs) {
    TempDir tmp;
    const std::string dir = tmp.file("shared");
    ::mkdir(dir.c_str(), 0700);
    ::chmod(dir.c_str(), 01777);
    try {
        ensure_private_dir(dir);
        FAIL() << "a world-writable directory was accepted";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("private subdirectory"), std::string::npos);
        EXPECT_EQ(std::string(e.what()).find("chmod"), std::string::npos);
    }
}

TEST(Endpoints, EnsurePrivateDirRefusesAFile) {
    TempDir tmp;
    const std::string path = tmp.file("plain");
    ::close(::creat(path.c_str(), 0600));
    EXPECT_THROW(ensure_private_dir(path), std::runtime_error);
}

TEST(Endpoints, EnsurePrivateDirRefusesADirectoryOfAnotherUser) {
    TempDir tmp;
    std::string dir = "/";
    if (::geteuid() == 0) {
        dir = tmp.file("theirs");
        ::mkdir(dir.c_str(), 0700);
        ASSERT_EQ(::chown(dir.c_str(), 65534, 65534), 0);
    }
    try {
        ensure_private_dir(dir);
        FAIL() << "a directory of another user was accepted";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("not by you"), std::string::npos);
    }
}

}  // namespace
}  // namespace hookbus
