// The latency plot: each case's round-trip samples as a percentile curve (x in
// "nines": 90, 99, 99.9 ...; y in µs on a log scale), drawn by gnuplot.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "report.hpp"

namespace bench {

namespace fs = std::filesystem;

namespace {

struct Series {
    const char* system;
    const char* transport;
    const char* title;
};

const Series plotted[] = {
    {"zmq-pingpong", "ipc", "ZeroMQ ping-pong (ipc)"},
    {"relay", "ipc", "relay baseline (ipc)"},
    {"hookbusd-raw", "ipc", "hookbusd, raw clients (ipc)"},
    {"hookbusd", "ipc", "hookbusd, C++ clients (ipc)"},
    {"relay-embedded", "ipc", "relay embedded (inproc + ipc)"},
    {"hookbus-embedded", "ipc", "hookbus embedded (inproc + ipc)"},
    {"nats", "tcp", "NATS request-reply (tcp)"},
};

// Writes "nines latency_us" points; false when there are no samples.
bool write_curve(const std::string& samples_csv, const fs::path& dat) {
    if (!fs::exists(samples_csv)) return false;
    auto samples = read_samples(samples_csv);
    if (samples.empty()) return false;
    std::sort(samples.begin(), samples.end());
    std::ofstream out(dat);
    double n = static_cast<double>(samples.size());
    double top = std::log10(n);
    for (int i = 0; i <= 400; ++i) {
        double nines = top * i / 400.0;
        double p = 1.0 - std::pow(10.0, -nines);
        auto rank = static_cast<std::size_t>(std::ceil(p * n));
        rank = std::clamp<std::size_t>(rank, 1, samples.size());
        out << nines << ' ' << samples[rank - 1] / 1000.0 << '\n';
    }
    return true;
}

void write_script(const fs::path& gp, const std::string& png, const std::string& note,
                  const std::vector<std::pair<fs::path, std::string>>& curves) {
    std::ofstream out(gp);
    out << "set terminal pngcairo size 1100,650 font 'sans,11'\n"
        << "set output '" << png << "'\n"
        << "set title 'Round trip with one request in flight, by percentile (" << note
        << ")'\n"
        << "set rmargin 6\nset xrange [0:*]\n"
        << "set xlabel 'percentile'\nset ylabel 'round trip (µs)'\n"
        << "set logscale y\nset grid\nset key left top\n"
        << "set xtics ('0' 0, '90' 1, '99' 2, '99.9' 3, '99.99' 4, '99.999' 5)\n"
        << "plot ";
    for (std::size_t i = 0; i < curves.size(); ++i)
        out << (i ? ", \\\n     " : "") << "'" << curves[i].first.string()
            << "' using 1:2 with lines lw 2 title '" << curves[i].second << "'";
    out << "\n";
}

}  // namespace

bool plot_latency(const std::string& run_dir, const std::string& png,
                  const std::string& note) {
    auto dir = fs::path(run_dir) / "plot";
    fs::create_directories(dir);
    std::vector<std::pair<fs::path, std::string>> curves;
    for (const auto& s : plotted) {
        std::string name = std::string(s.system) + "-" + s.transport;
        auto dat = dir / (name + ".dat");
        if (write_curve(run_dir + "/" + name + "-rtt.csv", dat))
            curves.emplace_back(dat, s.title);
    }
    if (curves.empty()) {
        std::cerr << "plot: no round-trip samples in " << run_dir << "\n";
        return false;
    }
    auto gp = dir / "latency.gp";
    write_script(gp, png, note, curves);
    if (std::system(("gnuplot '" + gp.string() + "'").c_str()) != 0) {
        std::cerr << "plot: gnuplot failed (is it installed?); script: " << gp << "\n";
        return false;
    }
    std::cerr << "plot: " << png << "\n";
    return true;
}

}  // namespace bench
