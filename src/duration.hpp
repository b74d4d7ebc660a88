// Parsing of human durations ("250ms", "5s", "2m", "1h") for command-line flags of
// hookbusd and hookbus.
#pragma once

#include <chrono>
#include <string_view>

namespace hookbus::detail {

/// Parses a non-negative integer followed by one of the units ms, s, m or h.
/// Throws std::invalid_argument, naming the text and the accepted forms, otherwise.
std::chrono::milliseconds parse_duration(std::string_view text);

}  // namespace hookbus::detail
