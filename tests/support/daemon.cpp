// Real hookbus processes for tests. See daemon.hpp.
#include "support/daemon.hpp"

#include <fstream>
#include <sstream>
#include <zmq.hpp>

#include "support/raw_clients.hpp"
#include "support/wait_until.hpp"

namespace hookbus::testing {

namespace {

// The value of `key=` among the space-separated words of `line`.
std::string word_value(const std::string& line, const std::string& key) {
    std::istringstream words(line);
    for (std::string word; words >> word;) {
        if (word.rfind(key + "=", 0) == 0) return word.substr(key.size() + 1);
    }
    return {};
}

bool answers_stats(const std::string& emit_endpoint) {
    zmq::context_t context;
    RawDealer probe(context, emit_endpoint);
    return !probe.stats().is_null();
}

std::size_t count_of(const std::string& text, const std::string& needle) {
    std::size_t count = 0;
    for (auto at = text.find(needle); at != std::string::npos;
         at = text.find(needle, at + 1)) {
        ++count;
    }
    return count;
}

}  // namespace

long rss_kib(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return 0;
}

std::optional<Endpoints> started_endpoints(const std::string& log) {
    std::istringstream lines(log);
    for (std::string line; std::getline(lines, line);) {
        if (line.find("HB-START") == std::string::npos) continue;
        Endpoints endpoints{word_value(line, "events"), word_value(line, "replies"),
                            word_value(line, "emit")};
        if (!endpoints.emit.empty()) return endpoints;
    }
    return std::nullopt;
}

Daemon::Daemon(const std::string& hookbusd_path, const TempDir& dir,
               const std::vector<std::string>& extra, const std::string& tag)
    : log_path_(dir.file(tag + ".err")) {
    std::vector<std::string> argv{hookbusd_path, "--dir", dir.file("bus"), "--log-level",
                                  "info"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    process_ = std::make_unique<ChildProcess>(argv, dir.file(tag + ".out"), log_path_);
}

bool Daemon::ready(std::chrono::milliseconds timeout) {
    // Stops early when the daemon exits instead of starting (bad flags, busy dir).
    wait_until(
        [&] {
            if (const auto found = started_endpoints(log())) {
                endpoints_ = *found;
                return true;
            }
            return process_->wait_exit(std::chrono::milliseconds(0)).has_value();
        },
        timeout);
    if (endpoints_.emit.empty()) return false;
    return wait_until([&] { return answers_stats(endpoints_.emit); }, timeout);
}

CliHook::CliHook(const std::string& cli_path, const Endpoints& endpoints,
                 const std::string& event, const std::string& hook,
                 const std::string& script, const std::string& log_path)
    : log_path_(log_path) {
    const std::vector<std::string> argv{cli_path,
                                        "--events",
                                        endpoints.events,
                                        "--replies",
                                        endpoints.replies,
                                        "--emit",
                                        endpoints.emit,
                                        "hook",
                                        event,
                                        "--name",
                                        hook,
                                        "--",
                                        "sh",
                                        "-c",
                                        script};
    process_ = std::make_unique<ChildProcess>(argv, log_path + ".out", log_path);
}

bool CliHook::live(std::chrono::milliseconds timeout, int times) const {
    return wait_until(
        [&] { return count_of(log(), "is live") >= static_cast<std::size_t>(times); },
        timeout);
}

}  // namespace hookbus::testing
