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
    incomplete,     ///< wait: every hook still owing an answer died, left or lagged
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

/// The policies of one wait; a field left empty takes the broker's default for the
/// event name (docs/protocol.md section 13).
struct WaitPolicy {
    std::optional<Expect> expect;         ///< first answer wins, or every expected hook
    std::optional<OnFailure> on_failure;  ///< what a missing answer counts as

    WaitPolicy() = default;
    WaitPolicy(Expect reply_policy) : expect(reply_policy) {}  // NOLINT: implicit
    WaitPolicy(Expect reply_policy, OnFailure failure_policy)
        : expect(reply_policy), on_failure(failure_policy) {}
};

/// The end of one request.
struct Outcome {
    Status status = Status::unreachable;
    std::string id;                ///< the event id, when one was minted
    std::uint64_t seq = 0;         ///< fire-and-forget: the event's sequence number
    std::vector<Answer> replies;   ///< accepted answers, in arrival order
    /// For a wait answered by the broker (replied, timed_out, incomplete, no_hook):
    /// the policies applied, the verdict, who decided it, every veto and every
    /// expected hook that did not answer.
    Expect expect = Expect::first;
    OnFailure on_failure = OnFailure::open;
    Decision verdict = Decision::allowed;
    DecidedBy decided_by = DecidedBy::hook;
    std::vector<Veto> vetoes;
    std::vector<Missing> missing;
    /// For overloaded, shutting_down and refused: the broker's error code.
    ErrorCode error_code = ErrorCode::unknown;
    std::string error_message;

    /// The first veto's reason, or "" when nothing vetoed.
    std::string abort() const { return vetoes.empty() ? "" : vetoes.front().reason; }
    /// True when the broker's verdict is vetoed: a hook said no, or the failure
    /// policy counted a missing answer as no.
    bool vetoed() const { return verdict == Decision::vetoed; }
};

/// The answer to Emitter::wait_ready().
struct Readiness {
    Status status = Status::unreachable;  ///< ok when the broker answered
    bool ready = false;                   ///< the count was reached in time
    std::uint64_t hooks = 0;              ///< live hooks answering the name
    std::string error_message;

    explicit operator bool() const { return ready; }
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

    /// Publishes an event and waits for the answer(s) until `timeout` passes. The
    /// policy defaults to the broker's for the name (`first` and `open` unless it
    /// was configured otherwise).
    Outcome emit_and_wait(std::string_view name, std::string_view payload_json,
                          std::chrono::milliseconds timeout, WaitPolicy policy = {});

    /// Starts a wait without blocking and returns its ticket; next() delivers it.
    /// Throws std::invalid_argument for a bad name or an oversized request.
    std::uint64_t start(std::string_view name, std::string_view payload_json,
                        std::chrono::milliseconds timeout, WaitPolicy policy = {});

    /// Waits until at least `hooks` live hooks answer `name`, or `timeout` passes:
    /// an event emitted after a ready answer reaches them (ZeroMQ's slow joiner).
    Readiness wait_ready(std::string_view name, std::uint64_t hooks,
                         std::chrono::milliseconds timeout);

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
