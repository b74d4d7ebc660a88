// Wire types and the msgpack codec of hookbus protocol version 2 (docs/protocol.md).
// Every message that crosses a socket, in either direction, is one of the structs
// below; broker, clients and the conformance vectors all encode and decode through
// these functions, so the byte layout is defined in exactly one place.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace hookbus {

/// The protocol version this build speaks.
inline constexpr std::uint32_t protocol_version = 2;

/// Topic of the welcome message on the events socket (without its NUL).
inline constexpr std::string_view welcome_topic = "$welcome";
/// Prefix of the per-hook registration subscription (section 3.4).
inline constexpr std::string_view hook_token_prefix = "~hook/";

/// Seconds and nanoseconds since the Unix epoch.
struct Timestamp {
    std::int64_t seconds = 0;
    std::uint32_t nanos = 0;

    friend bool operator==(const Timestamp& a, const Timestamp& b) {
        return a.seconds == b.seconds && a.nanos == b.nanos;
    }
    friend bool operator!=(const Timestamp& a, const Timestamp& b) { return !(a == b); }
};

/// The wall clock now, as a Timestamp.
Timestamp wall_now();

/// The reply policy of a wait (wire key `expect`): how many answers it wants.
enum class Expect { first, all };

/// The failure policy of a wait: what a missing answer counts as (section 13.2).
enum class OnFailure { open, closed };

/// What became of a wait, as the broker reports it.
enum class WaitOutcome { replied, timed_out, incomplete, no_hook };

/// The verdict of a wait (wire key `verdict`).
enum class Decision { allowed, vetoed };

/// Who settled the verdict (wire key `decided_by`).
enum class DecidedBy { hook, policy };

/// Why an expected hook did not answer (section 13.2).
enum class MissingWhy { timed_out, died, left, lagged };

/// Error codes of the `error` response (section 7).
enum class ErrorCode {
    bad_frames,
    bad_message,
    bad_field,
    unsupported_version,
    unknown_op,
    bad_name,
    bad_timeout,
    overloaded,
    shutting_down,
    unknown,  ///< a code this build does not know (newer broker)
};

std::string_view to_string(Expect);
std::string_view to_string(OnFailure);
std::string_view to_string(WaitOutcome);
std::string_view to_string(Decision);
std::string_view to_string(DecidedBy);
std::string_view to_string(MissingWhy);
/// Parses "first"/"all" (and "open"/"closed"); nullopt for anything else.
std::optional<Expect> expect_from(std::string_view);
std::optional<OnFailure> on_failure_from(std::string_view);

/// The veto reason of a reply: its `abort` when that is a non-empty string, the JSON
/// text of any other value except null and false, and nullopt when it does not veto.
std::optional<std::string> veto_reason(std::string_view reply_json);
std::string_view to_string(ErrorCode);
/// Parses a wire error code; unknown text maps to ErrorCode::unknown.
ErrorCode error_code_from(std::string_view);

/// True when `name` matches `[A-Za-z0-9_][A-Za-z0-9_.:/-]{0,127}`.
bool valid_event_name(std::string_view name);
/// True when `instance` is 1..64 characters of `[A-Za-z0-9_-]`.
bool valid_instance(std::string_view instance);
/// A fresh random UUIDv4 in lower-case text form.
std::string make_uuid4();

// ---- events socket ----------------------------------------------------------

/// One published event (section 3.2). `name` travels as the frame's topic.
struct Event {
    std::string name;
    std::string id;
    std::uint64_t run = 0;
    std::uint64_t seq = 0;
    Timestamp emitted_at;
    std::optional<Timestamp> deadline;  ///< nullopt: nobody waits for an answer
    std::string payload_json;

    /// True when an emitter waits for an answer to this event.
    bool awaited() const { return deadline.has_value(); }
};

/// The welcome every new events connection receives first (section 3.3).
struct Welcome {
    std::uint64_t run = 0;
    Timestamp started_at;
    std::uint64_t max_msg_size = 0;
};

// ---- replies socket: hook -> broker ----------------------------------------

struct Hello {
    std::string instance;
    std::string hook;
    std::vector<std::string> events;   ///< names it answers
    std::vector<std::string> observe;  ///< names it receives but never answers
};

struct Reply {
    std::string id;
    std::string hook;
    std::string instance;  ///< may be empty
    std::string reply_json;
};

struct Bye {
    std::string instance;
};

// ---- replies socket: broker -> hook ----------------------------------------

struct HelloOk {
    std::string instance;
    std::uint64_t run = 0;
};

struct ReplyAck {
    std::string id;
    bool accepted = false;
    /// False when the reply named an instance the broker does not count as live:
    /// the hook should send hello again (section 13.4).
    bool registered = true;
};

struct ByeOk {
    std::string instance;
};

// ---- emit socket: emitter -> broker ----------------------------------------

struct Emit {
    std::uint64_t req = 0;
    std::string name;
    std::string payload_json;
    bool wait = false;
    std::optional<std::uint64_t> timeout_ms;  ///< nullopt: the broker's default
    std::optional<Expect> expect;             ///< nullopt: the broker's default
    std::optional<OnFailure> on_failure;      ///< nullopt: the broker's default
};

struct StatsRequest {
    std::uint64_t req = 0;
};

/// Asks to be told when at least `hooks` live hooks answer `name` (section 6.2).
struct Ready {
    std::uint64_t req = 0;
    std::string name;
    std::uint64_t hooks = 1;
    std::uint64_t timeout_ms = 0;
};

// ---- emit socket: broker -> emitter ----------------------------------------

struct Ack {
    std::uint64_t req = 0;
    std::string id;
    std::uint64_t seq = 0;
    Timestamp emitted_at;
};

/// One accepted hook answer as an emitter receives it.
struct Answer {
    std::string hook;
    std::string instance;
    std::string reply_json;
    std::uint64_t latency_us = 0;  ///< from publishing the event to reading this
};

/// One veto of a result: a hook's own, or one the failure policy added.
struct Veto {
    std::string hook;
    std::string instance;
    std::string reason;
};

/// An expected hook that did not answer.
struct Missing {
    std::string hook;
    std::string instance;
    MissingWhy why = MissingWhy::timed_out;
};

struct Result {
    std::uint64_t req = 0;
    std::string id;
    WaitOutcome outcome = WaitOutcome::timed_out;
    std::vector<Answer> replies;
    Expect expect = Expect::first;
    OnFailure on_failure = OnFailure::open;
    Decision verdict = Decision::allowed;
    DecidedBy decided_by = DecidedBy::hook;
    std::vector<Veto> vetoes;
    std::vector<Missing> missing;
};

struct ReadyOk {
    std::uint64_t req = 0;
    std::string name;
    bool ready = false;
    std::uint64_t hooks = 0;
};

struct StatsOk {
    std::uint64_t req = 0;
    nlohmann::json stats;  ///< the `stats` map, converted to JSON
};

/// The `error` response, on either ROUTER socket.
struct Error {
    std::uint64_t req = 0;
    ErrorCode code = ErrorCode::bad_message;
    std::string code_text;  ///< the code as sent, kept for codes this build lacks
    std::string message;
};

using HookRequest = std::variant<Hello, Reply, Bye>;
using HookResponse = std::variant<HelloOk, ReplyAck, ByeOk, Error>;
using EmitRequest = std::variant<Emit, StatsRequest, Ready>;
using EmitResponse = std::variant<Ack, Result, StatsOk, ReadyOk, Error>;
using Published = std::variant<Event, Welcome>;

/// Thrown by every decoder for input that does not follow the protocol. Carries the
/// error code the broker answers with, and the `req` when it could be read.
class DecodeError : public std::runtime_error {
public:
    DecodeError(ErrorCode code, std::string message, std::uint64_t req = 0)
        : std::runtime_error(std::move(message)), code_(code), req_(req) {}
    ErrorCode code() const noexcept { return code_; }
    std::uint64_t req() const noexcept { return req_; }

private:
    ErrorCode code_;
    std::uint64_t req_;
};

// Encoders produce the canonical form: keys in the order docs/protocol.md lists
// them, every integer and string in its shortest msgpack form.

/// The whole events frame: topic, NUL, body.
std::string encode(const Event& event);
/// The whole welcome frame: "$welcome", NUL, body.
std::string encode(const Welcome& welcome);
std::string encode(const Hello&);
std::string encode(const Reply&);
std::string encode(const Bye&);
std::string encode(const HelloOk&);
std::string encode(const ReplyAck&);
std::string encode(const ByeOk&);
std::string encode(const Emit&);
std::string encode(const StatsRequest&);
std::string encode(const Ready&);
std::string encode(const Ack&);
std::string encode(const ReadyOk&);
std::string encode(const Result&);
std::string encode(const StatsOk&);
std::string encode(const Error&);

// The same encoders writing into `out`, whose contents they replace. A caller that
// reuses one string for every message keeps its capacity and allocates nothing.
void encode(const Event& event, std::string& out);
void encode(const Welcome& welcome, std::string& out);
void encode(const Hello&, std::string& out);
void encode(const Reply&, std::string& out);
void encode(const Bye&, std::string& out);
void encode(const HelloOk&, std::string& out);
void encode(const ReplyAck&, std::string& out);
void encode(const ByeOk&, std::string& out);
void encode(const Emit&, std::string& out);
void encode(const StatsRequest&, std::string& out);
void encode(const Ready&, std::string& out);
void encode(const Ack&, std::string& out);
void encode(const ReadyOk&, std::string& out);
void encode(const Result&, std::string& out);
void encode(const StatsOk&, std::string& out);
void encode(const Error&, std::string& out);

/// Decodes one events-socket frame (topic, NUL, body).
Published decode_published(std::string_view frame);
/// Decodes a body received on the replies socket by the broker.
HookRequest decode_hook_request(std::string_view body);
/// Decodes a body a hook receives from the replies socket.
HookResponse decode_hook_response(std::string_view body);
/// Decodes a body received on the emit socket by the broker.
EmitRequest decode_emit_request(std::string_view body);
/// Decodes a body an emitter receives from the emit socket.
EmitResponse decode_emit_response(std::string_view body);

}  // namespace hookbus
