// Protocol-level test clients: plain cppzmq sockets that speak hookbus through the
// codec alone, without the Emitter and Hook classes, so that broker tests can send
// anything (including malformed input) and see every byte the broker answers.
#pragma once

#include <chrono>
#include <cstdint>
#include <hookbus/endpoints.hpp>
#include <hookbus/protocol.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

namespace hookbus::testing {

using std::chrono::milliseconds;

/// How long a raw client waits for a response before a test calls it missing.
inline constexpr milliseconds response_wait{5000};

/// A DEALER on the emit or replies socket that frames [empty][body] itself.
class RawDealer {
  public:
    RawDealer(zmq::context_t& context, const std::string& endpoint);

    /// Sends [empty][body].
    void send_body(std::string_view body);
    /// Sends exactly these frames, for framing tests.
    void send_frames(const std::vector<std::string>& frames);
    /// The body of the next response (the frame after the empty delimiter), or
    /// nullopt when none arrives within `timeout`.
    std::optional<std::string> recv_body(milliseconds timeout = response_wait);

    /// Sends `request` and decodes the next response from the emit socket.
    std::optional<EmitResponse> ask(const EmitRequest& request,
                                    milliseconds timeout = response_wait);
    /// Sends `request` and decodes the next response from the replies socket.
    std::optional<HookResponse> tell(const HookRequest& request,
                                     milliseconds timeout = response_wait);
    /// Asks for stats; the `stats` map, or null JSON on no answer.
    nlohmann::json stats();

    zmq::socket_t& socket() { return socket_; }

  private:
    zmq::socket_t socket_;
};

/// A SUB on the events socket, subscribed before it connects.
class RawSub {
  public:
    /// Subscribes to each of `topics` as given (add the NUL yourself), then connects.
    RawSub(zmq::context_t& context, const std::string& endpoint,
           const std::vector<std::string>& topics, int rcvhwm = 1000);

    /// The next frame, decoded, or nullopt after `timeout`.
    std::optional<Published> recv(milliseconds timeout = response_wait);
    /// The next event of any name (welcomes skipped), or nullopt after `timeout`.
    std::optional<Event> next_event(milliseconds timeout = response_wait);

    zmq::socket_t& socket() { return socket_; }

  private:
    zmq::socket_t socket_;
};

/// A hook built from a SUB and a DEALER, following docs/protocol.md section 8.
class RawHook {
  public:
    RawHook(zmq::context_t& context, const Endpoints& endpoints, std::string hook,
            std::vector<std::string> events, std::string instance = make_uuid4());

    /// Sends hello and waits for hello_ok; true once the hook is live.
    bool start(milliseconds timeout = response_wait);
    /// The next event, or nullopt after `timeout`.
    std::optional<Event> next_event(milliseconds timeout = response_wait);
    /// Replies to `id` and returns whether the broker accepted it.
    std::optional<bool> reply(const std::string& id, const std::string& reply_json);
    /// Closes the events connection: the broker sees `~hook/<instance>` go.
    void close_events() { sub_.socket().close(); }

    const std::string& instance() const { return instance_; }
    const std::string& hook() const { return hook_; }
    RawDealer& dealer() { return dealer_; }

  private:
    std::string hook_;
    std::vector<std::string> events_;
    std::string instance_;
    RawSub sub_;
    RawDealer dealer_;
};

/// The topics a hook subscribes to: welcome, each name with its NUL, then its token.
std::vector<std::string> hook_topics(const std::vector<std::string>& events,
                                     const std::string& instance);

/// An emit request with the fields tests usually vary.
Emit make_emit(std::string name, std::string payload_json = "{}", bool wait = false,
               std::optional<std::uint64_t> timeout_ms = std::nullopt,
               Expect expect = Expect::first, std::uint64_t req = 1);

}  // namespace hookbus::testing
