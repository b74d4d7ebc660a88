// hookbus: the command-line client. It emits events (and waits for hook answers),
// tails events as JSON lines, turns any command into a hook, and shows the broker's
// counters. It finds the broker by the same defaults as hookbusd and the libraries.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <hookbus/curve.hpp>
#include <hookbus/emitter.hpp>
#include <hookbus/endpoints.hpp>
#include <hookbus/hook.hpp>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "child_process.hpp"
#include "duration.hpp"

namespace {

using namespace std::chrono_literals;
using Json = nlohmann::ordered_json;
using std::chrono::milliseconds;

constexpr int exit_ok = 0;
constexpr int exit_vetoed = 1;
constexpr int exit_usage = 2;
constexpr int exit_timed_out = 3;
constexpr int exit_no_hook = 4;
constexpr int exit_unreachable = 5;
constexpr int exit_refused = 6;

// How long a blocking call may sleep before the loops look at the signal flag.
constexpr milliseconds signal_check{200};

constexpr const char* footer = R"(Exit codes:
  0  published, or replied without a veto (wait: the hooks are ready; stats, hooks,
     tail, hook: success)
  1  vetoed: a hook's reply has a non-empty "abort", or --on-failure closed counted
     a missing answer as a veto
  2  bad usage: unknown flag, bad name, bad JSON or duration, a key file that does
     not load (or keygen would overwrite one)
  3  timed out: an answer was missing at --timeout, or an expected hook died, left
     or lagged before answering (and the failure policy did not veto); wait: fewer
     hooks than --hooks before --timeout
  4  no hook: no live hook answers this name; nothing was published
  5  broker unreachable: no answer within the client's own deadline
  6  refused: the broker refused the request, is overloaded or is shutting down

Environment:
  HOOKBUS_DIR         the broker's directory (else $XDG_RUNTIME_DIR/hookbus, else
                      /tmp/hookbus-<uid>); --dir and the endpoint flags override it
  HOOKBUS_SERVER_KEY  path of the broker's public key file, as --server-key
  HOOKBUS_CLIENT_KEY  path of this client's key pair file, as --client-key)";

/// Bad usage found after CLI11's own parsing; reported with exit code 2.
class UsageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

volatile std::sig_atomic_t stop_requested = 0;

void on_stop_signal(int) { stop_requested = 1; }

void install_signal_handlers() {
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    // A hook command may close its stdin without reading the payload.
    std::signal(SIGPIPE, SIG_IGN);
}

void fail(const std::string& message) { std::cerr << "hookbus: " << message << "\n"; }

// The library's messages start with "hookbus: " already.
std::string without_prefix(std::string text) {
    if (text.rfind("hookbus: ", 0) == 0) text.erase(0, 9);
    return text;
}

std::string format_duration(milliseconds duration) {
    if (duration.count() % 1000 == 0)
        return std::to_string(duration.count() / 1000) + "s";
    return std::to_string(duration.count()) + "ms";
}

milliseconds duration_flag(const std::string& flag, const std::string& text) {
    try {
        return hookbus::detail::parse_duration(text);
    } catch (const std::invalid_argument& error) {
        throw UsageError(flag + ": " + error.what());
    }
}

Json parse_or_raw(const std::string& text) {
    auto parsed = Json::parse(text, nullptr, false);
    if (parsed.is_discarded()) return text;
    return parsed;
}

Json timestamp_json(const hookbus::Timestamp& stamp) {
    return Json::array({stamp.seconds, stamp.nanos});
}

// ---- where the broker is ----------------------------------------------------

struct Location {
    std::string dir;
    std::string events;
    std::string replies;
    std::string emit;

    hookbus::Endpoints resolve() const {
        auto endpoints =
            hookbus::endpoints_in(dir.empty() ? hookbus::default_runtime_dir() : dir);
        if (!events.empty()) endpoints.events = events;
        if (!replies.empty()) endpoints.replies = replies;
        if (!emit.empty()) endpoints.emit = emit;
        return endpoints;
    }
};

std::string unreachable_message(const std::string& endpoint, milliseconds budget) {
    std::string text = "no broker answered at " + endpoint + " within " +
                       format_duration(budget) +
                       "; is hookbusd running? start it, or pass --dir (or set "
                       "HOOKBUS_DIR) to point at its directory";
    if (endpoint.rfind("tcp://", 0) == 0) {
        text +=
            "; a tcp broker may also require CURVE keys (--server-key, --client-key) "
            "and refuse a client key it does not list";
    }
    return text;
}

// ---- keys -----------------------------------------------------------------------

struct KeyArgs {
    std::string server_key;
    std::string client_key;

    // Each flag, else its environment variable; both or neither.
    std::optional<hookbus::Curve> resolve() const {
        auto server = server_key.empty() ? env(hookbus::server_key_env) : server_key;
        auto client = client_key.empty() ? env(hookbus::client_key_env) : client_key;
        if (server.empty() && client.empty()) return std::nullopt;
        if (server.empty() || client.empty()) {
            throw UsageError(
                "CURVE needs both the broker's public key (--server-key or "
                "HOOKBUS_SERVER_KEY) and this client's key pair (--client-key or "
                "HOOKBUS_CLIENT_KEY)");
        }
        try {
            return hookbus::load_curve(server, client);
        } catch (const std::runtime_error& error) {
            throw UsageError(error.what());
        }
    }

    static std::string env(const char* name) {
        const char* value = std::getenv(name);
        return value == nullptr ? "" : value;
    }
};

struct KeygenArgs {
    std::string name;
    std::string dir = ".";
};

int run_keygen(const KeygenArgs& args) {
    try {
        auto files =
            hookbus::write_key_pair(hookbus::generate_key_pair(), args.dir, args.name);
        std::cout << files.key_path << "  key pair, keep it secret (mode 0600)\n"
                  << files.pub_path << "  public key, give it to the other side"
                  << std::endl;
        return exit_ok;
    } catch (const std::runtime_error& error) {
        throw UsageError(error.what());
    }
}

// Reports a status that is not an answer, and returns its exit code.
int report_failure(const hookbus::Outcome& outcome, const std::string& endpoint,
                   milliseconds budget) {
    using hookbus::Status;
    switch (outcome.status) {
        case Status::unreachable:
            fail(unreachable_message(endpoint, budget));
            return exit_unreachable;
        case Status::overloaded:
            fail("the broker is overloaded (" + outcome.error_message + "); retry later");
            return exit_refused;
        case Status::shutting_down:
            fail("the broker is shutting down; retry once it is running again");
            return exit_refused;
        default:
            fail("the broker refused the request (" +
                 std::string(hookbus::to_string(outcome.error_code)) +
                 "): " + outcome.error_message);
            return exit_refused;
    }
}

// ---- emit ---------------------------------------------------------------------

struct EmitArgs {
    std::string name;
    std::string json = "{}";
    bool wait = false;
    bool all = false;
    std::string policy;      ///< "", first or all; "" leaves it to the broker
    std::string on_failure;  ///< "", open or closed
    std::string timeout = "5s";
};

hookbus::WaitPolicy policy_of(const EmitArgs& args) {
    hookbus::WaitPolicy policy;
    if (args.all && args.policy == "first")
        throw UsageError("--all and --policy first contradict each other");
    if (args.all || !args.policy.empty())
        policy.expect = hookbus::expect_from(args.all ? "all" : args.policy);
    if (!args.on_failure.empty())
        policy.on_failure = hookbus::on_failure_from(args.on_failure);
    return policy;
}

std::string payload_of(const EmitArgs& args) {
    std::string text = args.json;
    if (text == "-") {
        text.assign(std::istreambuf_iterator<char>(std::cin),
                    std::istreambuf_iterator<char>());
    }
    if (Json::parse(text, nullptr, false).is_discarded())
        throw UsageError("the payload is not valid JSON: " + text);
    return text;
}

Json outcome_json(const hookbus::Outcome& outcome) {
    Json replies = Json::array();
    for (const auto& answer : outcome.replies) {
        replies.push_back({{"hook", answer.hook},
                           {"instance", answer.instance},
                           {"reply", parse_or_raw(answer.reply_json)},
                           {"latency_us", answer.latency_us}});
    }
    Json vetoes = Json::array();
    for (const auto& veto : outcome.vetoes) {
        vetoes.push_back(
            {{"hook", veto.hook}, {"instance", veto.instance}, {"reason", veto.reason}});
    }
    Json missing = Json::array();
    for (const auto& gone : outcome.missing) {
        missing.push_back({{"hook", gone.hook},
                           {"instance", gone.instance},
                           {"why", std::string(hookbus::to_string(gone.why))}});
    }
    return Json{{"outcome", std::string(hookbus::to_string(outcome.status))},
                {"id", outcome.id},
                {"verdict", std::string(hookbus::to_string(outcome.verdict))},
                {"decided_by", std::string(hookbus::to_string(outcome.decided_by))},
                {"policy", std::string(hookbus::to_string(outcome.expect))},
                {"on_failure", std::string(hookbus::to_string(outcome.on_failure))},
                {"replies", replies},
                {"vetoes", vetoes},
                {"missing", missing},
                {"abort", outcome.abort()}};
}

int answered_exit(const hookbus::Outcome& outcome, const EmitArgs& args,
                  milliseconds timeout) {
    std::cout << outcome_json(outcome).dump() << std::endl;
    if (outcome.vetoed()) return exit_vetoed;
    if (outcome.status == hookbus::Status::replied) return exit_ok;
    if (outcome.status == hookbus::Status::incomplete) {
        fail("'" + args.name + "' is missing answers: an expected hook died, left or "
             "lagged before answering (see \"missing\")");
        return exit_timed_out;
    }
    if (outcome.status == hookbus::Status::no_hook) {
        fail("no live hook answers '" + args.name + "'; start one, e.g. hookbus hook " +
             args.name + " -- COMMAND");
        return exit_no_hook;
    }
    fail("no answer for '" + args.name + "' within " + format_duration(timeout));
    return exit_timed_out;
}

int run_emit(const EmitArgs& args, const hookbus::Endpoints& endpoints,
             const std::optional<hookbus::Curve>& curve) {
    auto timeout = duration_flag("--timeout", args.timeout);
    auto payload = payload_of(args);
    hookbus::EmitterOptions options;
    options.endpoint = endpoints.emit;
    options.curve = curve;
    if (!args.wait) options.request_timeout = std::max(timeout, 1ms);
    hookbus::Emitter emitter(options);

    if (!args.wait) {
        auto outcome = emitter.emit(args.name, payload);
        if (outcome.status != hookbus::Status::ok)
            return report_failure(outcome, endpoints.emit, options.request_timeout);
        std::cout << outcome.id << std::endl;
        return exit_ok;
    }
    auto outcome = emitter.emit_and_wait(args.name, payload, timeout, policy_of(args));
    switch (outcome.status) {
        case hookbus::Status::replied:
        case hookbus::Status::timed_out:
        case hookbus::Status::incomplete:
        case hookbus::Status::no_hook:
            return answered_exit(outcome, args, timeout);
        default:
            return report_failure(outcome, endpoints.emit, timeout + options.grace);
    }
}

// ---- tail -----------------------------------------------------------------------

struct TailArgs {
    std::vector<std::string> names;
    long count = 0;
};

Json event_json(const hookbus::Event& event) {
    return Json{{"name", event.name},
                {"id", event.id},
                {"seq", event.seq},
                {"run", event.run},
                {"emitted_at", timestamp_json(event.emitted_at)},
                {"deadline", event.deadline ? timestamp_json(*event.deadline) : Json()},
                {"payload", parse_or_raw(event.payload_json)}};
}

Json lagged_json(const hookbus::Lagged& lagged) {
    return Json{{"lagged",
                 {{"name", lagged.name()},
                  {"missed", lagged.missed()},
                  {"restarted", lagged.restarted()}}}};
}

// Says once on stderr that the broker's welcome arrived, so that a person (or a
// test) knows the subscription is in place.
void note_connected(const hookbus::Subscriber& subscriber, std::uint64_t& known_run,
                    const std::string& endpoint) {
    if (subscriber.run() == 0 || subscriber.run() == known_run) return;
    known_run = subscriber.run();
    std::cerr << "hookbus: tailing " << endpoint << " (broker run " << known_run << ")"
              << std::endl;
}

int run_tail(const TailArgs& args, const hookbus::Endpoints& endpoints,
             const std::optional<hookbus::Curve>& curve) {
    hookbus::Subscriber subscriber({endpoints.events, args.names, nullptr, curve});
    std::uint64_t known_run = 0;
    long seen = 0;
    while (!stop_requested && (args.count <= 0 || seen < args.count)) {
        try {
            auto event = subscriber.next(signal_check);
            note_connected(subscriber, known_run, endpoints.events);
            if (!event) continue;
            std::cout << event_json(*event).dump() << std::endl;
            ++seen;
        } catch (const hookbus::Lagged& lagged) {
            std::cout << lagged_json(lagged).dump() << std::endl;
        }
    }
    return exit_ok;
}

// ---- hook -----------------------------------------------------------------------

struct HookArgs {
    std::vector<std::string> names;
    std::string hook_name;
    std::string command_timeout = "60s";
    std::vector<std::string> command;
};

std::string describe(const hookbus::Event& event) {
    return "event " + event.id + " (" + event.name + " #" + std::to_string(event.seq) +
           ")";
}

std::int64_t epoch_ms(const hookbus::Timestamp& stamp) {
    return stamp.seconds * 1000 + stamp.nanos / 1000000;
}

// When the command must be done: the event's deadline, or for an event nobody
// waits for, the --command-timeout.
std::chrono::steady_clock::time_point command_deadline(const hookbus::Event& event,
                                                       milliseconds fallback) {
    auto now = std::chrono::steady_clock::now();
    if (!event.deadline) return now + fallback;
    auto left = epoch_ms(*event.deadline) - epoch_ms(hookbus::wall_now());
    return now + milliseconds(std::max<std::int64_t>(left, 0));
}

hookbus::detail::ChildSpec command_spec(const HookArgs& args, const hookbus::Event& event,
                                        milliseconds fallback) {
    hookbus::detail::ChildSpec spec;
    spec.argv = args.command;
    spec.input = event.payload_json;
    spec.env = {{"HOOKBUS_EVENT_ID", event.id},
                {"HOOKBUS_EVENT_NAME", event.name},
                {"HOOKBUS_EVENT_SEQ", std::to_string(event.seq)},
                {"HOOKBUS_DEADLINE_MS",
                 event.deadline ? std::to_string(epoch_ms(*event.deadline)) : ""},
                {"HOOKBUS_AWAITED", event.awaited() ? "1" : "0"}};
    spec.deadline = command_deadline(event, fallback);
    spec.cancelled = [] { return stop_requested != 0; };
    return spec;
}

// Checks how the command ended; returns its output when it may become a reply.
std::optional<std::string> usable_output(const hookbus::detail::ChildResult& result,
                                         const std::string& what) {
    using hookbus::detail::ChildEnd;
    switch (result.end) {
        case ChildEnd::failed_to_start:
            fail(what + ": " + result.error);
            return std::nullopt;
        case ChildEnd::killed:
            fail(what +
                 ": the command overran the deadline and was killed; no reply sent");
            return std::nullopt;
        case ChildEnd::signalled:
            fail(what + ": the command died of signal " +
                 std::to_string(result.exit_code) + "; no reply sent");
            return std::nullopt;
        case ChildEnd::exited:
            break;
    }
    if (result.exit_code != 0) {
        fail(what + ": the command exited with status " +
             std::to_string(result.exit_code) + "; no reply sent");
        return std::nullopt;
    }
    if (result.truncated) {
        fail(what + ": the command's output is too large; no reply sent");
        return std::nullopt;
    }
    return result.output;
}

// The reply to send, if the command's output is one: nullopt for empty output.
std::optional<Json> reply_of(const std::string& output, const std::string& what) {
    auto first = output.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return std::nullopt;
    auto reply = Json::parse(output, nullptr, false);
    if (reply.is_object()) return reply;
    fail(what + ": the command's output is not a JSON object; no reply sent");
    return std::nullopt;
}

void answer_event(hookbus::Hook& hook, const HookArgs& args, const hookbus::Event& event,
                  milliseconds fallback) {
    auto what = describe(event);
    if (event.deadline && epoch_ms(*event.deadline) <= epoch_ms(hookbus::wall_now())) {
        fail(what + ": its deadline has passed; skipped");
        return;
    }
    auto output = usable_output(
        hookbus::detail::run_child(command_spec(args, event, fallback)), what);
    if (!output) return;
    auto reply = reply_of(*output, what);
    if (!reply || !event.awaited()) return;
    auto text = reply->dump();
    if (!hook.reply(event, std::string_view(text)))
        fail(what +
             ": the broker did not accept the reply (too late, or already "
             "answered)");
}

void note_ready(const hookbus::Hook& hook, bool& was_ready, const HookArgs& args) {
    if (hook.ready() == was_ready) return;
    was_ready = hook.ready();
    if (!was_ready) return;
    std::string names;
    for (const auto& name : args.names) names += (names.empty() ? "" : ", ") + name;
    std::cerr << "hookbus: hook '" << args.hook_name << "' is live for " << names
              << " (instance " << hook.instance() << ")" << std::endl;
}

int run_hook(HookArgs args, const hookbus::Endpoints& endpoints,
             const std::optional<hookbus::Curve>& curve) {
    if (args.command.empty())
        throw UsageError(
            "hook needs a command after --, e.g. hookbus hook capture -- "
            "./check.sh");
    auto fallback = duration_flag("--command-timeout", args.command_timeout);
    if (args.hook_name.empty()) {
        auto slash = args.command[0].rfind('/');
        args.hook_name =
            args.command[0].substr(slash == std::string::npos ? 0 : slash + 1);
    }
    hookbus::HookOptions options;
    options.name = args.hook_name;
    options.events = args.names;
    options.endpoints = endpoints;
    options.curve = curve;
    hookbus::Hook hook(options);

    bool was_ready = false;
    while (!stop_requested) {
        try {
            auto event = hook.next(signal_check);
            note_ready(hook, was_ready, args);
            if (event) answer_event(hook, args, *event, fallback);
        } catch (const hookbus::Lagged& lagged) {
            fail(without_prefix(lagged.what()) + "; carrying on");
        }
    }
    return exit_ok;
}

// ---- stats ----------------------------------------------------------------------

int run_stats(const hookbus::Endpoints& endpoints,
              const std::optional<hookbus::Curve>& curve) {
    hookbus::EmitterOptions options;
    options.endpoint = endpoints.emit;
    options.curve = curve;
    hookbus::Emitter emitter(options);
    auto stats = emitter.stats();
    if (!stats) {
        fail(unreachable_message(endpoints.emit, options.request_timeout));
        return exit_unreachable;
    }
    std::cout << stats->dump(2) << std::endl;
    return exit_ok;
}

// ---- wait -----------------------------------------------------------------------

struct WaitArgs {
    std::string name;
    std::uint64_t hooks = 1;
    std::string timeout = "10s";
};

int run_wait(const WaitArgs& args, const hookbus::Endpoints& endpoints,
             const std::optional<hookbus::Curve>& curve) {
    auto timeout = duration_flag("--timeout", args.timeout);
    hookbus::EmitterOptions options;
    options.endpoint = endpoints.emit;
    options.curve = curve;
    hookbus::Emitter emitter(options);
    const auto readiness = emitter.wait_ready(args.name, args.hooks, timeout);
    if (readiness.status == hookbus::Status::unreachable) {
        fail(unreachable_message(endpoints.emit, timeout + options.grace));
        return exit_unreachable;
    }
    if (readiness.status != hookbus::Status::ok) {
        hookbus::Outcome outcome;
        outcome.status = readiness.status;
        outcome.error_message = readiness.error_message;
        return report_failure(outcome, endpoints.emit, timeout);
    }
    std::cout << readiness.hooks << " of " << args.hooks << " hooks answer '"
              << args.name << "'" << std::endl;
    if (readiness.ready) return exit_ok;
    fail("fewer than " + std::to_string(args.hooks) + " hooks answer '" + args.name +
         "' after " + format_duration(timeout) + "; is every hook running?");
    return exit_timed_out;
}

// ---- hooks ----------------------------------------------------------------------

std::string joined(const Json& names) {
    std::string text;
    for (const auto& name : names) {
        text += (text.empty() ? "" : ",") + name.get<std::string>();
    }
    return text.empty() ? "-" : text;
}

int run_hooks(const hookbus::Endpoints& endpoints,
              const std::optional<hookbus::Curve>& curve) {
    hookbus::EmitterOptions options;
    options.endpoint = endpoints.emit;
    options.curve = curve;
    hookbus::Emitter emitter(options);
    auto stats = emitter.stats();
    if (!stats) {
        fail(unreachable_message(endpoints.emit, options.request_timeout));
        return exit_unreachable;
    }
    std::printf("%-20s %-36s %-24s %-24s %s\n", "HOOK", "INSTANCE", "ANSWERS",
                "OBSERVES", "LAST HEARD");
    for (const auto& hook : stats->value("hooks", nlohmann::json::array())) {
        if (!hook.value("live", false)) continue;
        const auto heard = hook.value("last_heard_ms", nlohmann::json());
        const std::string ago =
            heard.is_number() ? format_duration(milliseconds(heard.get<std::int64_t>())) +
                                    " ago"
                              : "-";
        std::printf("%-20s %-36s %-24s %-24s %s\n",
                    hook.value("hook", std::string()).c_str(),
                    hook.value("instance", std::string()).c_str(),
                    joined(hook.value("events", nlohmann::json::array())).c_str(),
                    joined(hook.value("observe", nlohmann::json::array())).c_str(),
                    ago.c_str());
    }
    std::fflush(stdout);
    return exit_ok;
}

// ---- command line -----------------------------------------------------------------

struct Command {
    Location location;
    KeyArgs keys;
    KeygenArgs keygen;
    CLI::App* keygen_app = nullptr;
    EmitArgs emit;
    TailArgs tail;
    HookArgs hook;
    WaitArgs wait;
    CLI::App* wait_app = nullptr;
    CLI::App* hooks_app = nullptr;
    CLI::App* emit_app = nullptr;
    CLI::App* tail_app = nullptr;
    CLI::App* hook_app = nullptr;
    CLI::App* stats_app = nullptr;
};

void add_location_flags(CLI::App& app, Location& location) {
    app.add_option("--dir", location.dir,
                   "broker directory (default: $HOOKBUS_DIR, "
                   "else $XDG_RUNTIME_DIR/hookbus)");
    app.add_option("--events", location.events,
                   "events endpoint (default: <dir>/events)");
    app.add_option("--replies", location.replies,
                   "replies endpoint (default: <dir>/replies)");
    app.add_option("--emit", location.emit, "emit endpoint (default: <dir>/emit)");
}

void add_key_flags(CLI::App& app, KeyArgs& keys) {
    app.add_option("--server-key", keys.server_key,
                   "the broker's public key file, for CURVE (default: "
                   "$HOOKBUS_SERVER_KEY)")
        ->type_name("FILE");
    app.add_option("--client-key", keys.client_key,
                   "this client's key pair file, for CURVE (default: "
                   "$HOOKBUS_CLIENT_KEY)")
        ->type_name("FILE");
}

void add_keygen(CLI::App& app, Command& command) {
    auto* sub = app.add_subcommand(
        "keygen", "write a CURVE key pair as NAME.key (secret) and NAME.pub (public)");
    sub->add_option("name", command.keygen.name, "key name, e.g. the host or client")
        ->required();
    sub->add_option("--dir", command.keygen.dir, "where to write the files")
        ->capture_default_str();
    command.keygen_app = sub;
}

void add_emit(CLI::App& app, Command& command) {
    auto* sub = app.add_subcommand("emit",
                                   "publish an event; with --wait, wait for "
                                   "the hooks' answer");
    sub->add_option("name", command.emit.name, "event name")->required();
    sub->add_option("json", command.emit.json, "payload JSON ('-' reads stdin)")
        ->capture_default_str();
    sub->add_flag("--wait", command.emit.wait, "wait for an answer, print it as JSON");
    sub->add_option("--policy", command.emit.policy,
                    "with --wait: first (the first answer wins) or all (every hook "
                    "live for the name answers); default: the broker's for the name")
        ->check(CLI::IsMember({"first", "all"}));
    sub->add_flag("--all", command.emit.all, "with --wait: the same as --policy all");
    sub->add_option("--on-failure", command.emit.on_failure,
                    "with --wait: what a missing answer counts as, open (no veto) or "
                    "closed (a veto); default: the broker's for the name")
        ->check(CLI::IsMember({"open", "closed"}));
    sub->add_option("--timeout", command.emit.timeout, "how long to wait, e.g. 250ms, 5s")
        ->capture_default_str();
    command.emit_app = sub;
}

void add_wait(CLI::App& app, Command& command) {
    auto* sub = app.add_subcommand(
        "wait", "wait until at least --hooks live hooks answer NAME (exit 0), or exit 3 "
                "after --timeout");
    sub->add_option("name", command.wait.name, "event name")->required();
    sub->add_option("--hooks", command.wait.hooks, "how many hooks")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    sub->add_option("--timeout", command.wait.timeout, "how long to wait, e.g. 10s")
        ->capture_default_str();
    command.wait_app = sub;
}

void add_tail(CLI::App& app, Command& command) {
    auto* sub = app.add_subcommand("tail",
                                   "print events as JSON lines until "
                                   "interrupted");
    sub->add_option("names", command.tail.names, "event names (default: all)");
    sub->add_option("--count", command.tail.count, "exit after this many events")
        ->check(CLI::NonNegativeNumber);
    command.tail_app = sub;
}

void add_hook(CLI::App& app, Command& command) {
    auto* sub = app.add_subcommand(
        "hook",
        "NAME... [--name HOOK] -- COMMAND [ARGS]: run COMMAND per event with "
        "the payload on stdin; a JSON object on its stdout is the reply");
    sub->add_option("names", command.hook.names, "event names to answer")->required();
    sub->add_option("--name", command.hook.hook_name,
                    "the hook's name shown to emitters (default: the command's)");
    sub->add_option("--command-timeout", command.hook.command_timeout,
                    "limit for events nobody waits for")
        ->capture_default_str();
    command.hook_app = sub;
}

std::unique_ptr<CLI::App> make_app(Command& command) {
    auto app = std::make_unique<CLI::App>("hookbus: emit, watch and answer hook events");
    app->footer(footer);
    app->failure_message([](const CLI::App*, const CLI::Error& error) {
        return "hookbus: " + std::string(error.what()) +
               "\nRun 'hookbus --help' for usage.\n";
    });
    app->require_subcommand(1);
    app->fallthrough();
    add_location_flags(*app, command.location);
    add_key_flags(*app, command.keys);
    add_emit(*app, command);
    add_tail(*app, command);
    add_hook(*app, command);
    add_wait(*app, command);
    command.stats_app =
        app->add_subcommand("stats", "print the broker's counters as JSON");
    command.hooks_app = app->add_subcommand(
        "hooks", "list the live hooks: names, the events they answer or observe, and "
                 "when each was last heard from");
    add_keygen(*app, command);
    return app;
}

// Takes what follows the first "--" as hook's COMMAND, before CLI11 sees argv.
std::vector<std::string> split_command(int argc, char** argv, std::vector<char*>& head) {
    std::vector<std::string> tail;
    bool after = false;
    for (int i = 0; i < argc; ++i) {
        std::string arg = argv[i];
        if (after)
            tail.push_back(arg);
        else if (arg == "--" && i > 0)
            after = true;
        else
            head.push_back(argv[i]);
    }
    return tail;
}

int dispatch(Command& command) {
    auto endpoints = command.location.resolve();
    if (!command.hook.command.empty() && !command.hook_app->parsed())
        throw UsageError("only 'hook' takes a command after --");
    if (command.keygen_app->parsed()) return run_keygen(command.keygen);
    auto curve = command.keys.resolve();
    if (command.emit_app->parsed()) return run_emit(command.emit, endpoints, curve);
    if (command.tail_app->parsed()) return run_tail(command.tail, endpoints, curve);
    if (command.hook_app->parsed()) return run_hook(command.hook, endpoints, curve);
    if (command.wait_app->parsed()) return run_wait(command.wait, endpoints, curve);
    if (command.hooks_app->parsed()) return run_hooks(endpoints, curve);
    return run_stats(endpoints, curve);
}

}  // namespace

int main(int argc, char** argv) {
    Command command;
    auto app = make_app(command);
    std::vector<char*> head;
    command.hook.command = split_command(argc, argv, head);
    try {
        app->parse(static_cast<int>(head.size()), head.data());
    } catch (const CLI::ParseError& error) {
        int code = app->exit(error);
        return code == 0 ? exit_ok : exit_usage;
    }

    install_signal_handlers();
    try {
        return dispatch(command);
    } catch (const UsageError& error) {
        fail(error.what());
    } catch (const std::invalid_argument& error) {
        fail(without_prefix(error.what()));
    } catch (const zmq::error_t& error) {
        fail(std::string("cannot use the endpoint: ") + error.what() +
             "; check --dir and the endpoint flags");
    }
    return exit_usage;
}
