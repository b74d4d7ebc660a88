// The receiving half shared by Subscriber and Hook: a SUB socket subscribed to the
// welcome, the wanted names and (for a hook) its registration topic, with a
// GapTracker that turns sequence gaps and broker restarts into Lagged.
#pragma once

#include <cstdint>
#include <functional>
#include <hookbus/curve.hpp>
#include <hookbus/protocol.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

#include "gap_tracker.hpp"

namespace hookbus::detail {

/// Throws std::invalid_argument naming the first invalid event name, if any.
void check_event_names(const std::vector<std::string>& names);

class EventStream {
  public:
    /// Subscribes (welcome, then `names` or everything when empty, then
    /// `hook_token` when not empty) and connects. `on_restart` runs when a new
    /// broker lifetime shows up, before the Lagged that reports it is thrown, and
    /// when a welcome of the same lifetime shows that the connection was re-made.
    EventStream(zmq::context_t& context, const std::string& endpoint,
                const std::vector<std::string>& names, const std::string& hook_token,
                std::function<void()> on_restart,
                const std::optional<Curve>& curve = std::nullopt);

    zmq::socket_t& socket() { return socket_; }

    /// The event kept back by the last Lagged, once.
    std::optional<Event> take_held();

    /// Handles one queued frame without blocking. Returns the event to deliver, or
    /// nullopt for nothing queued, a welcome or an undecodable frame; `received`, when
    /// given, tells the first case from the others. Throws Lagged (keeping the
    /// revealing event for take_held()) when the frame reveals a loss.
    std::optional<Event> read_one(bool* received = nullptr);

    std::uint64_t run() const { return tracker_.run(); }
    /// The broker's limit from the last welcome; 0 before any welcome.
    std::uint64_t max_msg_size() const { return max_msg_size_; }

  private:
    std::optional<Event> on_welcome(const Welcome& welcome);
    std::optional<Event> on_event(Event event);

    zmq::socket_t socket_;
    GapTracker tracker_;
    std::function<void()> on_restart_;
    std::optional<Event> held_;
    std::uint64_t max_msg_size_ = 0;
    bool welcomed_ = false;
};

}  // namespace hookbus::detail
