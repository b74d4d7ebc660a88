// Socket plumbing shared by the client classes (Emitter, Subscriber, Hook): the
// reconnect and linger settings every client socket gets, the private context a
// client owns when the caller gives none, and deadline-bounded polling.
#pragma once

#include <chrono>
#include <hookbus/curve.hpp>
#include <memory>
#include <optional>
#include <string>
#include <zmq.hpp>

namespace hookbus::detail {

using Clock = std::chrono::steady_clock;

/// Reconnect quickly after a broker restart, never linger on close, and use ZeroMQ
/// heartbeats so that a silently vanished broker is noticed.
void apply_client_options(zmq::socket_t& socket);

/// Makes `socket` a CURVE client of the broker when `curve` is set. Call before
/// connecting. Throws std::invalid_argument for keys that are not Z85.
void apply_curve(zmq::socket_t& socket, const std::optional<Curve>& curve);

/// `given` when not null, else a context created into `owned`.
zmq::context_t& context_or_own(zmq::context_t* given,
                               std::unique_ptr<zmq::context_t>& owned);

/// Milliseconds left until `deadline`, never negative, for zmq_poll.
long poll_timeout(Clock::time_point deadline);

/// zmq_poll that reports an interrupted call (EINTR) as "nothing ready", so that
/// callers loop back to their deadline and signal checks.
int poll_items(zmq_pollitem_t* items, int count, long timeout_ms);

/// Waits until `socket` has a message or `deadline` passes.
bool wait_readable(zmq::socket_t& socket, Clock::time_point deadline);

/// Sends [empty][body] without blocking; false when the socket would block.
bool send_framed(zmq::socket_t& socket, const std::string& body);

/// Receives one [empty][body] message without blocking; nullopt when none is queued.
/// Messages with another frame layout are skipped.
std::optional<std::string> recv_framed(zmq::socket_t& socket);

/// Follows whether a connecting socket has a live connection, through a ZeroMQ
/// socket monitor. Create it before the watched socket connects.
class LinkMonitor {
  public:
    LinkMonitor(zmq::context_t& context, zmq::socket_t& watched);

    /// The socket to poll for monitor events.
    zmq::socket_t& socket() { return pair_; }
    /// Reads every queued monitor event.
    void read_events();
    /// True between a completed handshake and the next disconnection.
    bool up() const { return up_; }

  private:
    zmq::socket_t pair_;
    bool up_ = false;
};

}  // namespace hookbus::detail
