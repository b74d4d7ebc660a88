// Child processes of the runner: role processes of this binary (re-executed through
// /proc/self/exe), hookbusd, the hookbus CLI and nats-server. Each child's stdout is a
// pipe the runner reads report lines from, its stdin a pipe for "go", and its stderr
// goes to a log file.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common.hpp"

namespace bench {

struct SpawnOptions {
    bool pinned = false;   ///< run on CPU 0 only (taskset -c 0)
    std::string log_path;  ///< stderr goes here (appended); empty: inherit
    /// Send stdout to the log too, for programs whose output nobody reads (a full
    /// pipe would block them).
    bool stdout_to_log = false;
};

class Child {
  public:
    Child() = default;
    /// Starts `argv[0]` (a path) with `argv`. Throws std::runtime_error on failure.
    Child(const std::vector<std::string>& argv, const SpawnOptions& options);
    ~Child();
    Child(Child&& other) noexcept;
    Child& operator=(Child&& other) noexcept;

    pid_t pid() const { return pid_; }
    bool running();

    /// The next stdout line, or nullopt when `timeout` passes or stdout closes.
    std::optional<std::string> read_line(std::chrono::milliseconds timeout);
    /// Reads lines until one of kind `kind`; throws with `what` on timeout or exit.
    Fields expect(const std::string& kind, std::chrono::milliseconds timeout,
                  const std::string& what);
    /// Writes one line to the child's stdin.
    void send_line(const std::string& line);
    /// Waits up to `timeout` for the child to exit; true if it did.
    bool wait_exit(std::chrono::milliseconds timeout);
    /// SIGTERM, then SIGKILL after `grace`; reaps the child.
    void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(2000));

  private:
    void close_fds();

    pid_t pid_ = -1;
    int out_fd_ = -1;
    int in_fd_ = -1;
    std::string buffer_;
};

/// The path of this executable.
std::string self_exe();
/// A TCP port on 127.0.0.1 that was free a moment ago.
int free_tcp_port();
/// Waits until something accepts TCP connections on 127.0.0.1:`port`.
bool wait_tcp_port(int port, std::chrono::milliseconds timeout);

}  // namespace bench
