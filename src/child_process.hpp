// Runs one command for `hookbus hook`: the event payload goes to its stdin, its
// stdout is collected as the reply, and it is killed (with its process group) if it
// overruns the event's deadline. The caller must ignore SIGPIPE, since a command may
// close its stdin without reading the payload.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace hookbus::detail {

/// How a command ended.
enum class ChildEnd {
    exited,           ///< exit_code holds its exit status
    signalled,        ///< exit_code holds the signal that ended it
    killed,           ///< overran its deadline (or was cancelled) and was killed
    failed_to_start,  ///< error says why
};

struct ChildResult {
    ChildEnd end = ChildEnd::failed_to_start;
    int exit_code = 0;
    std::string output;      ///< stdout, up to the output limit
    bool truncated = false;  ///< stdout went past the limit; the rest was discarded
    std::string error;
};

struct ChildSpec {
    std::vector<std::string> argv;  ///< argv[0] is looked up in PATH
    std::string input;              ///< written to stdin, which is then closed
    /// Added to (or replacing in) this process's environment.
    std::vector<std::pair<std::string, std::string>> env;
    std::chrono::steady_clock::time_point deadline;
    std::size_t output_limit = 16u << 20;
    /// Polled while the command runs; returning true kills it.
    std::function<bool()> cancelled;
};

/// Starts the command without a shell and waits until it ends or must be killed.
ChildResult run_child(const ChildSpec& spec);

}  // namespace hookbus::detail
