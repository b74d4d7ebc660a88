// The emitter side of hookbus: publish an event, or publish it and wait for hook
// answers until a deadline. One DEALER socket carries any number of requests in
// flight, told apart by the `req` number this class assigns.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <hookbus/curve.hpp>
#include <hookbus/protocol.hpp>

namespace zmq {
class context_t;
}

namespace hookbus {

/// How a request ended, as the emitter sees it.
enum class Status {
    ok,             ///< fire-and-forget: the broker published the event
    replied,        ///< wait: the wanted answers arrived
    timed_out,      ///< wait: the deadline passed first
    no_hook,        ///< wait: no live hook answers this name; nothing was published
    unreachable,    ///< no response from the broker within the client's own deadline
    overloaded,     ///< the broker's pending table is full; retry later
    shutting_down,  ///< the broker is stopping
    refused,        ///< the broker refused the request; see error_code and message
};

std::string_view to_string(Status);

struct EmitterOptions {
    /// The broker's emit endpoint; empty means default_endpoints().emit.
    std::string endpoint;
    /// Added to a wait's timeout to make the client's own deadline.
    std::chrono::milliseconds grace{500};
    /// Client deadline of a request that does not wait (emit, stats).
    std::chrono::milliseconds request_timeout{5000};
    /// Requests larger than this are refused locally, as the broker would drop them.
    std::size_t max_msg_size = 1 << 20;
    /// Context to use (inproc needs the broker's); null means a private one.
    zmq::context_t* context = nullptr;
    /// CURVE keys for a broker that requires them; null means none. The library
    /// reads no environment variable: see curve_from_env() and load_curve().
    std::optional<Curve> curve;
};

/// The end of one request.
struct Outcome {
    Status status = Status::unreachable;
    std::string id;                ///< the event id, when one was minted
    std::uint64_t seq = 0;         ///< fire-and-forget: the event's sequence number
    std::vector<Answer> replies;   ///< accepted answers, in arrival order
    /// For overloaded, shutting_down and refused: the broker's error code.
    ErrorCode error_code = ErrorCode::unknown;
    std::string error_message;

    /// The first non-empty `abort` among the replies, or "" when nobody vetoed.
    std::string abort() const;
    bool vetoed() const { return !abort().empty(); }
};

/// A request finished by Emitter::next().
struct Completion {
    std::uint64_t ticket = 0;
    Outcome outcome;
};

/// Talks to a broker's emit socket. Not thread-safe: use one per thread.
///
///     hookbus::Emitter emitter;
///     auto out = emitter.emit_and_wait("capture", R"({"path":"a.txt"})", 2s);
///     if (out.vetoed()) return;  // a hook said no
class Emitter {
public:
    explicit Emitter(EmitterOptions options = {});
    ~Emitter();
    Emitter(const Emitter&) = delete;
    Emitter& operator=(const Emitter&) = delete;

    /// Publishes an event and returns once the broker acknowledged it
    /// (Status::ok with the id) or could not be reached.
    Outcome emit(std::string_view name, std::string_view payload_json);

    /// Publishes an event and waits for the answer(s) until `timeout` passes.
    Outcome emit_and_wait(std::string_view name, std::string_view payload_json,
                          std::chrono::milliseconds timeout,
                          Expect expect = Expect::first);

    /// Starts a wait without blocking and returns its ticket; next() delivers it.
    /// Throws std::invalid_argument for a bad name or an oversized request.
    std::uint64_t start(std::string_view name, std::string_view payload_json,
                        std::chrono::milliseconds timeout,
                        Expect expect = Expect::first);

    /// Blocks at most `max_block` for the next finished start(); nullopt if none
    /// finished in time. Requests past their client deadline finish as unreachable.
    std::optional<Completion> next(std::chrono::milliseconds max_block);

    /// Number of start() requests not yet returned by next().
    std::size_t in_flight() const;

    /// The broker's counters (docs/protocol.md section 6.2); nullopt if unreachable.
    std::optional<nlohmann::json> stats();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace hookbus
