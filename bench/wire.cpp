// Encoders and the in-place decoder of wire.hpp. Keys are written in the canonical
// order of docs/protocol.md, so hookbusd accepts what these encoders produce.
#include "wire.hpp"

#include <time.h>

namespace bench::wire {

namespace {

using Packer = msgpack::packer<msgpack::sbuffer>;

void text(Packer& p, std::string_view k) {
    p.pack_str(static_cast<std::uint32_t>(k.size()));
    p.pack_str_body(k.data(), static_cast<std::uint32_t>(k.size()));
}

void str(Packer& p, std::string_view k, std::string_view v) {
    text(p, k);
    text(p, v);
}

void uint(Packer& p, std::string_view k, std::uint64_t v) {
    text(p, k);
    p.pack_uint64(v);
}

void stamp(Packer& p, std::string_view k, Stamp s) {
    text(p, k);
    p.pack_array(2).pack_int64(s.seconds).pack_uint32(s.nanos);
}

// The hookbus protocol version these raw clients speak (docs/protocol.md); the
// bench links no hookbus code, so that the relay and raw roles measure ZeroMQ alone.
constexpr std::uint64_t wire_version = 2;

void head(Packer& p, std::uint32_t keys, std::string_view op) {
    p.pack_map(keys);
    uint(p, "v", wire_version);
    if (!op.empty()) str(p, "op", op);
}

bool reference_all(msgpack::type::object_type, std::size_t, void*) { return true; }

}  // namespace

Stamp wall_now() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return {ts.tv_sec, static_cast<std::uint32_t>(ts.tv_nsec)};
}

void emit(Writer& w, std::uint64_t req, std::string_view name, std::string_view payload,
          bool wait, std::uint32_t timeout_ms) {
    auto& p = w.pack();
    head(p, wait ? 7 : 6, "emit");
    uint(p, "req", req);
    str(p, "name", name);
    str(p, "payload_json", payload);
    text(p, "wait");
    wait ? p.pack_true() : p.pack_false();
    if (wait) uint(p, "timeout_ms", timeout_ms);
}

void stats(Writer& w, std::uint64_t req) {
    auto& p = w.pack();
    head(p, 3, "stats");
    uint(p, "req", req);
}

void event(Writer& w, std::string_view name, std::string_view id, std::uint64_t run,
           std::uint64_t seq, Stamp emitted, std::optional<Stamp> deadline,
           std::string_view payload) {
    w.raw(name);
    w.raw(std::string_view("\0", 1));
    auto& p = w.pack();
    head(p, 7, "");
    str(p, "id", id);
    uint(p, "run", run);
    uint(p, "seq", seq);
    stamp(p, "emitted_at", emitted);
    if (deadline) {
        stamp(p, "deadline", *deadline);
    } else {
        text(p, "deadline");
        p.pack_nil();
    }
    str(p, "payload_json", payload);
}

void welcome(Writer& w, std::uint64_t run, Stamp started, std::uint64_t max_size) {
    w.raw(std::string_view("$welcome\0", 9));
    auto& p = w.pack();
    head(p, 4, "");
    uint(p, "run", run);
    stamp(p, "started_at", started);
    uint(p, "max_msg_size", max_size);
}

void ack(Writer& w, std::uint64_t req, std::string_view id, std::uint64_t seq,
         Stamp emitted) {
    auto& p = w.pack();
    head(p, 6, "ack");
    uint(p, "req", req);
    str(p, "id", id);
    uint(p, "seq", seq);
    stamp(p, "emitted_at", emitted);
}

void result_replied(Writer& w, std::uint64_t req, std::string_view id,
                    std::string_view hook, std::string_view instance,
                    std::string_view reply) {
    auto& p = w.pack();
    head(p, 6, "result");
    uint(p, "req", req);
    str(p, "id", id);
    str(p, "outcome", "replied");
    text(p, "replies");
    p.pack_array(1).pack_map(3);
    str(p, "hook", hook);
    str(p, "instance", instance);
    str(p, "reply_json", reply);
}

void result_no_hook(Writer& w, std::uint64_t req) {
    auto& p = w.pack();
    head(p, 6, "result");
    uint(p, "req", req);
    str(p, "id", "");
    str(p, "outcome", "no_hook");
    text(p, "replies");
    p.pack_array(0);
}

void hello(Writer& w, std::string_view instance, std::string_view hook,
           std::string_view event_name) {
    auto& p = w.pack();
    head(p, 5, "hello");
    str(p, "instance", instance);
    str(p, "hook", hook);
    text(p, "events");
    p.pack_array(1);
    text(p, event_name);
}

void hello_ok(Writer& w, std::string_view instance, std::uint64_t run) {
    auto& p = w.pack();
    head(p, 4, "hello_ok");
    str(p, "instance", instance);
    uint(p, "run", run);
}

void reply(Writer& w, std::string_view id, std::string_view hook,
           std::string_view instance, std::string_view reply) {
    auto& p = w.pack();
    head(p, 6, "reply");
    str(p, "id", id);
    str(p, "hook", hook);
    str(p, "instance", instance);
    str(p, "reply_json", reply);
}

void reply_ack(Writer& w, std::string_view id, bool accepted) {
    auto& p = w.pack();
    head(p, 4, "reply_ack");
    str(p, "id", id);
    text(p, "accepted");
    accepted ? p.pack_true() : p.pack_false();
}

bool Reader::parse(std::string_view body) {
    zone_.clear();
    std::size_t off = 0;
    bool referenced = false;
    try {
        root_ = msgpack::unpack(zone_, body.data(), body.size(), off, referenced,
                                reference_all, nullptr, msgpack::unpack_limit());
    } catch (const msgpack::unpack_error&) {
        return false;
    }
    return root_.type == msgpack::type::MAP;
}

const msgpack::object* Reader::find(std::string_view k) const {
    const auto& map = root_.via.map;
    for (std::uint32_t i = 0; i < map.size; ++i) {
        const auto& entry = map.ptr[i];
        if (entry.key.type == msgpack::type::STR &&
            std::string_view(entry.key.via.str.ptr, entry.key.via.str.size) == k)
            return &entry.val;
    }
    return nullptr;
}

std::string_view Reader::str(std::string_view k) const {
    auto* v = find(k);
    if (!v || v->type != msgpack::type::STR) return {};
    return {v->via.str.ptr, v->via.str.size};
}

std::uint64_t Reader::uint(std::string_view k) const {
    auto* v = find(k);
    if (!v || v->type != msgpack::type::POSITIVE_INTEGER) return 0;
    return v->via.u64;
}

bool Reader::boolean(std::string_view k) const {
    auto* v = find(k);
    return v && v->type == msgpack::type::BOOLEAN && v->via.boolean;
}

bool split_frame(std::string_view frame, std::string_view& topic,
                 std::string_view& body) {
    auto nul = frame.find('\0');
    if (nul == std::string_view::npos) return false;
    topic = frame.substr(0, nul);
    body = frame.substr(nul + 1);
    return true;
}

}  // namespace bench::wire
