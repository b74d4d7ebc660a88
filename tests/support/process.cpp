// Child processes for tests. See process.hpp.
#include "support/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <thread>

namespace hookbus::testing {

namespace {

void redirect(const std::string& path, int target) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) ::_exit(126);
    ::dup2(fd, target);
    ::close(fd);
}

// Runs in the forked child: only async-signal-safe calls until exec.
[[noreturn]] void exec_child(std::vector<char*>& args, const std::string& out,
                             const std::string& err) {
    redirect(out, STDOUT_FILENO);
    redirect(err, STDERR_FILENO);
    ::execv(args[0], args.data());
    ::_exit(127);
}

int decode_status(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv,
                           const std::string& stdout_path,
                           const std::string& stderr_path) {
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) exec_child(args, stdout_path, stderr_path);
}

ChildProcess::~ChildProcess() {
    if (!running()) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
}

void ChildProcess::signal(int signal) {
    if (running()) ::kill(pid_, signal);
}

std::optional<int> ChildProcess::wait_exit(std::chrono::milliseconds timeout) {
    const auto give_up = std::chrono::steady_clock::now() + timeout;
    while (running()) {
        int status = 0;
        const pid_t done = ::waitpid(pid_, &status, WNOHANG);
        if (done == pid_) {
            exit_code_ = decode_status(status);
            break;
        }
        if (std::chrono::steady_clock::now() >= give_up) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return exit_code_;
}

}  // namespace hookbus::testing
