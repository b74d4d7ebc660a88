// The msgpack envelope of docs/protocol.md, written for the benchmark's own relay and
// raw clients without hookbus's codec: encoders that reuse one buffer, and a decoder
// that reads a map in place (strings point into the received frame).
#pragma once

#include <cstdint>
#include <msgpack.hpp>
#include <optional>
#include <string_view>

namespace bench::wire {

/// Prefix of a hook's registration subscription (docs/protocol.md section 3.4):
/// `~` sorts after every byte that may start an event name.
inline constexpr std::string_view hook_token_prefix = "~hook/";

/// A reusable output buffer: clear() keeps its capacity, so steady-state encoding
/// does not allocate.
class Writer {
  public:
    Writer() : packer_(buf_) {}
    void clear() { buf_.clear(); }
    msgpack::packer<msgpack::sbuffer>& pack() { return packer_; }
    void raw(std::string_view bytes) { buf_.write(bytes.data(), bytes.size()); }
    const char* data() const { return buf_.data(); }
    std::size_t size() const { return buf_.size(); }

  private:
    msgpack::sbuffer buf_;
    msgpack::packer<msgpack::sbuffer> packer_;
};

struct Stamp {
    std::int64_t seconds = 0;
    std::uint32_t nanos = 0;
};
Stamp wall_now();

void emit(Writer& w, std::uint64_t req, std::string_view name, std::string_view payload,
          bool wait, std::uint32_t timeout_ms);
void stats(Writer& w, std::uint64_t req);
/// The whole events frame: topic, NUL, body.
void event(Writer& w, std::string_view name, std::string_view id, std::uint64_t run,
           std::uint64_t seq, Stamp emitted, std::optional<Stamp> deadline,
           std::string_view payload);
void welcome(Writer& w, std::uint64_t run, Stamp started, std::uint64_t max_size);
void ack(Writer& w, std::uint64_t req, std::string_view id, std::uint64_t seq,
         Stamp emitted);
void result_replied(Writer& w, std::uint64_t req, std::string_view id,
                    std::string_view hook, std::string_view instance,
                    std::string_view reply);
void result_no_hook(Writer& w, std::uint64_t req);
void hello(Writer& w, std::string_view instance, std::string_view hook,
           std::string_view event_name);
void hello_ok(Writer& w, std::string_view instance, std::uint64_t run);
void reply(Writer& w, std::string_view id, std::string_view hook,
           std::string_view instance, std::string_view reply);
void reply_ack(Writer& w, std::string_view id, bool accepted);

/// A decoded msgpack map. Owns a zone that is reused from one message to the next.
class Reader {
  public:
    /// Parses `body`; false if it is not a msgpack map. Strings refer into `body`.
    bool parse(std::string_view body);
    std::string_view str(std::string_view key) const;
    std::uint64_t uint(std::string_view key) const;
    bool boolean(std::string_view key) const;
    /// The value of `key`, or nullptr.
    const msgpack::object* find(std::string_view key) const;

  private:
    msgpack::zone zone_;
    msgpack::object root_;
};

/// Splits an events frame into topic and body; false without a NUL.
bool split_frame(std::string_view frame, std::string_view& topic, std::string_view& body);

}  // namespace bench::wire
