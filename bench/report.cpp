// Implementation of report.hpp: medians, ratios, the table, targets and the plot.
#include "report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <tuple>

namespace bench {

namespace fs = std::filesystem;

namespace {

struct FigureSpec {
    const char* id;
    const char* label;
    int digits;
    bool ratios = true;  ///< a ratio of two loss shares or drifts means nothing
};

const FigureSpec figure_specs[] = {
    {"rtt_p50", "round trip p50 (µs)", 1},
    {"rtt_p99", "round trip p99 (µs)", 1},
    {"rtt_p999", "round trip p99.9 (µs)", 1},
    {"pipe", "round trips/s, 64 in flight", 0},
    {"ff1", "events/s per subscriber, 1 sub", 0},
    {"ff1_loss", "lost at HWM, 1 sub (%)", 2, false},
    {"ff4", "events/s per subscriber, 4 subs", 0},
    {"ff4_loss", "lost at HWM, 4 subs (%)", 2, false},
    {"mem_idle", "broker RSS, idle (MiB)", 1},
    {"mem_pending", "broker RSS, N waits pending (MiB)", 1},
    {"mem_after", "broker RSS, after they timed out (MiB)", 1},
    {"mem_drift", "RSS after last round − after first (MiB)", 1, false},
};

const char* system_order[] = {"zmq-pingpong",     "relay",
                              "relay-embedded",   "hookbusd-raw",
                              "hookbusd",         "hookbus-embedded",
                              "hookbusd-spawned", "nats",
                              "python",           "node",
                              "nats-node"};

using Key = std::tuple<std::string, std::string, std::string, std::string>;

class Medians {
  public:
    explicit Medians(const std::vector<Measurement>& all) {
        for (const auto& m : all)
            values_[{m.mode, m.system, m.transport, m.figure}].push_back(m.value);
    }
    std::optional<double> get(const std::string& mode, const std::string& system,
                              const std::string& transport,
                              const std::string& figure) const {
        auto it = values_.find({mode, system, transport, figure});
        if (it == values_.end()) return std::nullopt;
        auto v = it->second;
        std::sort(v.begin(), v.end());
        auto n = v.size();
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
    std::vector<std::string> transports(const std::string& system,
                                        const std::string& figure) const {
        std::vector<std::string> out;
        for (const auto& [key, values] : values_) {
            const auto& [mode, sys, transport, fig] = key;
            if (sys == system && fig == figure &&
                std::find(out.begin(), out.end(), transport) == out.end())
                out.push_back(transport);
        }
        return out;
    }

  private:
    std::map<Key, std::vector<double>> values_;
};

struct Ref {
    std::string system, transport;
};

std::optional<Ref> baseline_of(const std::string& system, const std::string& transport,
                               const std::string& figure) {
    bool fanout = figure.rfind("ff", 0) == 0;
    if (system == "relay") {
        if (fanout) return std::nullopt;  // a ping-pong has no fan-out
        return Ref{"zmq-pingpong", transport};
    }
    if (system == "relay-embedded") return Ref{"relay", transport};
    if (system == "hookbusd" || system == "hookbusd-raw") return Ref{"relay", transport};
    if (system == "hookbus-embedded") return Ref{"relay-embedded", transport};
    if (system == "hookbusd-spawned") return Ref{"hookbusd", transport};
    if (system == "python" || system == "node") return Ref{"hookbusd", transport};
    return std::nullopt;
}

std::optional<Ref> nats_of(const std::string& system) {
    if (system == "nats" || system == "nats-node") return std::nullopt;
    if (system == "node") return Ref{"nats-node", "tcp"};
    return Ref{"nats", "tcp"};
}

std::string cell(std::optional<double> v, int digits) {
    return v ? fmt(*v, digits) : "–";
}

std::string ratio_cell(std::optional<double> v, std::optional<double> base) {
    if (!v || !base || *base == 0) return "–";
    return fmt(*v / *base, 2) + "×";
}

std::string ref_name(const std::optional<Ref>& ref) {
    return ref ? ref->system + "/" + ref->transport : "–";
}

void print_row(std::ostream& out, const Medians& med,
               const std::vector<std::string>& modes, const FigureSpec& spec,
               const std::string& system, const std::string& transport) {
    std::optional<Ref> base, nats;
    if (spec.ratios) {
        base = baseline_of(system, transport, spec.id);
        nats = nats_of(system);
    }
    out << "| " << spec.label << " | " << system << " | " << transport;
    for (const auto& mode : modes) {
        auto v = med.get(mode, system, transport, spec.id);
        std::optional<double> b, n;
        if (base) b = med.get(mode, base->system, base->transport, spec.id);
        if (nats) n = med.get(mode, nats->system, nats->transport, spec.id);
        out << " | " << cell(v, spec.digits) << " | " << ratio_cell(v, b) << " | "
            << ratio_cell(v, n);
    }
    out << " | " << ref_name(base) << " |\n";
}

void print_header(std::ostream& out, const std::vector<std::string>& modes) {
    out << "| figure | system | transport";
    for (const auto& mode : modes) out << " | " << mode << " | ×baseline | ×NATS";
    out << " | baseline |\n|---|---|---";
    for (std::size_t i = 0; i < modes.size(); ++i) out << "|---:|---:|---:";
    out << "|---|\n";
}

struct Target {
    std::string text;
    std::optional<double> value;
    double limit;
    bool at_most;  ///< met when value <= limit (else when value >= limit)
    int digits;
};

std::optional<double> ratio_of(const Medians& med, const std::string& mode,
                               const std::string& figure, const Ref& a, const Ref& b) {
    auto x = med.get(mode, a.system, a.transport, figure);
    auto y = med.get(mode, b.system, b.transport, figure);
    if (!x || !y || *y == 0) return std::nullopt;
    return *x / *y;
}

std::vector<Target> collect_targets(const Medians& med, const std::string& mode) {
    std::vector<Target> t;
    const Ref nats{"nats", "tcp"};
    for (const std::string tr : {"ipc", "tcp"}) {
        Ref hb{"hookbusd", tr}, relay{"relay", tr};
        t.push_back({"hookbusd/" + tr + " p50 ≤ 1.25× relay",
                     ratio_of(med, mode, "rtt_p50", hb, relay), 1.25, true, 2});
        t.push_back({"hookbusd/" + tr + " p99 ≤ 1.5× relay",
                     ratio_of(med, mode, "rtt_p99", hb, relay), 1.5, true, 2});
        t.push_back({"hookbusd/" + tr + " pipelined ≥ 0.8× relay",
                     ratio_of(med, mode, "pipe", hb, relay), 0.8, false, 2});
        t.push_back({"hookbusd/" + tr + " pipelined ≥ 2.5× NATS request-reply",
                     ratio_of(med, mode, "pipe", hb, nats), 2.5, false, 2});
        for (const char* ff : {"ff1", "ff4"})
            t.push_back({"hookbusd/" + tr + " " + ff + " events/s ≥ 0.8× relay",
                         ratio_of(med, mode, ff, hb, relay), 0.8, false, 2});
        t.push_back({"hookbus-embedded/" + tr + " p50 below NATS request-reply p50",
                     ratio_of(med, mode, "rtt_p50", {"hookbus-embedded", tr}, nats), 1.0,
                     true, 2});
    }
    auto pending = med.get(mode, "hookbusd", "ipc", "mem_pending");
    auto drift = med.get(mode, "hookbusd", "ipc", "mem_drift");
    t.push_back({"broker RSS with N pending waits ≤ 64 MiB", pending, 64, true, 1});
    t.push_back({"broker RSS flat: last round − first ≤ 4 MiB", drift, 4, true, 1});
    t.push_back({"Node client pipelined ≥ 1.5× NATS Node client",
                 ratio_of(med, mode, "pipe", {"node", "ipc"}, {"nats-node", "tcp"}), 1.5,
                 false, 2});
    return t;
}

void print_targets(std::ostream& out, const Medians& med, const std::string& mode) {
    out << "Targets (" << mode << " mode; ratios unless a unit is given):\n\n"
        << "| target | measured | verdict |\n|---|---:|---|\n";
    for (const auto& t : collect_targets(med, mode)) {
        std::string verdict = "not measured";
        if (t.value)
            verdict = (t.at_most ? *t.value <= t.limit : *t.value >= t.limit) ? "met"
                                                                              : "NOT MET";
        out << "| " << t.text << " | " << cell(t.value, t.digits) << " | " << verdict
            << " |\n";
    }
}

}  // namespace

void write_measurements(const std::string& path, const std::vector<Measurement>& all) {
    std::ofstream out(path);
    out << "mode,run,system,transport,figure,value\n";
    for (const auto& m : all)
        out << m.mode << ',' << m.run << ',' << m.system << ',' << m.transport << ','
            << m.figure << ',' << m.value << '\n';
}

void print_table(std::ostream& out, const std::vector<Measurement>& all,
                 const std::vector<std::string>& modes) {
    Medians med(all);
    print_header(out, modes);
    for (const auto& spec : figure_specs)
        for (const char* system : system_order)
            for (const auto& transport : med.transports(system, spec.id))
                print_row(out, med, modes, spec, system, transport);
    out << "\nMedians of the runs. ×baseline and ×NATS divide the figure by the "
           "same figure of the baseline (or NATS) in the same mode.\n\n";
    auto mode = std::find(modes.begin(), modes.end(), "pinned") != modes.end()
                    ? std::string("pinned")
                    : modes.front();
    print_targets(out, med, mode);
}

}  // namespace bench
