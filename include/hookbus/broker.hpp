// The broker: binds the events (XPUB), replies (ROUTER) and emit (ROUTER) sockets and
// runs the single poll loop that publishes events, tracks live hooks and correlates
// replies with pending waits. hookbusd is a thin main around it; a program may also
// embed one and run it on a thread of its own.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <hookbus/curve.hpp>
#include <hookbus/endpoints.hpp>
#include <hookbus/log.hpp>
#include <hookbus/protocol.hpp>

namespace zmq {
class context_t;
}

namespace hookbus {

/// The reply and failure policies a wait gets when its emitter leaves them out
/// (docs/protocol.md section 13.3).
struct NamePolicy {
    Expect expect = Expect::first;
    OnFailure on_failure = OnFailure::open;
};

/// Everything a broker can be told. The defaults are those of `hookbusd`.
struct BrokerConfig {
    /// Empty fields are taken from default_endpoints(). "tcp://127.0.0.1:*" binds
    /// an ephemeral port; Broker::endpoints() reports the one chosen.
    Endpoints endpoints;
    /// Events queued per subscriber before the events socket drops for it.
    int send_hwm = 10000;
    std::chrono::milliseconds default_timeout{5000};
    std::chrono::milliseconds max_timeout{60000};
    /// ZMQ_MAXMSGSIZE of every socket; also announced in the welcome.
    std::size_t max_msg_size = 1 << 20;
    /// Waits in progress at most; past it emitters get `overloaded` at once.
    std::size_t max_pending = 100000;
    /// Hook registrations (live or awaiting their subscription) at most.
    std::size_t max_hooks = 10000;
    /// Waits in progress that may expect one hook before it is cut off for lagging
    /// (section 13.4); 0 never cuts a hook off.
    std::size_t max_owed = 10000;
    /// Policies for waits whose emitter leaves them out: `policies` per event name,
    /// `default_policy` for every other name.
    NamePolicy default_policy;
    std::map<std::string, NamePolicy> policies;
    /// ZeroMQ heartbeats on all sockets: a silent peer is dropped after the timeout.
    std::chrono::milliseconds heartbeat_interval{1000};
    std::chrono::milliseconds heartbeat_timeout{3000};
    /// How long a hello waits for its `~hook/<instance>` subscription.
    std::chrono::milliseconds hello_timeout{30000};
    /// Longest time spent flushing responses at shutdown.
    std::chrono::milliseconds linger{1000};
    /// The broker's CURVE key pair. When set, every socket (on every transport) is a
    /// CURVE server and clients need the public key; null (the default) means no
    /// CURVE.
    std::optional<KeyPair> curve;
    /// Z85 public keys of the clients admitted, checked on every socket through a
    /// ZAP handler bound at inproc://zeromq.zap.01 in the broker's context (which
    /// must then have no other handler). Null (the default) admits any client that
    /// completes the CURVE handshake; an empty list admits nobody. Needs `curve`.
    std::optional<std::vector<std::string>> allowed_client_keys;
    /// Whether a tcp:// endpoint may go without `curve`: true (the default, for
    /// embedded brokers) logs HB-INSECURE at warning, false refuses to start.
    /// hookbusd sets it only with --insecure.
    bool allow_plain_tcp = true;
    /// Receives lifecycle and problem records; empty means silent.
    LogSink log;
    /// Context to create sockets in (required for inproc endpoints shared with
    /// clients in the same process); null means the broker owns one.
    zmq::context_t* context = nullptr;
};

/// A hookbus broker. Construction binds every socket (throwing std::runtime_error
/// with the endpoint and the reason on failure); run() serves until stop().
///
///     hookbus::Broker broker(config);
///     std::thread loop([&] { broker.run(); });
///     ...
///     broker.stop();
///     loop.join();
class Broker {
public:
    explicit Broker(BrokerConfig config);
    ~Broker();
    Broker(const Broker&) = delete;
    Broker& operator=(const Broker&) = delete;

    /// The bound endpoints, with ephemeral tcp ports resolved.
    const Endpoints& endpoints() const;
    /// This broker lifetime's run id (docs/protocol.md section 2).
    std::uint64_t run_id() const;

    /// Serves until stop() is called; then tells every waiting emitter
    /// `shutting_down`, flushes for at most `linger` and returns.
    void run();
    /// Asks run() to return. Safe from any thread and from a signal handler.
    void stop() noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace hookbus
