// Child processes for tests that run the real binaries: spawn with stdout and stderr
// captured to files, signal and reap by pid, and kill on destruction, so that no test
// leaves a process behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace hookbus::testing {

/// One spawned child, killed (SIGKILL) and reaped on destruction if still running.
class ChildProcess {
  public:
    /// Starts `argv[0]` with `argv`; its stdout and stderr go to the given files.
    ChildProcess(const std::vector<std::string>& argv, const std::string& stdout_path,
                 const std::string& stderr_path);
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    pid_t pid() const { return pid_; }
    /// Sends `signal` to this child only.
    void signal(int signal);
    /// The exit code (128 + signal when killed) once it exits, or nullopt when it is
    /// still running after `timeout`.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout);
    bool running() const { return !exit_code_.has_value(); }

  private:
    pid_t pid_ = -1;
    std::optional<int> exit_code_;
};

}  // namespace hookbus::testing
