// Where the broker's three sockets live. Broker, CLI and every client library
// resolve the same defaults (docs/protocol.md section 1), so that `hookbusd` and
// `hookbus emit` with no flags find each other.
#pragma once

#include <string>

namespace hookbus {

/// The broker's three endpoints, each an ipc:// or tcp:// (or inproc://) address.
struct Endpoints {
    std::string events;   ///< XPUB: events and welcomes out
    std::string replies;  ///< ROUTER: hook hello, reply, bye
    std::string emit;     ///< ROUTER: emit and stats requests
};

/// `$HOOKBUS_DIR`, else `$XDG_RUNTIME_DIR/hookbus`, else `/tmp/hookbus-<uid>`.
std::string default_runtime_dir();

/// The ipc endpoints `<dir>/events`, `<dir>/replies`, `<dir>/emit`.
Endpoints endpoints_in(const std::string& dir);

/// endpoints_in(default_runtime_dir()).
Endpoints default_endpoints();

/// Creates `dir` with mode 0700 if missing. Throws std::runtime_error, saying what
/// to do, when it exists but is not a directory, is not owned by this user, or can be
/// read or entered by others.
void ensure_private_dir(const std::string& dir);

}  // namespace hookbus
