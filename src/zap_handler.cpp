// The broker's ZAP handler. See zap_handler.hpp.
#include "zap_handler.hpp"

#include <cerrno>
#include <stdexcept>

namespace hookbus::detail {

namespace {

constexpr const char* zap_endpoint = "inproc://zeromq.zap.01";
constexpr std::size_t key_bytes = 32;
// version, request id, domain, address, identity, mechanism, then credentials.
constexpr std::size_t request_frames = 6;

std::string z85_of(const std::string& key) {
    if (key.size() != key_bytes) return {};
    char text[41];
    if (zmq_z85_encode(text, reinterpret_cast<const std::uint8_t*>(key.data()),
                       key.size()) == nullptr) {
        return {};
    }
    return text;
}

std::string binary_of(const std::string& z85) {
    std::string key(key_bytes, '\0');
    if (z85.size() != 40 || zmq_z85_decode(reinterpret_cast<std::uint8_t*>(key.data()),
                                           z85.c_str()) == nullptr) {
        throw std::runtime_error("allowed client key '" + z85 +
                                 "' is not a 40-character Z85 CURVE key");
    }
    return key;
}

std::vector<std::string> read_request(zmq::socket_t& socket) {
    std::vector<std::string> frames;
    zmq::message_t frame;
    if (!socket.recv(frame, zmq::recv_flags::dontwait)) return frames;
    frames.push_back(frame.to_string());
    // The rest of a multipart message is queued once its first frame is.
    while (frame.more() && socket.recv(frame, zmq::recv_flags::dontwait))
        frames.push_back(frame.to_string());
    return frames;
}

void send_reply(zmq::socket_t& socket, const std::string& request_id,
                const std::string& status, const std::string& text,
                const std::string& user_id) {
    constexpr auto more = zmq::send_flags::sndmore | zmq::send_flags::dontwait;
    try {
        socket.send(zmq::str_buffer("1.0"), more);
        socket.send(zmq::buffer(request_id), more);
        socket.send(zmq::buffer(status), more);
        socket.send(zmq::buffer(text), more);
        socket.send(zmq::buffer(user_id), more);
        socket.send(zmq::message_t(), zmq::send_flags::dontwait);
    } catch (const zmq::error_t&) {
        // The asking session is gone; its handshake has failed already.
    }
}

}  // namespace

ZapHandler::ZapHandler(zmq::context_t& context, const std::vector<std::string>& allowed)
    : socket_(context, zmq::socket_type::rep) {
    for (const auto& key : allowed) allowed_.insert(binary_of(key));
    socket_.set(zmq::sockopt::linger, 0);
    try {
        socket_.bind(zap_endpoint);
    } catch (const zmq::error_t& e) {
        std::string message = std::string("cannot bind the authentication handler at ") +
                              zap_endpoint + ": " + e.what();
        if (e.num() == EADDRINUSE) {
            message +=
                "; this ZeroMQ context has one already (another broker or the "
                "application): give the broker a context of its own";
        }
        throw std::runtime_error(message);
    }
}

std::vector<ZapDenial> ZapHandler::answer_queued(std::size_t at_most) {
    std::vector<ZapDenial> denied;
    for (std::size_t i = 0; i < at_most; ++i) {
        const auto frames = read_request(socket_);
        if (frames.empty()) break;
        const std::string request_id = frames.size() > 1 ? frames[1] : "";
        ZapDenial asked;
        if (frames.size() >= request_frames) {
            asked = {frames[2], frames[3], frames[5], {}};
        }
        const bool curve = frames.size() == request_frames + 1 && frames[0] == "1.0" &&
                           asked.mechanism == "CURVE";
        if (curve) asked.client_key = z85_of(frames[6]);
        if (curve && allowed_.count(frames[6]) != 0) {
            send_reply(socket_, request_id, "200", "OK", asked.client_key);
            continue;
        }
        send_reply(socket_, request_id, "400", "client key not allowed", "");
        denied.push_back(std::move(asked));
    }
    return denied;
}

}  // namespace hookbus::detail
