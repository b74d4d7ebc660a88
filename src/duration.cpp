// Parsing of human durations for command-line flags.
#include "duration.hpp"

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

namespace hookbus::detail {

namespace {

[[noreturn]] void refuse(std::string_view text) {
    throw std::invalid_argument("invalid duration '" + std::string(text) +
                                "': use a whole number with a unit, e.g. 250ms, 5s, "
                                "2m or 1h");
}

std::int64_t unit_ms(std::string_view unit) {
    if (unit == "ms") return 1;
    if (unit == "s") return 1000;
    if (unit == "m") return 60 * 1000;
    if (unit == "h") return 60 * 60 * 1000;
    return 0;
}

}  // namespace

std::chrono::milliseconds parse_duration(std::string_view text) {
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    auto scale = unit_ms(text.substr(digits));
    if (digits == 0 || digits > 12 || scale == 0) refuse(text);

    std::int64_t count = std::stoll(std::string(text.substr(0, digits)));
    if (count > std::numeric_limits<std::int64_t>::max() / scale) refuse(text);
    return std::chrono::milliseconds(count * scale);
}

}  // namespace hookbus::detail
