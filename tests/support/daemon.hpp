// Real hookbus processes for fault and load tests: a hookbusd spawned in a test's own
// directory (its bound endpoints read back from its start record, so tcp port 0
// works), a `hookbus hook` CLI process, and the resident memory of either.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <hookbus/endpoints.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace hookbus::testing {

/// VmRSS of a process in KiB, from /proc/<pid>/status; 0 once it is gone.
long rss_kib(pid_t pid);

/// The endpoints a broker logged in its HB-START record, if that line is in `log`.
std::optional<Endpoints> started_endpoints(const std::string& log);

/// A hookbusd child. Without endpoint flags in `extra` it binds ipc in `dir/bus`.
class Daemon {
  public:
    /// Spawns `hookbusd_path --dir DIR/bus --log-level info EXTRA...`; its stderr goes
    /// to DIR/TAG.err. Does not wait for it: see ready().
    Daemon(const std::string& hookbusd_path, const TempDir& dir,
           const std::vector<std::string>& extra = {},
           const std::string& tag = "hookbusd");

    /// Waits until the daemon logged its bound endpoints and answers a stats request.
    bool ready(std::chrono::milliseconds timeout = std::chrono::seconds(10));
    /// The bound endpoints (valid once ready() returned true).
    const Endpoints& endpoints() const { return endpoints_; }
    /// Everything the daemon wrote to stderr so far.
    std::string log() const { return read_text_file(log_path_); }
    long rss_kib() const { return testing::rss_kib(process_->pid()); }
    ChildProcess& process() { return *process_; }

  private:
    std::string log_path_;
    Endpoints endpoints_;
    std::unique_ptr<ChildProcess> process_;
};

/// A `hookbus hook NAME --name HOOK -- sh -c SCRIPT` child connected to `endpoints`.
class CliHook {
  public:
    CliHook(const std::string& cli_path, const Endpoints& endpoints,
            const std::string& event, const std::string& hook, const std::string& script,
            const std::string& log_path);

    /// Waits until the CLI says the broker confirmed it (its "is live" line). A hook
    /// that re-announces itself says so again; `times` counts those lines.
    bool live(std::chrono::milliseconds timeout = std::chrono::seconds(10),
              int times = 1) const;
    std::string log() const { return read_text_file(log_path_); }
    ChildProcess& process() { return *process_; }

  private:
    std::string log_path_;
    std::unique_ptr<ChildProcess> process_;
};

}  // namespace hookbus::testing
