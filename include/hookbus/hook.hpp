// The receiving side of hookbus. A Subscriber only listens (like `hookbus tail`); a
// Hook also announces itself so that emitters count on it, and answers events.
// Both detect lost events from per-name sequence numbers and the broker's run id.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <hookbus/curve.hpp>
#include <hookbus/endpoints.hpp>
#include <hookbus/protocol.hpp>

namespace zmq {
class context_t;
}

namespace hookbus {

/// Thrown by next() when events were lost before the one it will deliver next:
/// the subscriber fell behind the broker's high-water mark, or the broker restarted.
class Lagged : public std::runtime_error {
public:
    Lagged(std::string name, std::uint64_t missed, bool restarted);
    /// The event name that lost events; empty for a restart noticed by its welcome.
    const std::string& name() const noexcept { return name_; }
    /// How many events of that name were lost (a lower bound across a restart).
    std::uint64_t missed() const noexcept { return missed_; }
    /// True when the broker's run id changed.
    bool restarted() const noexcept { return restarted_; }

private:
    std::string name_;
    std::uint64_t missed_;
    bool restarted_;
};

struct SubscriberOptions {
    /// Events endpoint; empty means default_endpoints().events.
    std::string endpoint;
    /// Names to receive; empty means every event.
    std::vector<std::string> events;
    zmq::context_t* context = nullptr;
    /// CURVE keys for a broker that requires them; null means none.
    std::optional<Curve> curve;
};

/// Receives events without answering them.
class Subscriber {
public:
    explicit Subscriber(SubscriberOptions options);
    ~Subscriber();
    Subscriber(const Subscriber&) = delete;
    Subscriber& operator=(const Subscriber&) = delete;

    /// The next event, or nullopt after `timeout`. Throws Lagged (and then
    /// delivers the revealing event on the following call).
    std::optional<Event> next(std::chrono::milliseconds timeout);

    /// Run id of the broker last heard from; 0 before the first welcome or event.
    std::uint64_t run() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// The broker's verdict on one answer sent with Hook::post_reply().
struct Verdict {
    std::string id;          ///< the id of the event answered
    bool accepted = false;   ///< true when the answer reached a waiting emitter
    bool timed_out = false;  ///< no reply_ack within reply_timeout; accepted is false
};

/// How the broker judged this hook's answers so far, from reply() and post_reply().
struct ReplyCounts {
    std::uint64_t accepted = 0;   ///< reply_ack with `accepted: true`
    std::uint64_t refused = 0;    ///< reply_ack with `accepted: false`, or an error
    std::uint64_t timed_out = 0;  ///< no verdict within reply_timeout
};

struct HookOptions {
    /// The name this hook gives itself; emitters see it with each answer.
    std::string name;
    /// Event names this hook answers (see also `observe`, below).
    std::vector<std::string> events;
    /// Events and replies endpoints; empty fields mean default_endpoints().
    Endpoints endpoints;
    /// Instance id; empty means a fresh UUID.
    std::string instance;
    /// How long reply() waits for the broker's verdict, and how long a post_reply()
    /// answer stays in flight before it counts as timed out.
    std::chrono::milliseconds reply_timeout{5000};
    zmq::context_t* context = nullptr;
    /// CURVE keys for a broker that requires them (both sockets); null means none.
    std::optional<Curve> curve;
    /// Receives the verdict of each post_reply() answer, from inside whichever Hook
    /// call reads it (next(), wait_ready(), reply(), flush_replies()); exceptions
    /// it throws leave through that call. May be empty.
    std::function<void(const Verdict&)> on_verdict;
    /// Event names this hook receives but never answers (an auditor, a logger): it
    /// is never expected to answer them nor counted for them. At least one name in
    /// `events` or `observe`.
    std::vector<std::string> observe;
};

/// Subscribes to its names, announces itself, yields events and answers them.
///
///     hookbus::HookOptions options;
///     options.name = "guard";
///     options.events = {"capture"};
///     hookbus::Hook hook(options);
///     hook.wait_ready(5s);
///     while (auto event = hook.next(1s))
///         hook.reply(*event, {{"abort", "not today"}});
///
/// reply() waits for each verdict, one broker round trip per answer; post_reply()
/// does not, for hooks that answer many events a second.
class Hook {
public:
    explicit Hook(HookOptions options);
    ~Hook();
    Hook(const Hook&) = delete;
    Hook& operator=(const Hook&) = delete;

    /// Blocks until the broker confirms this hook is live (hello_ok) or `timeout`
    /// passes; returns whether it is live.
    bool wait_ready(std::chrono::milliseconds timeout);
    /// Whether the broker has confirmed this hook and not restarted since.
    bool ready() const;

    /// The next event, or nullopt after `timeout`. Throws Lagged as Subscriber
    /// does. Re-announces the hook when the broker restarted.
    std::optional<Event> next(std::chrono::milliseconds timeout);

    /// Answers `event` with a JSON object text; returns the broker's `accepted`
    /// (false also when the broker did not answer within reply_timeout).
    bool reply(const Event& event, std::string_view reply_json);
    /// Answers `event` with a JSON object text held in a std::string.
    bool reply(const Event& event, const std::string& reply_json) {
        return reply(event, std::string_view(reply_json));
    }
    /// Answers `event` with a JSON object text given as a literal.
    bool reply(const Event& event, const char* reply_json) {
        return reply(event, std::string_view(reply_json));
    }
    /// Answers `event` with a JSON object.
    bool reply(const Event& event, const nlohmann::json& reply);

    /// Sends an answer to `event` without waiting for the broker's verdict, so that
    /// many answers can be in flight while next() reads on; returns false when the
    /// replies socket is full and nothing was sent. The verdicts arrive during later
    /// calls and go to HookOptions::on_verdict and reply_counts(). Throws
    /// std::invalid_argument for an answer larger than the broker accepts.
    ///
    ///     while (auto event = hook.next(1s))
    ///         hook.post_reply(*event, R"({"abort":""})");
    ///     hook.flush_replies(1s);
    bool post_reply(const Event& event, std::string_view reply_json);
    /// post_reply() with a JSON object text held in a std::string.
    bool post_reply(const Event& event, const std::string& reply_json) {
        return post_reply(event, std::string_view(reply_json));
    }
    /// post_reply() with a JSON object text given as a literal.
    bool post_reply(const Event& event, const char* reply_json) {
        return post_reply(event, std::string_view(reply_json));
    }
    /// post_reply() with a JSON object.
    bool post_reply(const Event& event, const nlohmann::json& reply);

    /// Answers sent by post_reply() whose verdict has not arrived yet.
    std::size_t replies_in_flight() const;
    /// Reads verdicts until none is in flight or `timeout` passes; returns whether
    /// none is left. Events that arrive meanwhile stay queued for next().
    bool flush_replies(std::chrono::milliseconds timeout);
    /// The verdicts counted so far.
    ReplyCounts reply_counts() const;

    const std::string& instance() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace hookbus
