// The broker's ZeroMQ authentication handler (ZAP, ZeroMQ RFC 27). libzmq asks it
// about every CURVE handshake on the broker's sockets through a REP socket bound at
// inproc://zeromq.zap.01 in the broker's context; it admits exactly the client public
// keys it was given. The broker polls its socket in the main loop, so a handshake
// waits for the loop and the loop never waits for a handshake.
#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <vector>
#include <zmq.hpp>

namespace hookbus::detail {

/// One handshake the handler refused, for the broker's log.
struct ZapDenial {
    std::string domain;      ///< the broker socket: "events", "replies" or "emit"
    std::string address;     ///< the peer's IP address, when the transport has one
    std::string mechanism;   ///< "CURVE" unless something else asked
    std::string client_key;  ///< Z85 public key the client offered, or ""
};

class ZapHandler {
  public:
    /// Binds the handler. `allowed` holds Z85 public keys. Throws std::runtime_error
    /// when the context already has a handler (another broker or the application).
    ZapHandler(zmq::context_t& context, const std::vector<std::string>& allowed);

    zmq::socket_t& socket() { return socket_; }
    std::size_t allowed_count() const { return allowed_.size(); }

    /// Answers up to `at_most` queued requests without blocking; returns those
    /// refused.
    std::vector<ZapDenial> answer_queued(std::size_t at_most);

    void close() { socket_.close(); }

  private:
    zmq::socket_t socket_;
    std::set<std::string> allowed_;  ///< 32-byte binary keys
};

}  // namespace hookbus::detail
