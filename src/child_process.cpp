// Runs one command for `hookbus hook` with posix_spawn, which is safe in a process
// that has ZeroMQ's threads running (fork followed by setenv would not be).
#include "child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

extern char** environ;

namespace hookbus::detail {

namespace {

using Clock = std::chrono::steady_clock;

// Upper bound of one poll, so that cancellation and exit are noticed promptly.
constexpr int poll_slice_ms = 20;

class Fd {
  public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    Fd& operator=(Fd&& other) noexcept {
        reset();
        fd_ = std::exchange(other.fd_, -1);
        return *this;
    }
    ~Fd() { reset(); }
    int get() const { return fd_; }
    void reset() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

  private:
    int fd_ = -1;
};

bool make_pipe(Fd& read_end, Fd& write_end) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return false;
    read_end = Fd(fds[0]);
    write_end = Fd(fds[1]);
    return true;
}

std::vector<std::string> merged_environment(const ChildSpec& spec) {
    std::map<std::string, std::string> merged;
    for (char** entry = environ; *entry; ++entry) {
        std::string text(*entry);
        auto eq = text.find('=');
        if (eq != std::string::npos) merged[text.substr(0, eq)] = text.substr(eq + 1);
    }
    for (const auto& [key, value] : spec.env) merged[key] = value;

    std::vector<std::string> lines;
    for (const auto& [key, value] : merged) lines.push_back(key + "=" + value);
    return lines;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> result;
    for (auto& text : strings) result.push_back(text.data());
    result.push_back(nullptr);
    return result;
}

// Spawns the command in a process group of its own, so that a kill at the deadline
// reaches whatever it started too. Returns the pid, or -1 with errno set.
pid_t spawn(const ChildSpec& spec, int stdin_fd, int stdout_fd) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, stdin_fd, STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, stdout_fd, STDOUT_FILENO);
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(
        &attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    posix_spawnattr_setpgroup(&attr, 0);
    sigset_t none, defaults;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    posix_spawnattr_setsigdefault(&attr, &defaults);

    auto args = spec.argv;
    auto env = merged_environment(spec);
    auto argv = pointers(args);
    auto envp = pointers(env);
    pid_t pid = -1;
    int rc = posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    return pid;
}

struct Exchange {
    Fd input;
    Fd output;
    std::size_t written = 0;
};

// Moves payload bytes in and output bytes out; returns false once both are done.
bool pump_pipes(const ChildSpec& spec, Exchange& io, ChildResult& result, int wait_ms) {
    pollfd fds[2];
    int count = 0;
    if (io.output.get() >= 0) fds[count++] = {io.output.get(), POLLIN, 0};
    if (io.input.get() >= 0) fds[count++] = {io.input.get(), POLLOUT, 0};
    if (count == 0) return false;
    if (::poll(fds, count, wait_ms) <= 0) return true;

    for (int i = 0; i < count; ++i) {
        if (fds[i].revents == 0) continue;
        if (fds[i].fd == io.output.get()) {
            char buffer[65536];
            auto got = ::read(io.output.get(), buffer, sizeof buffer);
            if (got <= 0) {
                if (got < 0 && errno == EINTR) continue;
                io.output.reset();
                continue;
            }
            auto room =
                spec.output_limit - std::min(spec.output_limit, result.output.size());
            if (static_cast<std::size_t>(got) > room) result.truncated = true;
            result.output.append(buffer, std::min<std::size_t>(room, got));
        } else {
            auto left = spec.input.size() - io.written;
            auto put = ::write(io.input.get(), spec.input.data() + io.written, left);
            if (put < 0 && errno != EINTR && errno != EAGAIN) io.input.reset();
            if (put > 0) io.written += static_cast<std::size_t>(put);
            if (io.written == spec.input.size()) io.input.reset();
        }
    }
    return true;
}

bool overdue(const ChildSpec& spec) {
    return Clock::now() >= spec.deadline || (spec.cancelled && spec.cancelled());
}

void record_status(int status, ChildResult& result) {
    if (WIFEXITED(status)) {
        result.end = ChildEnd::exited;
        result.exit_code = WEXITSTATUS(status);
    } else {
        result.end = ChildEnd::signalled;
        result.exit_code = WTERMSIG(status);
    }
}

void supervise(pid_t pid, const ChildSpec& spec, Exchange& io, ChildResult& result) {
    while (true) {
        if (overdue(spec)) {
            ::kill(-pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
            result.end = ChildEnd::killed;
            return;
        }
        if (pump_pipes(spec, io, result, poll_slice_ms)) continue;

        int status = 0;
        pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid) {
            record_status(status, result);
            return;
        }
        ::usleep(poll_slice_ms * 1000 / 4);
    }
}

}  // namespace

ChildResult run_child(const ChildSpec& spec) {
    ChildResult result;
    if (spec.argv.empty()) {
        result.error = "no command given";
        return result;
    }
    Fd child_in, child_out;
    Exchange io;
    if (!make_pipe(child_in, io.input) || !make_pipe(io.output, child_out)) {
        result.error = std::string("cannot create a pipe: ") + std::strerror(errno);
        return result;
    }
    ::fcntl(io.input.get(), F_SETFL, O_NONBLOCK);

    pid_t pid = spawn(spec, child_in.get(), child_out.get());
    if (pid < 0) {
        result.error = "cannot run '" + spec.argv[0] + "': " + std::strerror(errno);
        return result;
    }
    child_in.reset();
    child_out.reset();
    if (spec.input.empty()) io.input.reset();
    supervise(pid, spec, io, result);
    return result;
}

}  // namespace hookbus::detail
