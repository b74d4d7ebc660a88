// `hookbus-bench all`: every selected case, for every mode and run, then the table.
#include "runner.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>

#include "cases.hpp"
#include "report.hpp"
#include "roles.hpp"

#ifndef HOOKBUS_BENCH_DIR
#define HOOKBUS_BENCH_DIR "bench"
#endif
#ifndef HOOKBUS_DOCS_DIR
#define HOOKBUS_DOCS_DIR "docs"
#endif

namespace bench {

namespace fs = std::filesystem;

namespace {

void apply_smoke(RunnerOptions& o) {
    o.duration_s = 0.4;
    o.warmup_s = 0.2;
    o.runs = 1;
    if (!o.modes_given) o.modes = {"unpinned"};
    o.pending = 10000;
}

std::string timestamp() {
    std::time_t now = std::time(nullptr);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", std::localtime(&now));
    return buf;
}

std::string make_tmpdir() {
    char pattern[] = "/tmp/hookbus-bench-XXXXXX";
    if (!mkdtemp(pattern)) throw std::runtime_error("mkdtemp failed");
    return pattern;
}

std::vector<Case> selected(const RunnerOptions& options) {
    std::vector<Case> out;
    std::regex only(options.only.empty() ? ".*" : options.only);
    for (auto& c : all_cases())
        if (std::regex_search(c.name, only)) out.push_back(std::move(c));
    return out;
}

// Runs one case; returns what went wrong when it produced no figure at all. A case
// that fails after some figures only warns: the figures it gave are kept.
std::string run_case(const Case& c, Context& ctx, std::vector<Measurement>& all) {
    auto before = all.size();
    std::string error;
    try {
        c.run(ctx);
    } catch (const Skipped& skip) {
        std::cerr << "  skipped: " << skip.what() << "\n";
        return "";
    } catch (const std::exception& e) {
        error = e.what();
    }
    if (all.size() == before) return error.empty() ? "no figures" : error;
    if (!error.empty()) std::cerr << "  warning: figures incomplete: " << error << "\n";
    return "";
}

std::string results_root(const RunnerOptions& options) {
    if (!options.results_dir.empty()) return options.results_dir;
    return std::string(HOOKBUS_BENCH_DIR) + "/results";
}

// Runs every case for every mode and run; returns what failed.
std::vector<std::string> run_cases(const RunnerOptions& options, const fs::path& root,
                                   std::vector<Measurement>& all) {
    auto tmpdir = make_tmpdir();
    auto cases = selected(options);
    std::vector<std::string> failures;
    for (const auto& mode : options.modes) {
        for (int run = 1; run <= options.runs; ++run) {
            auto run_dir = root / mode / ("run" + std::to_string(run));
            fs::create_directories(run_dir);
            Context ctx(options, mode, run, tmpdir, run_dir.string(), all);
            for (const auto& c : cases) {
                std::cerr << "[" << mode << " run " << run << "] " << c.name << "\n";
                auto error = run_case(c, ctx, all);
                if (error.empty()) continue;
                std::cerr << "  FAILED: " << error << "\n";
                failures.push_back(mode + " run " + std::to_string(run) + " " + c.name +
                                   ": " + error);
            }
        }
    }
    fs::remove_all(tmpdir);
    return failures;
}

// Writes figures.csv and table.md, prints the table, points `latest` at `root`.
void publish(const RunnerOptions& options, const fs::path& root,
             const std::vector<Measurement>& all) {
    write_measurements((root / "figures.csv").string(), all);
    std::ostringstream table;
    print_table(table, all, options.modes);
    std::cout << table.str();
    std::ofstream(root / "table.md") << table.str();

    std::error_code ignored;
    auto latest = fs::path(results_root(options)) / "latest";
    fs::remove(latest, ignored);
    fs::create_directory_symlink(root.filename(), latest, ignored);
    std::cerr << "raw results: " << root.string() << "\n";
}

}  // namespace

int run_all(RunnerOptions options) {
    if (options.smoke) apply_smoke(options);
    // A smoke run must not overwrite the published plot unless asked to.
    bool want_plot = !options.smoke || !options.plot_path.empty();
    if (options.plot_path.empty())
        options.plot_path = std::string(HOOKBUS_DOCS_DIR) + "/benchmarks-latency.png";
    auto root = fs::path(results_root(options)) / timestamp();

    std::vector<Measurement> all;
    auto failures = run_cases(options, root, all);
    publish(options, root, all);
    if (want_plot) {
        const auto& mode = options.modes.front();
        plot_latency((root / mode / "run1").string(), options.plot_path,
                     mode + ", run 1, " + root.filename().string());
    }
    for (const auto& f : failures) std::cerr << "FAILED " << f << "\n";
    return failures.empty() ? 0 : 1;
}

int list_cases(const RunnerOptions& options) {
    std::cout << "cases:\n";
    for (const auto& c : selected(options)) std::cout << "  " << c.name << "\n";
    std::cout << "roles:\n";
    for (const auto& r : all_roles())
        std::cout << "  " << r.name << "  " << r.what << "\n";
    return 0;
}

}  // namespace bench
