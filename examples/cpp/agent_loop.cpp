// A simulated agent loop that asks the bus before each step: plan, capture each
// file, merge. Every step is an emit_and_wait; a hook's veto skips the step and the
// reason is reported. After a step is done, a fire-and-forget event tells any
// listener (an audit log, `hookbus tail`) what happened.
//
// Policy for answers that are not a plain yes or no:
//   no_hook      go ahead: nobody asked to be consulted about this step.
//   timed_out    skip the step: a hook watches it but did not answer in time, and
//                silence from a guard is not consent.
//   unreachable, overloaded, shutting_down, refused
//                stop the run: the guards cannot be consulted at all.
// With --fail-open, timed_out and the broker failures go ahead instead.
//
//     hookbus_agent_loop [--timeout MS] [--fail-open] [FILE...]

#include <chrono>
#include <cstdlib>
#include <hookbus/emitter.hpp>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace {

using Json = nlohmann::json;
using std::chrono::milliseconds;

struct Options {
    milliseconds timeout{2000};
    bool fail_open = false;
    std::vector<std::string> files;
};

/// What the loop does with a step after asking about it.
enum class Verdict { proceed, skip, stop };

struct Totals {
    int done = 0;
    int skipped = 0;
};

Options parse_options(int argc, char** argv) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--timeout" && i + 1 < argc) {
            options.timeout = milliseconds(std::atol(argv[++i]));
        } else if (arg == "--fail-open") {
            options.fail_open = true;
        } else if (!arg.empty() && arg[0] == '-') {
            std::cerr << "usage: hookbus_agent_loop [--timeout MS] [--fail-open] "
                         "[FILE...]\n";
            std::exit(2);
        } else {
            options.files.push_back(arg);
        }
    }
    if (options.files.empty())
        options.files = {"README.md", "src/main.cpp", "secrets/api-key.txt"};
    return options;
}

/// The name of the hook whose answer carries the veto.
std::string vetoing_hook(const hookbus::Outcome& out) {
    for (const auto& answer : out.replies) {
        auto reply = Json::parse(answer.reply_json, nullptr, false);
        auto abort = reply.is_object() ? reply.find("abort") : reply.end();
        if (abort != reply.end() && abort->is_string() &&
            !abort->get<std::string>().empty())
            return answer.hook;
    }
    return "?";
}

/// Applies the policy at the top of this file to one outcome, and says why.
Verdict judge(const hookbus::Outcome& out, bool fail_open, std::string& why) {
    using hookbus::Status;
    switch (out.status) {
        case Status::replied:
            if (out.vetoed()) {
                why = "vetoed by " + vetoing_hook(out) + ": " + out.abort();
                return Verdict::skip;
            }
            why = "allowed by " + out.replies.front().hook;
            return Verdict::proceed;
        case Status::no_hook:
            why = "no hook answers it";
            return Verdict::proceed;
        case Status::timed_out:
            why = "no answer in time";
            return fail_open ? Verdict::proceed : Verdict::skip;
        default:
            why = std::string(hookbus::to_string(out.status));
            if (!out.error_message.empty()) why += " (" + out.error_message + ")";
            return fail_open ? Verdict::proceed : Verdict::stop;
    }
}

/// Asks about one step; returns whether to do it, or stop the whole run.
Verdict ask(hookbus::Emitter& emitter, const Options& options, const std::string& event,
            const Json& payload, const std::string& label) {
    auto out = emitter.emit_and_wait(event, payload.dump(), options.timeout);
    std::string why;
    auto verdict = judge(out, options.fail_open, why);

    const char* what = verdict == Verdict::proceed ? "go"
                       : verdict == Verdict::skip  ? "SKIPPED"
                                                   : "STOPPED";
    std::cout << "agent: " << label << ": " << what << " (" << why << ")" << std::endl;
    return verdict;
}

/// Tells listeners a step was done; nobody waits for an answer.
void report_done(hookbus::Emitter& emitter, const std::string& step, const Json& detail) {
    auto out =
        emitter.emit("agent.step", Json{{"step", step}, {"detail", detail}}.dump());
    if (out.status != hookbus::Status::ok)
        std::cerr << "agent: could not report " << step << ": "
                  << hookbus::to_string(out.status) << std::endl;
}

/// Ends a run whose guards cannot be consulted; returns the exit code.
int stopped() {
    std::cout << "agent: stopped: the guards cannot be consulted" << std::endl;
    return 3;
}

/// Runs plan, captures and merge; returns the process exit code.
int run(const Options& options) {
    hookbus::Emitter emitter;
    Totals totals;

    Json plan{{"task", "tidy the repository"}, {"files", options.files}};
    auto verdict = ask(emitter, options, "plan", plan, "plan");
    if (verdict == Verdict::stop) return stopped();
    if (verdict == Verdict::skip) {
        std::cout << "agent: nothing to do without a plan" << std::endl;
        return 0;
    }
    report_done(emitter, "plan", plan);
    ++totals.done;

    std::vector<std::string> captured;
    for (const auto& file : options.files) {
        verdict =
            ask(emitter, options, "capture", Json{{"path", file}}, "capture " + file);
        if (verdict == Verdict::stop) return stopped();
        if (verdict == Verdict::skip) {
            ++totals.skipped;
            continue;
        }
        captured.push_back(file);
        report_done(emitter, "capture", Json{{"path", file}});
        ++totals.done;
    }

    Json merge{{"branch", "agent/tidy"}, {"into", "main"}, {"files", captured}};
    verdict = ask(emitter, options, "merge", merge, "merge");
    if (verdict == Verdict::stop) return stopped();
    if (verdict == Verdict::skip) {
        ++totals.skipped;
    } else {
        report_done(emitter, "merge", merge);
        ++totals.done;
    }

    std::cout << "agent: " << totals.done << " steps done, " << totals.skipped
              << " skipped" << std::endl;
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(parse_options(argc, argv));
    } catch (const std::exception& error) {
        std::cerr << "agent: " << error.what() << std::endl;
        return 1;
    }
}
