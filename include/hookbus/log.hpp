// The one logging seam of the library. The broker and clients stay silent unless the
// caller installs a sink; hookbusd installs one that writes through spdlog.
#pragma once

#include <functional>
#include <string_view>

namespace hookbus {

/// Syslog-style severities, most verbose first.
enum class LogLevel { debug, info, notice, warning, error };

/// Receives one log record: its level, a stable id such as "HB-BAD-MSG", and a
/// message with key=value context.
using LogSink = std::function<void(LogLevel, std::string_view id, std::string_view msg)>;

}  // namespace hookbus
