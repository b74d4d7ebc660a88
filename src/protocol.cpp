// The msgpack codec of hookbus protocol version 2 (docs/protocol.md). Encoders write
// the canonical form of section 2.1 byte for byte; decoders accept any valid form,
// check every field the receiver relies on and throw DecodeError with the code the
// broker answers with. Broker, C++ clients and the conformance tests all use it.

#include "hookbus/protocol.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <limits>
#include <msgpack.hpp>
#include <random>

namespace hookbus {
namespace {

constexpr std::size_t max_name_length = 128;
constexpr std::size_t max_instance_length = 64;
constexpr std::size_t max_hook_length = 128;
constexpr std::size_t max_hello_events = 1024;
constexpr std::uint64_t max_nanos = 999'999'999;
// Deeper msgpack than any hookbus message needs is refused before it costs stack.
constexpr std::size_t max_depth = 32;
constexpr auto max_seconds =
    static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
constexpr std::string_view name_rule =
    "an event name matching [A-Za-z0-9_][A-Za-z0-9_.:/-]{0,127}";
// How much of an offending value an error message quotes.
constexpr std::size_t quote_limit = 48;

constexpr std::array<ErrorCode, 9> known_error_codes = {
    ErrorCode::bad_frames,          ErrorCode::bad_message, ErrorCode::bad_field,
    ErrorCode::unsupported_version, ErrorCode::unknown_op,  ErrorCode::bad_name,
    ErrorCode::bad_timeout,         ErrorCode::overloaded,  ErrorCode::shutting_down,
};

// ---- text helpers -------------------------------------------------------------------

bool is_ascii_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_name_head(char c) { return is_ascii_alnum(c) || c == '_'; }

bool is_name_tail(char c) {
    return is_name_head(c) || c == '.' || c == ':' || c == '/' || c == '-';
}

bool is_instance_char(char c) { return is_ascii_alnum(c) || c == '_' || c == '-'; }

// Length of the UTF-8 sequence that `lead` starts, or 0 when it cannot start one.
std::size_t utf8_length(unsigned char lead) {
    if (lead < 0x80) return 1;
    if (lead >= 0xc2 && lead <= 0xdf) return 2;
    if (lead >= 0xe0 && lead <= 0xef) return 3;
    if (lead >= 0xf0 && lead <= 0xf4) return 4;
    return 0;
}

// The second byte's range excludes overlong forms, surrogates and code points above
// U+10FFFF; every later byte is a plain continuation byte.
bool utf8_tail_ok(const unsigned char* seq, std::size_t length) {
    unsigned char low = 0x80;
    unsigned char high = 0xbf;
    if (seq[0] == 0xe0) low = 0xa0;
    if (seq[0] == 0xed) high = 0x9f;
    if (seq[0] == 0xf0) low = 0x90;
    if (seq[0] == 0xf4) high = 0x8f;
    if (length > 1 && (seq[1] < low || seq[1] > high)) return false;
    for (std::size_t i = 2; i < length; ++i) {
        if (seq[i] < 0x80 || seq[i] > 0xbf) return false;
    }
    return true;
}

bool valid_utf8(std::string_view text) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
    std::size_t at = 0;
    while (at < text.size()) {
        std::size_t length = utf8_length(bytes[at]);
        if (length == 0 || at + length > text.size()) return false;
        if (!utf8_tail_ok(bytes + at, length)) return false;
        at += length;
    }
    return true;
}

/// Reads the common shape of a reply, a flat object of plain keys and scalar values,
/// without building anything. A strict subset of JSON: plain() says true only for a
/// text that is certainly a JSON object, and false whenever the full parser must
/// decide (escapes, non-ASCII, nesting, fractions, long numbers, or not JSON at all).
class FlatObjectScan {
  public:
    explicit FlatObjectScan(std::string_view text) : text_(text) {}

    bool plain() {
        space();
        if (!take('{')) return false;
        space();
        if (!take('}')) {
            do {
                space();
                if (!plain_string()) return false;
                space();
                if (!take(':')) return false;
                space();
                if (!scalar()) return false;
                space();
            } while (take(','));
            if (!take('}')) return false;
        }
        space();
        return at_ == text_.size();
    }

  private:
    // Digits nlohmann reads into an int64 or uint64 without turning to a double.
    static constexpr std::size_t max_digits = 18;

    bool take(char c) {
        if (at_ == text_.size() || text_[at_] != c) return false;
        ++at_;
        return true;
    }

    void space() {
        while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\t' ||
                                      text_[at_] == '\n' || text_[at_] == '\r')) {
            ++at_;
        }
    }

    bool plain_string() {
        if (!take('"')) return false;
        while (at_ < text_.size()) {
            auto byte = static_cast<unsigned char>(text_[at_++]);
            if (byte == '"') return true;
            if (byte == '\\' || byte < 0x20 || byte >= 0x80) return false;
        }
        return false;
    }

    bool word(std::string_view expected) {
        if (text_.substr(at_, expected.size()) != expected) return false;
        at_ += expected.size();
        return true;
    }

    // An integer without fraction or exponent; "01" stops after the 0 and then fails
    // at the structural character the caller expects next.
    bool integer() {
        take('-');
        if (take('0')) return true;
        std::size_t from = at_;
        while (at_ < text_.size() && text_[at_] >= '0' && text_[at_] <= '9') ++at_;
        return at_ > from && at_ - from <= max_digits;
    }

    bool scalar() {
        if (at_ == text_.size()) return false;
        switch (text_[at_]) {
            case '"':
                return plain_string();
            case 't':
                return word("true");
            case 'f':
                return word("false");
            case 'n':
                return word("null");
            default:
                return integer();
        }
    }

    std::string_view text_;
    std::size_t at_ = 0;
};

// True when `text` is a JSON object: the first non-space character is '{' and the
// whole text parses (nlohmann's parser is iterative, so nesting cannot exhaust stack).
// Most replies are flat objects that the scan settles without the parser.
bool is_json_object(std::string_view text) {
    if (FlatObjectScan(text).plain()) return true;
    auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos || text[first] != '{') return false;
    return nlohmann::json::accept(text.begin(), text.end());
}

// A value quoted for an error message: printable ASCII kept (with " and \ escaped),
// every other byte as \xNN, so that the message is valid UTF-8 whatever was sent.
std::string quote(std::string_view value) {
    std::string out = "\"";
    for (char c : value.substr(0, quote_limit)) {
        auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') out += '\\';
        if (byte >= 0x20 && byte < 0x7f) {
            out += c;
            continue;
        }
        char escaped[5];
        std::snprintf(escaped, sizeof escaped, "\\x%02x", byte);
        out += escaped;
    }
    out += value.size() > quote_limit ? "\"..." : "\"";
    return out;
}

// What a msgpack value is, for the "got ..." part of an error message.
std::string describe(const msgpack::object& value) {
    switch (value.type) {
        case msgpack::type::NIL:
            return "nil";
        case msgpack::type::BOOLEAN:
            return "bool";
        case msgpack::type::POSITIVE_INTEGER:
            return std::to_string(value.via.u64);
        case msgpack::type::NEGATIVE_INTEGER:
            return std::to_string(value.via.i64);
        case msgpack::type::FLOAT32:
        case msgpack::type::FLOAT64:
            return "float";
        case msgpack::type::STR:
            return "str";
        case msgpack::type::BIN:
            return "bin";
        case msgpack::type::ARRAY:
            return "array";
        case msgpack::type::MAP:
            return "map";
        default:
            return "ext";
    }
}

std::string_view str_view(const msgpack::object& value) {
    return {value.via.str.ptr, value.via.str.size};
}

// ---- encoding -----------------------------------------------------------------------

/// The packer's output stream: gathers the packer's many small writes (a header
/// byte, a key of a few bytes) in a buffer on the stack and appends them to the
/// caller's string in a few large pieces. A caller that reuses one string encodes
/// without allocating.
class StringSink {
  public:
    explicit StringSink(std::string* out) : out_(out) {}
    StringSink(const StringSink&) = delete;
    StringSink& operator=(const StringSink&) = delete;

    void write(const char* bytes, std::size_t size) {
        if (size <= sizeof buffer_ - used_) {
            // Most writes are a header of 1 to 9 bytes or a short key: a plain loop
            // beats a call to memcpy for those.
            if (size <= 16) {
                for (std::size_t i = 0; i < size; ++i) buffer_[used_ + i] = bytes[i];
            } else {
                std::memcpy(buffer_ + used_, bytes, size);
            }
            used_ += size;
            return;
        }
        flush();
        if (size >= sizeof buffer_) {
            out_->append(bytes, size);
            return;
        }
        std::memcpy(buffer_, bytes, size);
        used_ = size;
    }

    /// Appends what is buffered to the string.
    void flush() {
        out_->append(buffer_, used_);
        used_ = 0;
    }

  private:
    std::string* out_;
    char buffer_[512];
    std::size_t used_ = 0;
};

/// Writes one canonical msgpack map into `out` (replacing its contents), optionally
/// after a topic and NUL. The key count is given up front (msgpack needs it first)
/// and checked when the map is finished.
class MapWriter {
  public:
    /// The topic of an events-socket frame, written before the body with its NUL.
    struct Topic {
        std::string_view name;
    };

    /// Starts a body with `v` and `op`.
    MapWriter(std::string& out, std::uint32_t keys, std::string_view op)
        : sink_(&out), keys_left_(keys) {
        out.clear();
        packer_.pack_map(keys);
        number("v", protocol_version);
        text("op", op);
    }

    /// Starts an events frame: topic, NUL, then a body with `v` and no `op`.
    MapWriter(std::string& out, Topic topic, std::uint32_t keys)
        : sink_(&out), keys_left_(keys) {
        out.assign(topic.name.data(), topic.name.size());
        out.push_back('\0');
        packer_.pack_map(keys);
        number("v", protocol_version);
    }

    MapWriter(const MapWriter&) = delete;
    MapWriter& operator=(const MapWriter&) = delete;

    MapWriter& text(std::string_view key_name, std::string_view value) {
        key(key_name);
        pack_text(value);
        return *this;
    }

    MapWriter& number(std::string_view key_name, std::uint64_t value) {
        key(key_name);
        packer_.pack_uint64(value);
        return *this;
    }

    MapWriter& flag(std::string_view key_name, bool value) {
        key(key_name);
        value ? packer_.pack_true() : packer_.pack_false();
        return *this;
    }

    MapWriter& time(std::string_view key_name, const Timestamp& value) {
        key(key_name);
        pack_time(value);
        return *this;
    }

    MapWriter& time_or_nil(std::string_view key_name,
                           const std::optional<Timestamp>& value) {
        key(key_name);
        if (!value) {
            packer_.pack_nil();
            return *this;
        }
        pack_time(*value);
        return *this;
    }

    MapWriter& texts(std::string_view key_name, const std::vector<std::string>& values) {
        key(key_name);
        packer_.pack_array(static_cast<std::uint32_t>(values.size()));
        for (const auto& value : values) pack_text(value);
        return *this;
    }

    MapWriter& numbers(std::string_view key_name,
                       std::initializer_list<std::uint64_t> values) {
        key(key_name);
        packer_.pack_array(static_cast<std::uint32_t>(values.size()));
        for (auto value : values) packer_.pack_uint64(value);
        return *this;
    }

    /// Each answer as the map {hook, instance, reply_json, latency_us}, in that order.
    MapWriter& answers(std::string_view key_name, const std::vector<Answer>& values) {
        key(key_name);
        packer_.pack_array(static_cast<std::uint32_t>(values.size()));
        for (const auto& answer : values) {
            packer_.pack_map(4);
            pack_text("hook");
            pack_text(answer.hook);
            pack_text("instance");
            pack_text(answer.instance);
            pack_text("reply_json");
            pack_text(answer.reply_json);
            pack_text("latency_us");
            packer_.pack_uint64(answer.latency_us);
        }
        return *this;
    }

    /// Each veto as the map {hook, instance, reason}.
    MapWriter& vetoes(std::string_view key_name, const std::vector<Veto>& values) {
        key(key_name);
        packer_.pack_array(static_cast<std::uint32_t>(values.size()));
        for (const auto& veto : values) {
            packer_.pack_map(3);
            pack_text("hook");
            pack_text(veto.hook);
            pack_text("instance");
            pack_text(veto.instance);
            pack_text("reason");
            pack_text(veto.reason);
        }
        return *this;
    }

    /// Each missing hook as the map {hook, instance, why}.
    MapWriter& missing(std::string_view key_name, const std::vector<Missing>& values) {
        key(key_name);
        packer_.pack_array(static_cast<std::uint32_t>(values.size()));
        for (const auto& gone : values) {
            packer_.pack_map(3);
            pack_text("hook");
            pack_text(gone.hook);
            pack_text("instance");
            pack_text(gone.instance);
            pack_text("why");
            pack_text(to_string(gone.why));
        }
        return *this;
    }

    /// A value that is already msgpack, appended as it is.
    MapWriter& raw(std::string_view key_name, const std::vector<std::uint8_t>& bytes) {
        key(key_name);
        sink_.write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
        return *this;
    }

    /// Checks the key count and writes out what is buffered; every map ends here.
    void finish() {
        if (keys_left_ != 0) {
            throw std::logic_error("hookbus codec: map has too few keys");
        }
        sink_.flush();
    }

  private:
    void key(std::string_view name) {
        if (keys_left_ == 0) {
            throw std::logic_error("hookbus codec: map has too many keys");
        }
        --keys_left_;
        pack_text(name);
    }

    // Always msgpack str, never bin; msgpack-c picks the shortest str header.
    void pack_text(std::string_view value) {
        packer_.pack_str(static_cast<std::uint32_t>(value.size()));
        packer_.pack_str_body(value.data(), static_cast<std::uint32_t>(value.size()));
    }

    void pack_time(const Timestamp& value) {
        packer_.pack_array(2);
        packer_.pack_int64(value.seconds);
        packer_.pack_uint32(value.nanos);
    }

    StringSink sink_;
    msgpack::packer<StringSink> packer_{sink_};
    std::uint32_t keys_left_;
};

// ---- decoding -----------------------------------------------------------------------

// Limits that scale with the body: every element costs at least one byte, so a short
// body can never make the unpacker allocate for billions of claimed elements.
msgpack::unpack_limit limits_for(std::size_t size) {
    return msgpack::unpack_limit(size, size, size, size, size, max_depth);
}

// Every str, bin and ext is referenced in place instead of copied into the zone.
bool reference_in_place(msgpack::type::object_type, std::size_t, void*) { return true; }

/// Unpacks a body that must be exactly one msgpack map; anything else is bad_message.
/// The object tree lives in a zone that the next decode on this thread reuses, and its
/// strings point into `body`: both must outlive every use of the result, which never
/// leaves the decoder that called this.
msgpack::object unpack_body(std::string_view body) {
    thread_local msgpack::zone zone;
    zone.clear();
    std::size_t offset = 0;
    msgpack::object map;
    try {
        map = msgpack::unpack(zone, body.data(), body.size(), offset, reference_in_place,
                              nullptr, limits_for(body.size()));
    } catch (const std::exception& e) {
        throw DecodeError(ErrorCode::bad_message,
                          std::string("body is not valid msgpack (") + e.what() + ")");
    }
    if (map.type != msgpack::type::MAP) {
        throw DecodeError(ErrorCode::bad_message,
                          "body must be a msgpack map, got " + describe(map));
    }
    if (offset != body.size()) {
        throw DecodeError(ErrorCode::bad_message,
                          "body has " + std::to_string(body.size() - offset) +
                              " trailing bytes after its map");
    }
    return map;
}

/// Typed access to the fields of one msgpack map, with errors that name the field and
/// carry the request's `req` once it has been read.
class MapReader {
  public:
    /// Indexes a map whose keys must be distinct strs. `prefix` names a nested map in
    /// error messages ("replies[0]."); flaws of the top-level map are bad_message.
    explicit MapReader(const msgpack::object& map, std::string prefix = {},
                       std::uint64_t req = 0)
        : prefix_(std::move(prefix)), req_(req) {
        index(map);
        if (prefix_.empty()) req_ = lenient_req();
    }

    std::uint64_t req() const { return req_; }

    [[noreturn]] void fail(ErrorCode code, const std::string& message) const {
        throw DecodeError(code, message, req_);
    }

    /// The field's name as error messages give it.
    std::string field(std::string_view key) const {
        return "\"" + prefix_ + std::string(key) + "\"";
    }

    [[noreturn]] void wrong(std::string_view key, std::string_view expected,
                            const std::string& got) const {
        fail(ErrorCode::bad_field, "field " + field(key) + " must be " +
                                       std::string(expected) + ", got " + got);
    }

    /// The value of `key`, or nullptr when the key is absent.
    const msgpack::object* find(std::string_view key) const {
        for (std::uint32_t i = 0; i < size_; ++i) {
            if (str_view(fields_[i].key) == key) return &fields_[i].val;
        }
        return nullptr;
    }

    /// The value of a required key.
    const msgpack::object& need(std::string_view key, std::string_view expected) const {
        const auto* value = find(key);
        if (value == nullptr) {
            fail(ErrorCode::bad_field, "field " + field(key) + " is missing, expected " +
                                           std::string(expected));
        }
        return *value;
    }

    /// The value of an optional key, or nullptr when it is absent or nil.
    const msgpack::object* maybe(std::string_view key) const {
        const auto* value = find(key);
        return value != nullptr && value->type == msgpack::type::NIL ? nullptr : value;
    }

    std::string text(std::string_view key) const {
        return as_text(key, need(key, "a str"));
    }

    std::string text_or(std::string_view key, std::string fallback) const {
        const auto* value = maybe(key);
        return value == nullptr ? fallback : as_text(key, *value);
    }

    std::uint64_t number(std::string_view key) const {
        return as_number(key, need(key, "a non-negative integer"));
    }

    std::optional<std::uint64_t> number_or_none(std::string_view key) const {
        const auto* value = maybe(key);
        if (value == nullptr) return std::nullopt;
        return as_number(key, *value);
    }

    bool flag(std::string_view key) const { return as_flag(key, need(key, "a bool")); }

    bool flag_or(std::string_view key, bool fallback) const {
        const auto* value = maybe(key);
        return value == nullptr ? fallback : as_flag(key, *value);
    }

    Timestamp time(std::string_view key) const {
        return as_time(key, need(key, "a timestamp [seconds, nanoseconds]"));
    }

    /// A timestamp that may be nil, but whose key must be present.
    std::optional<Timestamp> time_or_nil(std::string_view key) const {
        const auto& value = need(key, "a timestamp [seconds, nanoseconds] or nil");
        if (value.type == msgpack::type::NIL) return std::nullopt;
        return as_time(key, value);
    }

    const msgpack::object_array& array(std::string_view key) const {
        const auto& value = need(key, "an array");
        if (value.type != msgpack::type::ARRAY) wrong(key, "an array", describe(value));
        return value.via.array;
    }

    /// Checks `v`: a missing or non-integer `v` is bad_field, any other version is
    /// unsupported_version.
    void check_version() const {
        const auto& value = need("v", "the protocol version");
        bool integer = value.type == msgpack::type::POSITIVE_INTEGER ||
                       value.type == msgpack::type::NEGATIVE_INTEGER;
        if (!integer) wrong("v", "an integer protocol version", describe(value));
        if (value.type == msgpack::type::POSITIVE_INTEGER &&
            value.via.u64 == protocol_version) {
            return;
        }
        fail(ErrorCode::unsupported_version,
             "protocol version " + describe(value) + " is not supported; supported: [" +
                 std::to_string(protocol_version) + "]");
    }

    std::string op() const { return text("op"); }

  private:
    void index(const msgpack::object& map) {
        bool top = prefix_.empty();
        auto flaw = top ? ErrorCode::bad_message : ErrorCode::bad_field;
        // A nested prefix ends in '.', which the map's own name leaves out.
        auto where = [&] {
            return top ? std::string("body")
                       : "field \"" + prefix_.substr(0, prefix_.size() - 1) + "\"";
        };
        fields_ = map.via.map.ptr;
        size_ = map.via.map.size;
        for (std::uint32_t i = 0; i < size_; ++i) {
            const auto& key = fields_[i].key;
            if (key.type != msgpack::type::STR) {
                fail(flaw, where() + " has a key that is not a str: " + describe(key));
            }
        }
        if (auto repeated = repeated_key()) {
            fail(flaw, where() + " repeats the key " + quote(*repeated));
        }
    }

    // Protocol maps have at most eight keys, where comparing every pair is cheapest;
    // sorting keeps larger ones O(n log n), since a 1 MiB body can hold a few hundred
    // thousand keys.
    std::optional<std::string_view> repeated_key() const {
        if (size_ <= small_map) {
            for (std::uint32_t i = 1; i < size_; ++i) {
                auto key = str_view(fields_[i].key);
                for (std::uint32_t j = 0; j < i; ++j) {
                    if (str_view(fields_[j].key) == key) return key;
                }
            }
            return std::nullopt;
        }
        std::vector<std::string_view> keys;
        keys.reserve(size_);
        for (std::uint32_t i = 0; i < size_; ++i) {
            keys.push_back(str_view(fields_[i].key));
        }
        std::sort(keys.begin(), keys.end());
        auto repeated = std::adjacent_find(keys.begin(), keys.end());
        if (repeated == keys.end()) return std::nullopt;
        return *repeated;
    }

    // The request's `req` when it is readable, so that errors found before or
    // instead of reading it properly still carry it.
    std::uint64_t lenient_req() const {
        const auto* value = find("req");
        bool readable =
            value != nullptr && value->type == msgpack::type::POSITIVE_INTEGER;
        return readable ? value->via.u64 : 0;
    }

    std::string as_text(std::string_view key, const msgpack::object& value) const {
        if (value.type != msgpack::type::STR) wrong(key, "a str", describe(value));
        return std::string(str_view(value));
    }

    std::uint64_t as_number(std::string_view key, const msgpack::object& value) const {
        if (value.type != msgpack::type::POSITIVE_INTEGER) {
            wrong(key, "a non-negative integer", describe(value));
        }
        return value.via.u64;
    }

    bool as_flag(std::string_view key, const msgpack::object& value) const {
        if (value.type != msgpack::type::BOOLEAN) wrong(key, "a bool", describe(value));
        return value.via.boolean;
    }

    Timestamp as_time(std::string_view key, const msgpack::object& value) const {
        constexpr std::string_view shape = "a timestamp [seconds, nanoseconds]";
        if (value.type != msgpack::type::ARRAY || value.via.array.size != 2) {
            wrong(key, shape, describe(value));
        }
        const auto& seconds = value.via.array.ptr[0];
        const auto& nanos = value.via.array.ptr[1];
        bool negative = seconds.type == msgpack::type::NEGATIVE_INTEGER;
        bool positive = seconds.type == msgpack::type::POSITIVE_INTEGER &&
                        seconds.via.u64 <= max_seconds;
        if (!negative && !positive) {
            wrong(key, "a timestamp whose seconds fit int64", describe(seconds));
        }
        if (nanos.type != msgpack::type::POSITIVE_INTEGER || nanos.via.u64 > max_nanos) {
            wrong(key, "a timestamp whose nanoseconds are in 0..999999999",
                  describe(nanos));
        }
        return {negative ? seconds.via.i64 : static_cast<std::int64_t>(seconds.via.u64),
                static_cast<std::uint32_t>(nanos.via.u64)};
    }

    static constexpr std::uint32_t small_map = 16;

    const msgpack::object_kv* fields_ = nullptr;  ///< the map's entries, in place
    std::uint32_t size_ = 0;
    std::string prefix_;
    std::uint64_t req_;
};

// ---- field rules shared by several messages -----------------------------------------

std::string read_event_name(const MapReader& map, std::string_view key) {
    auto name = map.text(key);
    if (!valid_event_name(name)) {
        map.fail(ErrorCode::bad_name, "field " + map.field(key) + " must be " +
                                          std::string(name_rule) + ", got " +
                                          quote(name));
    }
    return name;
}

std::string read_hook_name(const MapReader& map) {
    auto hook = map.text("hook");
    if (hook.empty() || hook.size() > max_hook_length || !valid_utf8(hook)) {
        map.wrong("hook", "a hook name of 1 to 128 bytes of UTF-8", quote(hook));
    }
    return hook;
}

// One element of hello's `events` or `observe`: a str (bad_field) holding an event
// name (bad_name).
std::string read_name_element(const MapReader& map, std::string_view list,
                              const msgpack::object& value, std::uint32_t index) {
    std::string key = std::string(list) + "[" + std::to_string(index) + "]";
    if (value.type != msgpack::type::STR) map.wrong(key, "a str", describe(value));
    auto name = str_view(value);
    if (!valid_event_name(name)) {
        map.fail(ErrorCode::bad_name, "field " + map.field(key) + " must be " +
                                          std::string(name_rule) + ", got " +
                                          quote(name));
    }
    return std::string(name);
}

std::vector<std::string> read_name_list(const MapReader& map, std::string_view list,
                                        const msgpack::object_array& names) {
    if (names.size > max_hello_events) {
        map.wrong(list, "an array of at most 1024 event names",
                  std::to_string(names.size) + " of them");
    }
    std::vector<std::string> events;
    events.reserve(names.size);
    for (std::uint32_t i = 0; i < names.size; ++i) {
        events.push_back(read_name_element(map, list, names.ptr[i], i));
    }
    return events;
}

// `events` (required) and `observe` (optional): at least one name between them, and
// none in both.
void read_hello_names(const MapReader& map, Hello& hello) {
    hello.events = read_name_list(map, "events", map.array("events"));
    if (const auto* observe = map.maybe("observe")) {
        if (observe->type != msgpack::type::ARRAY) {
            map.wrong("observe", "an array", describe(*observe));
        }
        hello.observe = read_name_list(map, "observe", observe->via.array);
    }
    if (hello.events.empty() && hello.observe.empty()) {
        map.wrong("events", "at least one event name in events or observe",
                  "none in either");
    }
    for (const auto& name : hello.observe) {
        if (std::find(hello.events.begin(), hello.events.end(), name) !=
            hello.events.end()) {
            map.wrong("observe", "names that are not also in events",
                      quote(name) + " in both");
        }
    }
}

std::string check_instance(const MapReader& map, std::string_view key,
                           std::string instance) {
    if (!valid_instance(instance)) {
        map.wrong(key, "an instance id of 1 to 64 characters from [A-Za-z0-9_-]",
                  quote(instance));
    }
    return instance;
}

std::string read_reply_json(const MapReader& map) {
    auto reply_json = map.text("reply_json");
    if (!is_json_object(reply_json)) {
        map.wrong("reply_json", "the text of a JSON object", quote(reply_json));
    }
    return reply_json;
}

// Absent or nil leaves the timeout to the broker; 0 is bad_timeout. The upper bound
// is the broker's own setting, so it is checked there.
std::optional<std::uint64_t> read_timeout(const MapReader& map) {
    const auto* value = map.maybe("timeout_ms");
    if (value == nullptr) return std::nullopt;
    if (value->type != msgpack::type::POSITIVE_INTEGER) {
        map.wrong("timeout_ms", "a positive integer", describe(*value));
    }
    if (value->via.u64 == 0) {
        map.fail(ErrorCode::bad_timeout,
                 "field \"timeout_ms\" must be at least 1, got 0");
    }
    return value->via.u64;
}

std::optional<Expect> read_expect(const MapReader& map, bool required = false) {
    const auto* value = required ? &map.need("expect", "a str") : map.maybe("expect");
    if (value == nullptr) return std::nullopt;
    const auto text = map.text("expect");
    if (auto expect = expect_from(text)) return expect;
    map.wrong("expect", "\"first\" or \"all\"", quote(text));
}

std::optional<OnFailure> read_on_failure(const MapReader& map, bool required = false) {
    const auto* value =
        required ? &map.need("on_failure", "a str") : map.maybe("on_failure");
    if (value == nullptr) return std::nullopt;
    const auto text = map.text("on_failure");
    if (auto on_failure = on_failure_from(text)) return on_failure;
    map.wrong("on_failure", "\"open\" or \"closed\"", quote(text));
}

// Reads a str field that must be one of `known`, by their wire text.
template <class Enum>
Enum read_choice(const MapReader& map, std::string_view key,
                 std::initializer_list<Enum> known, std::string_view expected) {
    auto text = map.text(key);
    for (auto value : known) {
        if (text == to_string(value)) return value;
    }
    map.wrong(key, expected, quote(text));
}

WaitOutcome read_outcome(const MapReader& map) {
    return read_choice(map, "outcome",
                       {WaitOutcome::replied, WaitOutcome::timed_out,
                        WaitOutcome::incomplete, WaitOutcome::no_hook},
                       "\"replied\", \"timed_out\", \"incomplete\" or \"no_hook\"");
}

// The maps of a result's arrays (`replies`, `vetoes`, `missing`), each read by `item`.
template <class Item, class ReadItem>
std::vector<Item> read_items(const MapReader& map, std::string_view list,
                             std::string_view shape, ReadItem read_item) {
    const auto& items = map.array(list);
    std::vector<Item> out;
    out.reserve(items.size);
    for (std::uint32_t i = 0; i < items.size; ++i) {
        std::string key = std::string(list) + "[" + std::to_string(i) + "]";
        if (items.ptr[i].type != msgpack::type::MAP) {
            map.wrong(key, shape, describe(items.ptr[i]));
        }
        out.push_back(read_item(MapReader(items.ptr[i], key + ".", map.req())));
    }
    return out;
}

Result read_result(const MapReader& map) {
    Result result;
    result.req = map.number("req");
    result.id = map.text("id");
    result.outcome = read_outcome(map);
    result.replies = read_items<Answer>(
        map, "replies", "a map {hook, instance, reply_json, latency_us}",
        [](const MapReader& item) {
            return Answer{item.text("hook"), item.text("instance"),
                          item.text("reply_json"), item.number("latency_us")};
        });
    result.expect = *read_expect(map, true);
    result.on_failure = *read_on_failure(map, true);
    result.verdict = read_choice(map, "verdict", {Decision::allowed, Decision::vetoed},
                                 "\"allowed\" or \"vetoed\"");
    result.decided_by = read_choice(map, "decided_by",
                                    {DecidedBy::hook, DecidedBy::policy},
                                    "\"hook\" or \"policy\"");
    result.vetoes = read_items<Veto>(
        map, "vetoes", "a map {hook, instance, reason}", [](const MapReader& item) {
            return Veto{item.text("hook"), item.text("instance"), item.text("reason")};
        });
    result.missing = read_items<Missing>(
        map, "missing", "a map {hook, instance, why}", [](const MapReader& item) {
            return Missing{item.text("hook"), item.text("instance"),
                           read_choice(item, "why",
                                       {MissingWhy::timed_out, MissingWhy::died,
                                        MissingWhy::left, MissingWhy::lagged},
                                       "\"timed_out\", \"died\", \"left\" or "
                                       "\"lagged\"")};
        });
    return result;
}

// The stats map goes back to msgpack bytes so that nlohmann converts it in one call.
nlohmann::json read_stats(const MapReader& map) {
    const auto& value = map.need("stats", "a map");
    if (value.type != msgpack::type::MAP) map.wrong("stats", "a map", describe(value));
    msgpack::sbuffer bytes;
    msgpack::pack(bytes, value);
    try {
        return nlohmann::json::from_msgpack(bytes.data(), bytes.data() + bytes.size());
    } catch (const nlohmann::json::exception& e) {
        map.wrong("stats", "a map that converts to JSON", e.what());
    }
}

// ---- message readers ----------------------------------------------------------------

Event read_event(const MapReader& map, std::string_view topic) {
    Event event;
    event.name = std::string(topic);
    event.id = map.text("id");
    event.run = map.number("run");
    event.seq = map.number("seq");
    event.emitted_at = map.time("emitted_at");
    event.deadline = map.time_or_nil("deadline");
    event.payload_json = map.text("payload_json");
    return event;
}

Welcome read_welcome(const MapReader& map) {
    return {map.number("run"), map.time("started_at"), map.number("max_msg_size")};
}

Hello read_hello(const MapReader& map) {
    Hello hello;
    hello.instance = check_instance(map, "instance", map.text("instance"));
    hello.hook = read_hook_name(map);
    read_hello_names(map, hello);
    return hello;
}

Reply read_reply(const MapReader& map) {
    Reply reply;
    reply.id = map.text("id");
    reply.hook = read_hook_name(map);
    reply.instance = map.text_or("instance", "");
    if (!reply.instance.empty()) check_instance(map, "instance", reply.instance);
    reply.reply_json = read_reply_json(map);
    return reply;
}

Emit read_emit(const MapReader& map) {
    Emit emit;
    emit.req = map.number_or_none("req").value_or(0);
    emit.name = read_event_name(map, "name");
    emit.payload_json = map.text("payload_json");
    emit.wait = map.flag_or("wait", false);
    emit.timeout_ms = read_timeout(map);
    emit.expect = read_expect(map);
    emit.on_failure = read_on_failure(map);
    return emit;
}

Ready read_ready(const MapReader& map) {
    Ready ready;
    ready.req = map.number_or_none("req").value_or(0);
    ready.name = read_event_name(map, "name");
    ready.hooks = map.number("hooks");
    if (ready.hooks == 0) map.wrong("hooks", "at least 1", "0");
    const auto timeout = read_timeout(map);
    if (!timeout) {
        map.fail(ErrorCode::bad_timeout,
                 "field \"timeout_ms\" is missing; ready needs a timeout of at least 1");
    }
    ready.timeout_ms = *timeout;
    return ready;
}

Error read_error(const MapReader& map) {
    Error error;
    error.req = map.number("req");
    error.code_text = map.text("code");
    error.code = error_code_from(error.code_text);
    error.message = map.text("message");
    return error;
}

[[noreturn]] void unknown_op(const MapReader& map, const std::string& op,
                             std::string_view expected) {
    std::string message = "op " + quote(op) + " is not known on this socket";
    map.fail(ErrorCode::unknown_op, message + "; expected " + std::string(expected));
}

}  // namespace

// ---- names, ids and clocks ----------------------------------------------------------

Timestamp wall_now() {
    using namespace std::chrono;
    auto since_epoch = system_clock::now().time_since_epoch();
    auto whole = floor<seconds>(since_epoch);
    auto nanos = duration_cast<nanoseconds>(since_epoch - whole);
    return {static_cast<std::int64_t>(whole.count()),
            static_cast<std::uint32_t>(nanos.count())};
}

std::string_view to_string(Expect expect) {
    return expect == Expect::all ? "all" : "first";
}

std::string_view to_string(OnFailure on_failure) {
    return on_failure == OnFailure::closed ? "closed" : "open";
}

std::optional<Expect> expect_from(std::string_view text) {
    if (text == "first") return Expect::first;
    if (text == "all") return Expect::all;
    return std::nullopt;
}

std::optional<OnFailure> on_failure_from(std::string_view text) {
    if (text == "open") return OnFailure::open;
    if (text == "closed") return OnFailure::closed;
    return std::nullopt;
}

std::string_view to_string(WaitOutcome outcome) {
    switch (outcome) {
        case WaitOutcome::replied:
            return "replied";
        case WaitOutcome::timed_out:
            return "timed_out";
        case WaitOutcome::incomplete:
            return "incomplete";
        case WaitOutcome::no_hook:
            return "no_hook";
    }
    return "timed_out";
}

std::string_view to_string(Decision decision) {
    return decision == Decision::vetoed ? "vetoed" : "allowed";
}

std::string_view to_string(DecidedBy by) {
    return by == DecidedBy::policy ? "policy" : "hook";
}

std::string_view to_string(MissingWhy why) {
    switch (why) {
        case MissingWhy::timed_out:
            return "timed_out";
        case MissingWhy::died:
            return "died";
        case MissingWhy::left:
            return "left";
        case MissingWhy::lagged:
            return "lagged";
    }
    return "timed_out";
}

namespace {

// The veto of a flat reply (no nesting, no escapes), read without a parser: there,
// the text `"abort"` followed by `:` can only be the key. Nullopt when the reply is
// not that simple, for the parser to decide.
std::optional<std::optional<std::string>> flat_veto_reason(std::string_view text) {
    if (text.find_first_of("[\\", 0) != std::string_view::npos ||
        text.find('{', text.find('{') + 1) != std::string_view::npos) {
        return std::nullopt;
    }
    constexpr std::string_view key = "\"abort\"";
    const auto at = text.find(key);
    if (text.find(key, at + key.size()) != std::string_view::npos) return std::nullopt;
    auto skip_space = [&](std::size_t i) {
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' ||
                                   text[i] == '\r')) {
            ++i;
        }
        return i;
    };
    auto i = skip_space(at + key.size());
    if (i >= text.size() || text[i] != ':') return std::nullopt;
    i = skip_space(i + 1);
    const auto rest = text.substr(i);
    if (rest.substr(0, 4) == "null" || rest.substr(0, 5) == "false") {
        return std::optional<std::string>();
    }
    if (rest.empty() || rest.front() != '"') return std::nullopt;
    const auto close = rest.find('"', 1);
    if (close == std::string_view::npos) return std::nullopt;
    if (close == 1) return std::optional<std::string>();
    return std::optional<std::string>(std::string(rest.substr(1, close - 1)));
}

}  // namespace

std::optional<std::string> veto_reason(std::string_view reply_json) {
    // Most answers never mention abort; those cost one scan and no parse.
    if (reply_json.find("abort") == std::string_view::npos) return std::nullopt;
    if (auto flat = flat_veto_reason(reply_json)) return *flat;
    const auto reply = nlohmann::json::parse(reply_json, nullptr, false);
    if (!reply.is_object()) return std::nullopt;
    const auto it = reply.find("abort");
    if (it == reply.end() || it->is_null() || *it == false) return std::nullopt;
    if (it->is_string()) {
        auto reason = it->get<std::string>();
        if (reason.empty()) return std::nullopt;
        return reason;
    }
    return it->dump();
}

std::string_view to_string(ErrorCode code) {
    switch (code) {
        case ErrorCode::bad_frames:
            return "bad_frames";
        case ErrorCode::bad_message:
            return "bad_message";
        case ErrorCode::bad_field:
            return "bad_field";
        case ErrorCode::unsupported_version:
            return "unsupported_version";
        case ErrorCode::unknown_op:
            return "unknown_op";
        case ErrorCode::bad_name:
            return "bad_name";
        case ErrorCode::bad_timeout:
            return "bad_timeout";
        case ErrorCode::overloaded:
            return "overloaded";
        case ErrorCode::shutting_down:
            return "shutting_down";
        case ErrorCode::unknown:
            return "unknown";
    }
    return "unknown";
}

ErrorCode error_code_from(std::string_view text) {
    for (auto code : known_error_codes) {
        if (to_string(code) == text) return code;
    }
    return ErrorCode::unknown;
}

bool valid_event_name(std::string_view name) {
    if (name.empty() || name.size() > max_name_length || !is_name_head(name[0])) {
        return false;
    }
    for (char c : name.substr(1)) {
        if (!is_name_tail(c)) return false;
    }
    return true;
}

bool valid_instance(std::string_view instance) {
    if (instance.empty() || instance.size() > max_instance_length) return false;
    for (char c : instance) {
        if (!is_instance_char(c)) return false;
    }
    return true;
}

std::string make_uuid4() {
    // Seeded once per thread: random_device is slow, the engine is not. Ids only need
    // to be unique, not unguessable (any hook that sees an event may answer it).
    thread_local std::mt19937_64 engine = [] {
        std::random_device device;
        std::seed_seq seed{device(), device(), device(), device(),
                           device(), device(), device(), device()};
        return std::mt19937_64(seed);
    }();
    std::array<std::uint8_t, 16> bytes;
    for (std::size_t half = 0; half < 2; ++half) {
        auto bits = engine();
        for (std::size_t i = 0; i < 8; ++i)
            bytes[half * 8 + i] = (bits >> (8 * i)) & 0xff;
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;  // version 4
    bytes[8] = (bytes[8] & 0x3f) | 0x80;  // variant 10xx (RFC 4122)

    constexpr std::string_view digits = "0123456789abcdef";
    std::string text;
    text.reserve(36);
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) text += '-';
        text += digits[bytes[i] >> 4];
        text += digits[bytes[i] & 0x0f];
    }
    return text;
}

// ---- encoders -----------------------------------------------------------------------

void encode(const Event& event, std::string& out) {
    MapWriter(out, MapWriter::Topic{event.name}, 7)
        .text("id", event.id)
        .number("run", event.run)
        .number("seq", event.seq)
        .time("emitted_at", event.emitted_at)
        .time_or_nil("deadline", event.deadline)
        .text("payload_json", event.payload_json)
        .finish();
}

void encode(const Welcome& welcome, std::string& out) {
    MapWriter(out, MapWriter::Topic{welcome_topic}, 4)
        .number("run", welcome.run)
        .time("started_at", welcome.started_at)
        .number("max_msg_size", welcome.max_msg_size)
        .finish();
}

void encode(const Hello& hello, std::string& out) {
    const bool observes = !hello.observe.empty();
    MapWriter map(out, observes ? 6 : 5, "hello");
    map.text("instance", hello.instance)
        .text("hook", hello.hook)
        .texts("events", hello.events);
    if (observes) map.texts("observe", hello.observe);
    map.finish();
}

void encode(const Reply& reply, std::string& out) {
    MapWriter(out, 6, "reply")
        .text("id", reply.id)
        .text("hook", reply.hook)
        .text("instance", reply.instance)
        .text("reply_json", reply.reply_json)
        .finish();
}

void encode(const Bye& bye, std::string& out) {
    MapWriter(out, 3, "bye").text("instance", bye.instance).finish();
}

void encode(const HelloOk& ok, std::string& out) {
    MapWriter(out, 4, "hello_ok")
        .text("instance", ok.instance)
        .number("run", ok.run)
        .finish();
}

void encode(const ReplyAck& ack, std::string& out) {
    MapWriter map(out, ack.registered ? 4 : 5, "reply_ack");
    map.text("id", ack.id).flag("accepted", ack.accepted);
    if (!ack.registered) map.flag("registered", false);
    map.finish();
}

void encode(const ByeOk& ok, std::string& out) {
    MapWriter(out, 3, "bye_ok").text("instance", ok.instance).finish();
}

void encode(const Emit& emit, std::string& out) {
    const auto keys = 6 + (emit.timeout_ms ? 1 : 0) + (emit.expect ? 1 : 0) +
                      (emit.on_failure ? 1 : 0);
    MapWriter map(out, static_cast<std::uint32_t>(keys), "emit");
    map.number("req", emit.req)
        .text("name", emit.name)
        .text("payload_json", emit.payload_json)
        .flag("wait", emit.wait);
    if (emit.timeout_ms) map.number("timeout_ms", *emit.timeout_ms);
    if (emit.expect) map.text("expect", to_string(*emit.expect));
    if (emit.on_failure) map.text("on_failure", to_string(*emit.on_failure));
    map.finish();
}

void encode(const StatsRequest& request, std::string& out) {
    MapWriter(out, 3, "stats").number("req", request.req).finish();
}

void encode(const Ready& ready, std::string& out) {
    MapWriter(out, 6, "ready")
        .number("req", ready.req)
        .text("name", ready.name)
        .number("hooks", ready.hooks)
        .number("timeout_ms", ready.timeout_ms)
        .finish();
}

void encode(const ReadyOk& ok, std::string& out) {
    MapWriter(out, 6, "ready_ok")
        .number("req", ok.req)
        .text("name", ok.name)
        .flag("ready", ok.ready)
        .number("hooks", ok.hooks)
        .finish();
}

void encode(const Ack& ack, std::string& out) {
    MapWriter(out, 6, "ack")
        .number("req", ack.req)
        .text("id", ack.id)
        .number("seq", ack.seq)
        .time("emitted_at", ack.emitted_at)
        .finish();
}

void encode(const Result& result, std::string& out) {
    MapWriter(out, 12, "result")
        .number("req", result.req)
        .text("id", result.id)
        .text("outcome", to_string(result.outcome))
        .answers("replies", result.replies)
        .text("expect", to_string(result.expect))
        .text("on_failure", to_string(result.on_failure))
        .text("verdict", to_string(result.verdict))
        .text("decided_by", to_string(result.decided_by))
        .vetoes("vetoes", result.vetoes)
        .missing("missing", result.missing)
        .finish();
}

void encode(const StatsOk& ok, std::string& out) {
    // A default-constructed StatsOk holds JSON null: that is an empty stats map.
    if (!ok.stats.is_null() && !ok.stats.is_object()) {
        throw std::invalid_argument("StatsOk.stats must be a JSON object");
    }
    const auto& stats = ok.stats.is_null() ? nlohmann::json::object() : ok.stats;
    MapWriter(out, 4, "stats_ok")
        .number("req", ok.req)
        .raw("stats", nlohmann::json::to_msgpack(stats))
        .finish();
}

void encode(const Error& error, std::string& out) {
    bool versions = error.code == ErrorCode::unsupported_version;
    bool keep_text = error.code == ErrorCode::unknown && !error.code_text.empty();
    MapWriter map(out, versions ? 6 : 5, "error");
    map.number("req", error.req)
        .text("code",
              keep_text ? std::string_view(error.code_text) : to_string(error.code))
        .text("message", error.message);
    if (versions) map.numbers("supported", {protocol_version});
    map.finish();
}

namespace {

template <class Message>
std::string encoded(const Message& message) {
    std::string out;
    out.reserve(256);  // most messages fit: one allocation, no regrowth
    encode(message, out);
    return out;
}

}  // namespace

std::string encode(const Event& event) { return encoded(event); }
std::string encode(const Welcome& welcome) { return encoded(welcome); }
std::string encode(const Hello& hello) { return encoded(hello); }
std::string encode(const Reply& reply) { return encoded(reply); }
std::string encode(const Bye& bye) { return encoded(bye); }
std::string encode(const HelloOk& ok) { return encoded(ok); }
std::string encode(const ReplyAck& ack) { return encoded(ack); }
std::string encode(const ByeOk& ok) { return encoded(ok); }
std::string encode(const Emit& emit) { return encoded(emit); }
std::string encode(const StatsRequest& request) { return encoded(request); }
std::string encode(const Ready& ready) { return encoded(ready); }
std::string encode(const Ack& ack) { return encoded(ack); }
std::string encode(const ReadyOk& ok) { return encoded(ok); }
std::string encode(const Result& result) { return encoded(result); }
std::string encode(const StatsOk& ok) { return encoded(ok); }
std::string encode(const Error& error) { return encoded(error); }

// ---- decoders -----------------------------------------------------------------------

Published decode_published(std::string_view frame) {
    auto nul = frame.find('\0');
    if (nul == std::string_view::npos) {
        throw DecodeError(ErrorCode::bad_message,
                          "events frame has no NUL after its topic");
    }
    auto topic = frame.substr(0, nul);
    MapReader map(unpack_body(frame.substr(nul + 1)));
    map.check_version();
    if (topic == welcome_topic) return read_welcome(map);
    if (!valid_event_name(topic)) {
        map.fail(ErrorCode::bad_name, "events topic " + quote(topic) +
                                          " is neither $welcome nor an event name");
    }
    return read_event(map, topic);
}

HookRequest decode_hook_request(std::string_view body) {
    MapReader map(unpack_body(body));
    map.check_version();
    auto op = map.op();
    if (op == "hello") return read_hello(map);
    if (op == "reply") return read_reply(map);
    if (op == "bye") return Bye{check_instance(map, "instance", map.text("instance"))};
    unknown_op(map, op, "\"hello\", \"reply\" or \"bye\"");
}

HookResponse decode_hook_response(std::string_view body) {
    MapReader map(unpack_body(body));
    map.check_version();
    auto op = map.op();
    if (op == "hello_ok") return HelloOk{map.text("instance"), map.number("run")};
    if (op == "reply_ack") {
        return ReplyAck{map.text("id"), map.flag("accepted"),
                        map.flag_or("registered", true)};
    }
    if (op == "bye_ok") return ByeOk{map.text("instance")};
    if (op == "error") return read_error(map);
    unknown_op(map, op, "\"hello_ok\", \"reply_ack\", \"bye_ok\" or \"error\"");
}

EmitRequest decode_emit_request(std::string_view body) {
    MapReader map(unpack_body(body));
    map.check_version();
    auto op = map.op();
    if (op == "emit") return read_emit(map);
    if (op == "stats") return StatsRequest{map.number_or_none("req").value_or(0)};
    if (op == "ready") return read_ready(map);
    unknown_op(map, op, "\"emit\", \"stats\" or \"ready\"");
}

EmitResponse decode_emit_response(std::string_view body) {
    MapReader map(unpack_body(body));
    map.check_version();
    auto op = map.op();
    if (op == "ack") {
        return Ack{map.number("req"), map.text("id"), map.number("seq"),
                   map.time("emitted_at")};
    }
    if (op == "result") return read_result(map);
    if (op == "stats_ok") return StatsOk{map.number("req"), read_stats(map)};
    if (op == "ready_ok") {
        return ReadyOk{map.number("req"), map.text("name"), map.flag("ready"),
                       map.number("hooks")};
    }
    if (op == "error") return read_error(map);
    unknown_op(map, op,
               "\"ack\", \"result\", \"stats_ok\", \"ready_ok\" or \"error\"");
}

}  // namespace hookbus
