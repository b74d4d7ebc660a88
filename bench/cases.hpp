// The benchmark cases and what they share: a Context that knows the mode, the run,
// where raw samples go and how to start processes, and the Measurement rows every
// case appends.
#pragma once

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "child.hpp"
#include "runner.hpp"

namespace bench {

/// One figure of one case in one run.
struct Measurement {
    std::string mode;  ///< "pinned" or "unpinned"
    int run = 0;
    std::string system, transport, figure;
    double value = 0;
};

class Context {
  public:
    Context(const RunnerOptions& options, std::string mode, int run, std::string tmpdir,
            std::string run_dir, std::vector<Measurement>& out);

    const RunnerOptions& options() const { return options_; }
    bool pinned() const { return mode_ == "pinned"; }
    int run() const { return run_; }

    void record(const std::string& system, const std::string& transport,
                const std::string& figure, double value);
    /// A bindable endpoint: a fresh ipc path, "tcp://127.0.0.1:*" or, with
    /// `concrete`, a tcp port picked now (for programs that cannot report theirs).
    std::string endpoint(const std::string& transport, bool concrete = false);
    /// Starts `hookbus-bench role NAME args...`.
    Child role(const std::string& name, const std::vector<std::string>& args);
    /// Starts another program (absolute path or found in PATH). Its stdout goes to
    /// the log unless `read_stdout`.
    Child program(std::vector<std::string> argv, bool read_stdout = false);
    /// --duration/--warmup for a role.
    std::vector<std::string> timing() const;
    /// Where a case's round-trip samples go.
    std::string samples_path(const std::string& system, const std::string& transport);
    /// Seconds to allow a role that measures `phases` phases.
    std::chrono::milliseconds budget(int phases) const;

  private:
    const RunnerOptions& options_;
    std::string mode_;
    int run_;
    std::string tmpdir_, run_dir_;
    std::vector<Measurement>& out_;
    int counter_ = 0;
};

/// Thrown by a case that cannot run here (a client binding not built yet); the
/// runner reports it and does not count it as a failure.
struct Skipped : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// A named case; `run` throws std::runtime_error when it cannot produce figures.
struct Case {
    std::string name;
    std::function<void(Context&)> run;
};

/// Every case, in the order they run.
std::vector<Case> all_cases();
// Cases by family. The hookbus ones are empty in a build without the library.
std::vector<Case> hookbus_request_cases(const std::string& transport);
std::vector<Case> hookbus_fanout_cases(const std::string& transport);
std::vector<Case> hookbus_resource_cases();
std::vector<Case> client_cases();

/// Starts `subs` subscriber roles, then the publisher role; records the mean
/// delivered rate per subscriber ("ffN"), its loss ("ffN_loss", percent) and the
/// publisher's rate ("ffN_sent").
struct FanoutRoles {
    std::string sub_role;
    std::vector<std::string> sub_args;
    std::string pub_role;
    std::vector<std::string> pub_args;
};
void run_fanout(Context& ctx, const std::string& system, const std::string& transport,
                int subs, const FanoutRoles& roles);

/// Starts nats-server and, per phase (rtt, then pipe), a C responder and the client
/// `client(common_args, phase)` returns; records under `system`/tcp.
void nats_requests_with(Context& ctx, const std::string& system,
                        const std::function<Child(const std::vector<std::string>& common,
                                                  const std::string& phase)>& client);
/// Starts hookbusd and a live hookbus::Hook answering "bench", then calls
/// `client(emit_endpoint)`.
void with_daemon_and_hook(Context& ctx, const std::string& transport,
                          const std::function<void(const std::string& emit)>& client);

/// Appends `more` to `args`.
std::vector<std::string> operator+(std::vector<std::string> args,
                                   const std::vector<std::string>& more);

/// The result lines a role prints before "done" (or before it exits).
std::vector<Fields> collect(Child& child, std::chrono::milliseconds timeout,
                            const std::string& what);
/// Records rtt and pipe results under `system`/`transport`.
void record_requests(Context& ctx, const std::string& system,
                     const std::string& transport, const std::vector<Fields>& results);
/// Finds an executable: `path` itself if it has a slash, else along PATH and sbin.
std::string find_program(const std::string& name);

}  // namespace bench
