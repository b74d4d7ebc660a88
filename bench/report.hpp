// Turning measurements into the published figures: medians over runs, ratios to the
// same-run baselines, the markdown table, the targets of the performance issue, and
// the gnuplot percentile plot of round-trip latencies.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "cases.hpp"

namespace bench {

/// Writes every measurement as CSV (mode,run,system,transport,figure,value).
void write_measurements(const std::string& path, const std::vector<Measurement>& all);
/// The markdown table of medians and ratios, followed by the targets.
void print_table(std::ostream& out, const std::vector<Measurement>& all,
                 const std::vector<std::string>& modes);
/// Renders the latency percentile plot from the run directory's samples, with
/// `note` (mode, date) in its title; returns false (with a note on stderr) when
/// gnuplot or the samples are missing.
bool plot_latency(const std::string& run_dir, const std::string& png,
                  const std::string& note);

}  // namespace bench
