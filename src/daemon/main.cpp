// hookbusd: the hookbus broker as a daemon. Parses flags into a BrokerConfig, logs
// through spdlog to stderr, and runs the broker until SIGINT or SIGTERM, which stop it
// cleanly (waiting emitters are told `shutting_down`) with exit code 0.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <exception>
#include <hookbus/broker.hpp>
#include <iostream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "duration.hpp"

namespace {

constexpr const char* version_text = "hookbusd 0.1.0 (protocol 1)";

// Both are touched from the signal handler, hence lock-free atomics.
std::atomic<hookbus::Broker*> running_broker{nullptr};
std::atomic<bool> stop_requested{false};

void on_signal(int) {
    stop_requested = true;
    // Broker::stop() only writes to an eventfd, which is async-signal-safe.
    if (hookbus::Broker* broker = running_broker) broker->stop();
}

void install_signal_handlers() {
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

// "65536", "64KiB", "1MiB", "1M"; K and M are powers of 1024.
std::optional<std::uint64_t> parse_size(const std::string& text) {
    std::size_t used = 0;
    unsigned long long value = 0;
    try {
        value = std::stoull(text, &used);
    } catch (const std::exception&) {
        return std::nullopt;
    }
    const std::string unit = text.substr(used);
    if (unit.empty() || unit == "B") return value;
    if (unit == "K" || unit == "k" || unit == "KiB") return value << 10;
    if (unit == "M" || unit == "MiB") return value << 20;
    if (unit == "G" || unit == "GiB") return value << 30;
    return std::nullopt;
}

// A CLI11 option that fills a milliseconds field from a duration text.
void add_duration(CLI::App& app, const std::string& flag, std::chrono::milliseconds& out,
                  const std::string& help) {
    app.add_option_function<std::string>(
           flag,
           [&out, flag](const std::string& text) {
               try {
                   out = hookbus::detail::parse_duration(text);
               } catch (const std::invalid_argument& e) {
                   throw CLI::ValidationError(flag, e.what());
               }
           },
           help)
        ->type_name("DURATION");
}

// Splits NAME=VALUE; NAME is an event name or `*`.
std::pair<std::string, std::string> name_and_value(const std::string& flag,
                                                   const std::string& text) {
    const auto equals = text.find('=');
    if (equals == std::string::npos) {
        throw CLI::ValidationError(flag, "expected NAME=VALUE (NAME an event name or *), "
                                         "got '" + text + "'");
    }
    auto name = text.substr(0, equals);
    if (name != "*" && !hookbus::valid_event_name(name)) {
        throw CLI::ValidationError(flag, "'" + name + "' is neither an event name nor *");
    }
    return {std::move(name), text.substr(equals + 1)};
}

// What --policy and --on-failure said about one name (or `*`); a name's own policy
// is completed from `*` once every flag has been read, whatever their order.
struct PolicyFlags {
    std::optional<hookbus::Expect> expect;
    std::optional<hookbus::OnFailure> on_failure;
};
using PolicyOverrides = std::map<std::string, PolicyFlags>;

// --policy NAME=first|all and --on-failure NAME=open|closed, repeatable: the
// defaults of waits that leave a policy out (docs/protocol.md section 13.3).
void add_policies(CLI::App& app, PolicyOverrides& overrides) {
    app.add_option_function<std::vector<std::string>>(
           "--policy",
           [&overrides](const std::vector<std::string>& texts) {
               for (const auto& text : texts) {
                   auto [name, value] = name_and_value("--policy", text);
                   const auto expect = hookbus::expect_from(value);
                   if (!expect) {
                       throw CLI::ValidationError("--policy", "'" + value +
                                                                  "' is not first or all");
                   }
                   overrides[name].expect = *expect;
               }
           },
           "reply policy of waits on NAME that give none: first or all (repeatable; "
           "* for every other name)")
        ->type_name("NAME=POLICY");
    app.add_option_function<std::vector<std::string>>(
           "--on-failure",
           [&overrides](const std::vector<std::string>& texts) {
               for (const auto& text : texts) {
                   auto [name, value] = name_and_value("--on-failure", text);
                   const auto on_failure = hookbus::on_failure_from(value);
                   if (!on_failure) {
                       throw CLI::ValidationError("--on-failure",
                                                  "'" + value + "' is not open or closed");
                   }
                   overrides[name].on_failure = *on_failure;
               }
           },
           "what a missing answer counts as for waits on NAME that give none: open (no "
           "veto) or closed (a veto) (repeatable; * for every other name)")
        ->type_name("NAME=POLICY");
}

void apply_policies(const PolicyOverrides& overrides, hookbus::BrokerConfig& config) {
    if (const auto star = overrides.find("*"); star != overrides.end()) {
        config.default_policy.expect = star->second.expect.value_or(hookbus::Expect::first);
        config.default_policy.on_failure =
            star->second.on_failure.value_or(hookbus::OnFailure::open);
    }
    for (const auto& [name, given] : overrides) {
        if (name == "*") continue;
        config.policies[name] = {given.expect.value_or(config.default_policy.expect),
                                 given.on_failure.value_or(config.default_policy.on_failure)};
    }
}

struct Flags {
    hookbus::BrokerConfig config;
    std::string dir;
    std::string log_level = "info";
    std::string curve_secret;
    std::string allowed_keys;
    bool insecure = false;
    PolicyOverrides policies;
};

void add_flags(CLI::App& app, Flags& flags) {
    auto& config = flags.config;
    app.add_option("--dir", flags.dir,
                   "runtime directory of the default ipc endpoints "
                   "(default: $HOOKBUS_DIR, $XDG_RUNTIME_DIR/hookbus, /tmp/hookbus-UID)");
    app.add_option("--events", config.endpoints.events, "events (XPUB) endpoint");
    app.add_option("--replies", config.endpoints.replies, "replies (ROUTER) endpoint");
    app.add_option("--emit", config.endpoints.emit, "emit (ROUTER) endpoint");
    app.add_option("--hwm", config.send_hwm, "events queued per subscriber")
        ->check(CLI::PositiveNumber);
    add_duration(app, "--default-timeout", config.default_timeout,
                 "timeout of a wait that names none");
    add_duration(app, "--max-timeout", config.max_timeout, "longest timeout allowed");
    app.add_option_function<std::string>(
           "--max-msg-size",
           [&config](const std::string& text) {
               const auto parsed = parse_size(text);
               if (!parsed || *parsed == 0) {
                   throw CLI::ValidationError("--max-msg-size",
                                              "expected bytes such as 65536 or 1MiB");
               }
               config.max_msg_size = *parsed;
           },
           "largest message accepted on any socket")
        ->type_name("SIZE");
    app.add_option("--max-pending", config.max_pending, "waits in progress at most")
        ->check(CLI::PositiveNumber);
    app.add_option("--max-hooks", config.max_hooks, "hook registrations at most")
        ->check(CLI::PositiveNumber);
    app.add_option("--max-owed", config.max_owed,
                   "waits that may expect one hook before it is cut off for lagging "
                   "(0: never)");
    add_policies(app, flags.policies);
    add_duration(app, "--heartbeat-interval", config.heartbeat_interval,
                 "ZeroMQ heartbeat interval");
    add_duration(app, "--heartbeat-timeout", config.heartbeat_timeout,
                 "silence after which a peer is dropped");
    app.add_option("--curve-secret", flags.curve_secret,
                   "the broker's CURVE key pair file (hookbus keygen): every socket "
                   "speaks CURVE")
        ->type_name("FILE");
    app.add_option("--allowed-keys", flags.allowed_keys,
                   "directory of the *.pub files of the clients admitted (needs "
                   "--curve-secret)")
        ->type_name("DIR");
    app.add_flag("--insecure", flags.insecure,
                 "allow tcp endpoints without CURVE: unauthenticated and unencrypted");
    app.add_option("--log-level", flags.log_level, "least severe level logged")
        ->check(CLI::IsMember({"debug", "info", "notice", "warning", "error"}));
    app.set_version_flag("--version", version_text);
}

hookbus::LogLevel level_from(const std::string& name) {
    if (name == "debug") return hookbus::LogLevel::debug;
    if (name == "notice") return hookbus::LogLevel::notice;
    if (name == "warning") return hookbus::LogLevel::warning;
    if (name == "error") return hookbus::LogLevel::error;
    return hookbus::LogLevel::info;
}

spdlog::level::level_enum spdlog_level(hookbus::LogLevel level) {
    switch (level) {
        case hookbus::LogLevel::debug:
            return spdlog::level::debug;
        case hookbus::LogLevel::info:
        case hookbus::LogLevel::notice:
            return spdlog::level::info;
        case hookbus::LogLevel::warning:
            return spdlog::level::warn;
        case hookbus::LogLevel::error:
            return spdlog::level::err;
    }
    return spdlog::level::info;
}

// spdlog has no notice level: records are filtered here by hookbus's own levels and
// notice is shown as info.
hookbus::LogSink make_sink(hookbus::LogLevel least) {
    auto logger = spdlog::stderr_color_mt("hookbusd");
    logger->set_level(spdlog::level::trace);
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
    return [logger, least](hookbus::LogLevel level, std::string_view id,
                           std::string_view message) {
        if (level < least) return;
        logger->log(spdlog_level(level), "{} {}", id, message);
    };
}

void apply_dir(Flags& flags) {
    if (flags.dir.empty()) return;
    const auto in_dir = hookbus::endpoints_in(flags.dir);
    auto& endpoints = flags.config.endpoints;
    if (endpoints.events.empty()) endpoints.events = in_dir.events;
    if (endpoints.replies.empty()) endpoints.replies = in_dir.replies;
    if (endpoints.emit.empty()) endpoints.emit = in_dir.emit;
}

// Loads the key files named by the security flags into the config. Returns a usage
// error message, or "" when the flags fit together.
std::string apply_security(Flags& flags) {
    auto& config = flags.config;
    config.allow_plain_tcp = flags.insecure;
    if (flags.curve_secret.empty()) {
        if (!flags.allowed_keys.empty())
            return "--allowed-keys needs --curve-secret FILE, the broker's key pair";
        return "";
    }
    if (flags.allowed_keys.empty()) {
        return "--curve-secret needs --allowed-keys DIR, the public keys of the "
               "clients to admit (make them with hookbus keygen)";
    }
    config.curve = hookbus::load_key_pair(flags.curve_secret);
    config.allowed_client_keys = hookbus::load_public_keys_in(flags.allowed_keys);
    return "";
}

void run_until_signalled(hookbus::Broker& broker) {
    running_broker = &broker;
    // A signal that came during construction found no broker to stop.
    if (stop_requested) broker.stop();
    try {
        broker.run();
    } catch (...) {
        running_broker = nullptr;
        throw;
    }
    running_broker = nullptr;
}

int serve(hookbus::BrokerConfig config) {
    try {
        hookbus::Broker broker(std::move(config));
        run_until_signalled(broker);
    } catch (const std::exception& e) {
        std::cerr << "hookbusd: " << e.what() << "\n";
        return 1;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"hookbusd: the hookbus broker"};
    Flags flags;
    add_flags(app, flags);
    CLI11_PARSE(app, argc, argv);
    apply_policies(flags.policies, flags.config);

    if (flags.config.max_timeout < flags.config.default_timeout) {
        std::cerr << "hookbusd: --default-timeout must not exceed --max-timeout\n";
        return 2;
    }
    apply_dir(flags);
    try {
        if (const auto usage = apply_security(flags); !usage.empty()) {
            std::cerr << "hookbusd: " << usage << "\n";
            return 2;
        }
    } catch (const std::exception& e) {
        std::cerr << "hookbusd: " << e.what() << "\n";
        return 1;
    }
    flags.config.log = make_sink(level_from(flags.log_level));
    install_signal_handlers();
    return serve(std::move(flags.config));
}
