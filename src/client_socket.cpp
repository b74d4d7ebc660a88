// Socket plumbing shared by the client classes.
#include "client_socket.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace hookbus::detail {

namespace {

constexpr int reconnect_ivl_ms = 100;
constexpr int reconnect_ivl_max_ms = 1000;
constexpr int heartbeat_ivl_ms = 1000;
constexpr int heartbeat_timeout_ms = 3000;

}  // namespace

void apply_client_options(zmq::socket_t& socket) {
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::reconnect_ivl, reconnect_ivl_ms);
    socket.set(zmq::sockopt::reconnect_ivl_max, reconnect_ivl_max_ms);
    socket.set(zmq::sockopt::heartbeat_ivl, heartbeat_ivl_ms);
    socket.set(zmq::sockopt::heartbeat_timeout, heartbeat_timeout_ms);
}

void apply_curve(zmq::socket_t& socket, const std::optional<Curve>& curve) {
    if (!curve) return;
    if (!valid_z85_key(curve->server_key) || !valid_z85_key(curve->client.public_key) ||
        !valid_z85_key(curve->client.secret_key)) {
        throw std::invalid_argument(
            "hookbus: CURVE keys must be 40-character Z85 text (see hookbus keygen)");
    }
    socket.set(zmq::sockopt::curve_serverkey, curve->server_key);
    socket.set(zmq::sockopt::curve_publickey, curve->client.public_key);
    socket.set(zmq::sockopt::curve_secretkey, curve->client.secret_key);
}

zmq::context_t& context_or_own(zmq::context_t* given,
                               std::unique_ptr<zmq::context_t>& owned) {
    if (given) return *given;
    owned = std::make_unique<zmq::context_t>(1);
    return *owned;
}

long poll_timeout(Clock::time_point deadline) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    return std::max<long>(0, static_cast<long>(left.count()));
}

int poll_items(zmq_pollitem_t* items, int count, long timeout_ms) {
    int rc = zmq_poll(items, count, timeout_ms);
    if (rc >= 0) return rc;
    if (zmq_errno() == EINTR) return 0;
    throw zmq::error_t();
}

bool wait_readable(zmq::socket_t& socket, Clock::time_point deadline) {
    zmq_pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
    poll_items(&item, 1, poll_timeout(deadline));
    return (item.revents & ZMQ_POLLIN) != 0;
}

bool send_framed(zmq::socket_t& socket, const std::string& body) {
    auto flags = zmq::send_flags::dontwait | zmq::send_flags::sndmore;
    if (!socket.send(zmq::const_buffer(nullptr, 0), flags)) return false;
    // ZeroMQ delivers multipart messages atomically: once the first frame is
    // accepted, the last one is too.
    socket.send(zmq::buffer(body), zmq::send_flags::dontwait);
    return true;
}

std::optional<std::string> recv_framed(zmq::socket_t& socket) {
    while (true) {
        std::vector<zmq::message_t> frames;
        zmq::message_t frame;
        if (!socket.recv(frame, zmq::recv_flags::dontwait)) return std::nullopt;
        frames.push_back(std::move(frame));
        while (frames.back().more()) {
            zmq::message_t part;
            (void)socket.recv(part);
            frames.push_back(std::move(part));
        }
        if (frames.size() == 2 && frames[0].size() == 0) return frames[1].to_string();
    }
}

LinkMonitor::LinkMonitor(zmq::context_t& context, zmq::socket_t& watched)
    : pair_(context, zmq::socket_type::pair) {
    static std::atomic<unsigned long> serial{0};
    std::string address = "inproc://hookbus-link-" + std::to_string(++serial);
    int events = ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED;
    if (zmq_socket_monitor(watched.handle(), address.c_str(), events) != 0)
        throw zmq::error_t();
    pair_.set(zmq::sockopt::linger, 0);
    pair_.connect(address);
}

void LinkMonitor::read_events() {
    zmq::message_t header;
    while (pair_.recv(header, zmq::recv_flags::dontwait)) {
        std::uint16_t event = 0;
        if (header.size() >= sizeof event)
            std::memcpy(&event, header.data(), sizeof event);
        while (header.more()) (void)pair_.recv(header);
        if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) up_ = true;
        if (event == ZMQ_EVENT_DISCONNECTED) up_ = false;
    }
}

}  // namespace hookbus::detail
