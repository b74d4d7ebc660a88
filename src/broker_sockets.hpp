// Socket plumbing of the broker: options common to its three sockets, binding with
// the stale-ipc check, and the non-blocking receive and send of ROUTER messages that
// the poll loop is built from.
#pragma once

#include <chrono>
#include <cstddef>
#include <hookbus/endpoints.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

namespace hookbus::detail {

/// Options every broker socket gets.
struct SocketLimits {
    std::size_t max_msg_size = 1 << 20;
    std::chrono::milliseconds heartbeat_interval{1000};
    std::chrono::milliseconds heartbeat_timeout{3000};
    std::chrono::milliseconds linger{1000};
};

/// Sets the size limit, heartbeats, linger and a zero send timeout.
void apply_limits(zmq::socket_t& socket, const SocketLimits& limits);

/// The filesystem path of an ipc:// endpoint, or "" for other transports.
std::string ipc_path(std::string_view endpoint);

/// Creates the private directories of the ipc endpoints, then refuses (throwing
/// std::runtime_error) when a broker already answers on `endpoints.emit`; stale
/// socket files left by a dead broker are removed.
void prepare_ipc(zmq::context_t& context, const Endpoints& endpoints);

/// Binds and returns the endpoint actually bound (ephemeral tcp ports resolved).
/// Throws std::runtime_error naming the endpoint and the reason.
std::string bind_endpoint(zmq::socket_t& socket, const std::string& endpoint);

/// One message read from a ROUTER socket.
struct RouterMessage {
    std::string routing_id;
    std::vector<zmq::message_t> frames;  ///< after the routing id; at most 3 kept
    std::size_t frame_count = 0;         ///< after the routing id, all counted
    std::string peer_address;            ///< "Peer-Address" where the transport has one
};

/// Reads one message without blocking; nullopt when none is queued.
std::optional<RouterMessage> try_recv_router(zmq::socket_t& socket);

/// Sends [routing id][empty][body] without blocking; false when the peer is gone or
/// its queue is full (ZMQ_ROUTER_MANDATORY makes both visible).
bool try_send_router(zmq::socket_t& socket, std::string_view routing_id,
                     std::string_view body);

/// The routing id as lower-case hex, for logs.
std::string hex(std::string_view bytes);

}  // namespace hookbus::detail
