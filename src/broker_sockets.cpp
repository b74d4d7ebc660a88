// Broker socket plumbing. See broker_sockets.hpp.
#include "broker_sockets.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <hookbus/protocol.hpp>
#include <stdexcept>

namespace hookbus::detail {

namespace {

constexpr std::chrono::milliseconds probe_wait{200};
constexpr std::size_t kept_frames = 3;

bool path_exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

std::string parent_dir(const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

zmq::const_buffer view(std::string_view bytes) {
    return zmq::const_buffer(bytes.data(), bytes.size());
}

// Sends a stats request and waits briefly for any answer at all.
bool broker_answers(zmq::context_t& context, const std::string& emit_endpoint) {
    zmq::socket_t probe(context, zmq::socket_type::dealer);
    probe.set(zmq::sockopt::linger, 0);
    probe.connect(emit_endpoint);
    probe.send(zmq::message_t(), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
    probe.send(view(encode(StatsRequest{})), zmq::send_flags::dontwait);
    zmq::pollitem_t item{probe.handle(), 0, ZMQ_POLLIN, 0};
    return zmq::poll(&item, 1, probe_wait) > 0;
}

// True when a process accepts connections on the Unix socket at `path`. It catches a
// live broker that the stats probe cannot reach, such as one speaking CURVE.
bool unix_socket_listens(const std::string& path) {
    sockaddr_un address{};
    if (path.size() >= sizeof address.sun_path) return false;
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    const bool listens =
        ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return listens;
}

}  // namespace

void apply_limits(zmq::socket_t& socket, const SocketLimits& limits) {
    socket.set(zmq::sockopt::maxmsgsize, static_cast<std::int64_t>(limits.max_msg_size));
    socket.set(zmq::sockopt::heartbeat_ivl,
               static_cast<int>(limits.heartbeat_interval.count()));
    socket.set(zmq::sockopt::heartbeat_timeout,
               static_cast<int>(limits.heartbeat_timeout.count()));
    socket.set(zmq::sockopt::linger, static_cast<int>(limits.linger.count()));
    socket.set(zmq::sockopt::sndtimeo, 0);
}

std::string ipc_path(std::string_view endpoint) {
    constexpr std::string_view scheme = "ipc://";
    if (endpoint.substr(0, scheme.size()) != scheme) return {};
    const std::string_view path = endpoint.substr(scheme.size());
    // "@name" is Linux's abstract namespace: nothing on disk to prepare.
    if (path.empty() || path.front() == '@') return {};
    return std::string(path);
}

void prepare_ipc(zmq::context_t& context, const Endpoints& endpoints) {
    std::vector<std::string> existing;
    for (const auto* endpoint :
         {&endpoints.events, &endpoints.replies, &endpoints.emit}) {
        const std::string path = ipc_path(*endpoint);
        if (path.empty()) continue;
        ensure_private_dir(parent_dir(path));
        if (path_exists(path)) existing.push_back(path);
    }
    if (existing.empty()) return;
    // libzmq would silently take over a live broker's ipc path, so ask first.
    if (broker_answers(context, endpoints.emit) ||
        unix_socket_listens(ipc_path(endpoints.emit))) {
        throw std::runtime_error("another hookbus broker answers at " + endpoints.emit +
                                 "; stop it or choose other endpoints (hookbusd --dir)");
    }
    for (const auto& path : existing) ::unlink(path.c_str());
}

std::string bind_endpoint(zmq::socket_t& socket, const std::string& endpoint) {
    try {
        socket.bind(endpoint);
    } catch (const zmq::error_t& e) {
        std::string message = "cannot bind " + endpoint + ": " + e.what();
        if (e.num() == EADDRINUSE) {
            message +=
                "; another hookbusd runs there? stop it or pass other endpoints "
                "(hookbusd --dir)";
        }
        throw std::runtime_error(message);
    }
    return socket.get(zmq::sockopt::last_endpoint);
}

std::optional<RouterMessage> try_recv_router(zmq::socket_t& socket) {
    zmq::message_t first;
    if (!socket.recv(first, zmq::recv_flags::dontwait)) return std::nullopt;
    RouterMessage message;
    message.routing_id = first.to_string();
    message.frames.reserve(kept_frames);  // one allocation instead of two regrowths
    bool more = first.more();
    while (more) {
        zmq::message_t part;
        // The rest of a multipart message is already queued once its first frame is.
        if (!socket.recv(part, zmq::recv_flags::dontwait)) break;
        more = part.more();
        if (message.frame_count++ == 0) {
            const char* address = zmq_msg_gets(part.handle(), "Peer-Address");
            if (address != nullptr) message.peer_address = address;
        }
        if (message.frames.size() < kept_frames)
            message.frames.push_back(std::move(part));
    }
    return message;
}

bool try_send_router(zmq::socket_t& socket, std::string_view routing_id,
                     std::string_view body) {
    constexpr auto more = zmq::send_flags::sndmore | zmq::send_flags::dontwait;
    try {
        if (!socket.send(view(routing_id), more)) return false;
        socket.send(zmq::message_t(), more);
        return socket.send(view(body), zmq::send_flags::dontwait).has_value();
    } catch (const zmq::error_t&) {
        return false;
    }
}

std::string hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string text;
    text.reserve(bytes.size() * 2);
    for (const unsigned char byte : bytes) {
        text.push_back(digits[byte >> 4]);
        text.push_back(digits[byte & 0x0f]);
    }
    return text;
}

}  // namespace hookbus::detail
