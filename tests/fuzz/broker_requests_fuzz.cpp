// libFuzzer target for the broker's request handling. One Broker lives for the whole
// run on inproc endpoints, served on a thread of its own; each input is sent as a body
// to the emit and/or replies ROUTER (and as a raw subscription message to the events
// XPUB), in the frame layout its first byte picks. The broker must answer each
// request with exactly the response the codec predicts (nothing for a hello), and a
// marker request sent after it must still be answered within a bound.
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <hookbus/broker.hpp>
#include <hookbus/protocol.hpp>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>
#include <zmq.hpp>

namespace hookbus::fuzz {
namespace {

using std::chrono::milliseconds;

// A broker that is alive answers inproc requests in microseconds; a bound this wide
// only trips on a hang or a lost response, even on a loaded CI machine.
constexpr milliseconds answer_bound{5000};

// Layout byte: bits 0..2 pick the sockets, bits 3..5 the ROUTER frame layout.
constexpr std::uint8_t to_emit = 1;
constexpr std::uint8_t to_replies = 2;
constexpr std::uint8_t to_events = 4;

enum class Layout { framed, body_only, extra_frame, non_empty_delimiter, two_empties };

Layout layout_of(std::uint8_t selector) {
    switch ((selector >> 3) & 7) {
        case 4:
            return Layout::body_only;
        case 5:
            return Layout::extra_frame;
        case 6:
            return Layout::non_empty_delimiter;
        case 7:
            return Layout::two_empties;
        default:
            return Layout::framed;
    }
}

[[noreturn]] void broken(const std::string& what) {
    std::fprintf(stderr, "broker fuzz: %s\n", what.c_str());
    std::abort();
}

zmq::const_buffer view(std::string_view bytes) {
    return zmq::const_buffer(bytes.data(), bytes.size());
}

void send_frames(zmq::socket_t& socket, const std::vector<std::string_view>& frames) {
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const bool last = i + 1 == frames.size();
        socket.send(view(frames[i]),
                    last ? zmq::send_flags::none : zmq::send_flags::sndmore);
    }
}

void send_in_layout(zmq::socket_t& socket, Layout layout, std::string_view body) {
    switch (layout) {
        case Layout::framed:
            return send_frames(socket, {"", body});
        case Layout::body_only:
            return send_frames(socket, {body});
        case Layout::extra_frame:
            return send_frames(socket, {"", body, body});
        case Layout::non_empty_delimiter:
            return send_frames(socket, {"x", body});
        case Layout::two_empties:
            return send_frames(socket, {"", "", body});
    }
}

// The body of the next [empty][body] response, or a failure past the bound.
std::string recv_body(zmq::socket_t& socket, const char* which) {
    // libFuzzer's timers interrupt the poll with signals; only the bound ends it.
    const auto give_up = std::chrono::steady_clock::now() + answer_bound;
    zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
    for (;;) {
        const auto left = std::chrono::duration_cast<milliseconds>(
            give_up - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            broken(std::string("no response on ") + which + " within the bound");
        }
        const int ready = zmq_poll(&item, 1, static_cast<long>(left.count()));
        if (ready > 0) break;
        if (ready < 0 && zmq_errno() != EINTR) broken("poll failed");
    }
    std::vector<zmq::message_t> frames;
    do {
        frames.emplace_back();
        // Once the first frame is readable the whole message is queued.
        if (!socket.recv(frames.back(), zmq::recv_flags::dontwait)) broken("recv failed");
    } while (frames.back().more());
    if (frames.size() != 2 || frames[0].size() != 0) {
        broken(std::string("response on ") + which + " is not [empty][body]");
    }
    return frames[1].to_string();
}

struct Harness {
    zmq::context_t context;
    std::unique_ptr<Broker> broker;
    std::thread loop;
    zmq::socket_t emit{context, zmq::socket_type::dealer};
    zmq::socket_t replies{context, zmq::socket_type::dealer};
    zmq::socket_t events{context, zmq::socket_type::xsub};
    std::uint64_t marker = 0;

    Harness() {
        BrokerConfig config;
        config.endpoints = {"inproc://fuzz-events", "inproc://fuzz-replies",
                            "inproc://fuzz-emit"};
        config.context = &context;
        // Hellos whose subscription never comes expire quickly, so that the hook
        // table stays small however many the fuzzer sends.
        config.hello_timeout = milliseconds(100);
        config.default_timeout = milliseconds(100);
        config.max_timeout = milliseconds(1000);
        broker = std::make_unique<Broker>(std::move(config));
        loop = std::thread([this] { broker->run(); });
        for (auto* socket : {&emit, &replies, &events})
            socket->set(zmq::sockopt::linger, 0);
        emit.connect("inproc://fuzz-emit");
        replies.connect("inproc://fuzz-replies");
        events.connect("inproc://fuzz-events");
    }
};

Harness& harness() {
    // Never destroyed: the broker thread must outlive every input, and libFuzzer
    // exits without unwinding. The pointer keeps it reachable for LeakSanitizer.
    static Harness* instance = new Harness();
    return *instance;
}

// ---- what the broker must answer ------------------------------------------------

void expect_error(const EmitResponse& response, ErrorCode code, std::uint64_t req,
                  const char* which) {
    const auto* error = std::get_if<Error>(&response);
    if (error == nullptr) broken(std::string(which) + ": expected an error response");
    if (error->code != code || error->req != req) {
        broken(std::string(which) + ": expected error " + std::string(to_string(code)) +
               " req " + std::to_string(req) + ", got " + error->code_text + " req " +
               std::to_string(error->req));
    }
}

// Any response on the emit socket must decode; for a request the codec refuses it
// must be that very error, and for a valid one a success or a broker-side refusal.
void check_emit_answer(const std::string& request, const EmitResponse& response) {
    std::optional<EmitRequest> decoded;
    try {
        decoded = decode_emit_request(request);
    } catch (const DecodeError& e) {
        return expect_error(response, e.code(), e.req(), "emit");
    }
    const std::uint64_t req = std::visit([](const auto& r) { return r.req; }, *decoded);
    const std::uint64_t answered =
        std::visit([](const auto& r) { return r.req; }, response);
    if (answered != req) broken("emit response carries the wrong req");
    if (const auto* error = std::get_if<Error>(&response)) {
        const bool allowed =
            error->code == ErrorCode::bad_timeout || error->code == ErrorCode::overloaded;
        if (!allowed) broken("valid emit request refused with " + error->code_text);
        return;
    }
    if (std::holds_alternative<StatsRequest>(*decoded)) {
        if (!std::holds_alternative<StatsOk>(response)) broken("stats not answered");
        return;
    }
    if (const auto* ready = std::get_if<Ready>(&*decoded)) {
        const auto* ok = std::get_if<ReadyOk>(&response);
        if (ok == nullptr || ok->name != ready->name) broken("ready not answered");
        if (ok->ready != (ok->hooks >= ready->hooks)) {
            broken("ready_ok says ready=" + std::to_string(ok->ready) + " with " +
                   std::to_string(ok->hooks) + " of " + std::to_string(ready->hooks) +
                   " hooks");
        }
        return;
    }
    const bool waits = std::get<Emit>(*decoded).wait;
    // No hook is ever live here, so a wait is answered no_hook at once.
    const auto* result = std::get_if<Result>(&response);
    if (waits && (result == nullptr || result->outcome != WaitOutcome::no_hook)) {
        broken("a wait with no live hook was not answered no_hook");
    }
    if (!waits && !std::holds_alternative<Ack>(response)) broken("emit not acked");
}

// Hook requests: refused ones get their very error; a reply to an id nobody waits
// for is refused; a bye is confirmed. A hello gets nothing until its subscription,
// so it is checked by the absence of anything before the marker.
std::size_t expected_hook_answers(const std::string& request) {
    try {
        return std::holds_alternative<Hello>(decode_hook_request(request)) ? 0 : 1;
    } catch (const DecodeError&) {
        return 1;
    }
}

void check_hook_answer(const std::string& request, const HookResponse& response) {
    HookRequest decoded;
    try {
        decoded = decode_hook_request(request);
    } catch (const DecodeError& e) {
        const auto* error = std::get_if<Error>(&response);
        if (error == nullptr || error->code != e.code() || error->req != e.req()) {
            broken("replies: refused request not answered with its error");
        }
        return;
    }
    if (const auto* reply = std::get_if<Reply>(&decoded)) {
        const auto* ack = std::get_if<ReplyAck>(&response);
        if (ack == nullptr || ack->id != reply->id || ack->accepted) {
            broken("replies: a reply nobody waits for was not refused");
        }
    } else if (const auto* bye = std::get_if<Bye>(&decoded)) {
        const auto* ok = std::get_if<ByeOk>(&response);
        if (ok == nullptr || ok->instance != bye->instance) broken("replies: bye");
    } else {
        const auto* error = std::get_if<Error>(&response);
        if (error == nullptr || error->code != ErrorCode::overloaded) {
            broken("replies: a hello was answered before its subscription");
        }
    }
}

// ---- one input --------------------------------------------------------------------

void drain_emit(Harness& h, const std::optional<std::string>& request, Layout layout) {
    const std::uint64_t marker = ++h.marker;
    send_frames(h.emit, {"", encode(StatsRequest{marker})});
    std::size_t answers = 0;
    bool marker_seen = false;
    // Every request gets exactly one answer. Most come before the marker's; a
    // readiness wait not met at once is answered at its deadline (at most the
    // harness's max_timeout, well inside the bound), after it. Only the first
    // stats_ok with the marker's req is the marker, so an input that is a stats
    // request with that same req still counts as answered.
    while (!marker_seen || (request && answers == 0)) {
        const std::string body = recv_body(h.emit, "emit");
        EmitResponse response;
        try {
            response = decode_emit_response(body);
        } catch (const DecodeError& e) {
            broken(std::string("emit response does not decode: ") + e.what());
        }
        const auto* ok = std::get_if<StatsOk>(&response);
        if (ok != nullptr && ok->req == marker && !marker_seen) {
            marker_seen = true;
            continue;
        }
        if (!request || ++answers > 1) broken("emit: unexpected extra response");
        if (layout == Layout::framed) {
            check_emit_answer(*request, response);
        } else {
            expect_error(response, ErrorCode::bad_frames, 0, "emit");
        }
    }
    if (request && answers != 1) broken("emit: request not answered");
}

void drain_replies(Harness& h, const std::string& request, Layout layout) {
    const std::string instance = "fuzz-marker-" + std::to_string(++h.marker);
    send_frames(h.replies, {"", encode(Bye{instance})});
    const std::size_t wanted =
        layout == Layout::framed ? expected_hook_answers(request) : 1;
    std::size_t answers = 0;
    for (;;) {
        const std::string body = recv_body(h.replies, "replies");
        HookResponse response;
        try {
            response = decode_hook_response(body);
        } catch (const DecodeError& e) {
            broken(std::string("replies response does not decode: ") + e.what());
        }
        const auto* ok = std::get_if<ByeOk>(&response);
        if (ok != nullptr && ok->instance == instance) break;
        // A hello sent by an earlier input becomes live when a later input subscribes
        // its token; that hello_ok is legitimate whenever it arrives.
        if (std::holds_alternative<HelloOk>(response)) continue;
        ++answers;
        if (layout != Layout::framed) {
            const auto* error = std::get_if<Error>(&response);
            if (error == nullptr || error->code != ErrorCode::bad_frames) {
                broken("replies: bad framing not answered bad_frames");
            }
            continue;
        }
        check_hook_answer(request, response);
    }
    if (answers > 1 || (wanted == 1 && answers != 1)) {
        broken("replies: expected " + std::to_string(wanted) + " responses, got " +
               std::to_string(answers));
    }
}

// The raw bytes go to the XPUB as if from a subscriber; a subscription is taken back
// at once so that the broker's tables do not grow over a long run.
void send_subscription(Harness& h, std::string_view message) {
    h.events.send(view(message), zmq::send_flags::none);
    if (!message.empty() && message.front() == 1) {
        std::string undo(message);
        undo.front() = 0;
        h.events.send(view(undo), zmq::send_flags::none);
    }
}

}  // namespace
}  // namespace hookbus::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace hookbus::fuzz;
    Harness& h = harness();
    if (size == 0) {
        drain_emit(h, std::nullopt, Layout::framed);
        return 0;
    }
    std::uint8_t targets = data[0] & 7;
    if (targets == 0) targets = to_emit;
    const Layout layout = layout_of(data[0]);
    const std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);

    if (targets & to_emit) send_in_layout(h.emit, layout, body);
    if (targets & to_replies) send_in_layout(h.replies, layout, body);
    if (targets & to_replies) drain_replies(h, body, layout);
    if (targets & to_events) send_subscription(h, body);
    // The marker stats request also proves the broker still serves after the input.
    drain_emit(h, targets & to_emit ? std::optional<std::string>(body) : std::nullopt,
               layout);
    return 0;
}
