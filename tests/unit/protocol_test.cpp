// Unit tests of the protocol codec (src/protocol.cpp): round trips of every message,
// the conformance vectors in tests/vectors/vectors.json (byte for byte, and every
// malformed one refused with its code), the name and instance rules, uuid4, and the
// tolerance that section 2.1 of docs/protocol.md asks of receivers.
#include "hookbus/protocol.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <msgpack.hpp>
#include <set>
#include <thread>

namespace {

using namespace hookbus;
using nlohmann::json;

const std::string vectors_path = std::string(HOOKBUS_VECTORS_DIR) + "/vectors.json";
const Timestamp emitted{1733241600, 123456789};
const std::string event_id = "3f2b8c1e-9a4d-4e7f-8b6a-1c2d3e4f5a6b";

// ---- helpers ------------------------------------------------------------------------

std::string from_hex(const std::string& hex) {
    std::string bytes;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    }
    return bytes;
}

/// A msgpack body built key by key, for input that is valid but not canonical.
class Body {
  public:
    explicit Body(std::uint32_t keys) { packer_.pack_map(keys); }

    template <typename T>
    Body& add(const std::string& key, const T& value) {
        packer_.pack(key);
        packer_.pack(value);
        return *this;
    }

    /// Adds a key whose value the caller packs through `pack`.
    template <typename Fn>
    Body& raw(const std::string& key, Fn pack) {
        packer_.pack(key);
        pack(packer_);
        return *this;
    }

    std::string str() const { return std::string(buffer_.data(), buffer_.size()); }

  private:
    msgpack::sbuffer buffer_;
    msgpack::packer<msgpack::sbuffer> packer_{buffer_};
};

/// The error code and req a decoder throws, or nullopt when it decodes.
template <typename Decode>
std::optional<DecodeError> decode_error(Decode decode, std::string_view bytes) {
    try {
        decode(bytes);
    } catch (const DecodeError& e) {
        return e;
    }
    return std::nullopt;
}

template <typename T, typename Decode>
T round_trip(const T& message, Decode decode) {
    return std::get<T>(decode(encode(message)));
}

// ---- vectors ------------------------------------------------------------------------

struct Vector {
    json spec;
    std::string name() const { return spec["name"]; }
    std::string bytes() const { return from_hex(spec["hex"]); }
    bool to_broker() const {
        auto direction = spec["direction"].get<std::string>();
        return direction.size() > 8 &&
               direction.substr(direction.size() - 8) == "->broker";
    }
};

// Names the vector in gtest's output instead of dumping its bytes.
void PrintTo(const Vector& vector, std::ostream* out) { *out << vector.name(); }

std::vector<Vector> load_vectors(bool valid) {
    std::ifstream file(vectors_path);
    if (!file) return {};
    auto document = json::parse(file);
    std::vector<Vector> vectors;
    for (const auto& spec : document["vectors"]) {
        if (spec.value("valid", true) == valid) vectors.push_back({spec});
    }
    return vectors;
}

std::string kind_of(const Event&) { return "event"; }
std::string kind_of(const Welcome&) { return "welcome"; }
std::string kind_of(const Hello&) { return "hello"; }
std::string kind_of(const Reply&) { return "reply"; }
std::string kind_of(const Bye&) { return "bye"; }
std::string kind_of(const HelloOk&) { return "hello_ok"; }
std::string kind_of(const ReplyAck&) { return "reply_ack"; }
std::string kind_of(const ByeOk&) { return "bye_ok"; }
std::string kind_of(const Emit&) { return "emit"; }
std::string kind_of(const StatsRequest&) { return "stats"; }
std::string kind_of(const Ready&) { return "ready"; }
std::string kind_of(const ReadyOk&) { return "ready_ok"; }
std::string kind_of(const Ack&) { return "ack"; }
std::string kind_of(const Result&) { return "result"; }
std::string kind_of(const StatsOk&) { return "stats_ok"; }
std::string kind_of(const Error&) { return "error"; }

/// What the vector decodes to: its kind, and its re-encoding.
struct Decoded {
    std::string kind;
    std::string encoded;
};

template <typename Variant>
Decoded describe(const Variant& message) {
    return std::visit(
        [](const auto& m) {
            return Decoded{kind_of(m), encode(m)};
        },
        message);
}

/// Decodes the vector's bytes with the decoder its socket and direction select.
Decoded decode_vector(const Vector& vector) {
    auto bytes = vector.bytes();
    auto socket = vector.spec["socket"].get<std::string>();
    if (socket == "events") return describe(decode_published(bytes));
    if (socket == "replies") {
        return vector.to_broker() ? describe(decode_hook_request(bytes))
                                  : describe(decode_hook_response(bytes));
    }
    return vector.to_broker() ? describe(decode_emit_request(bytes))
                              : describe(decode_emit_response(bytes));
}

/// The msgpack body of a vector, without the topic of an events frame.
std::string body_of(const Vector& vector) {
    auto bytes = vector.bytes();
    if (vector.spec["socket"] != "events") return bytes;
    return bytes.substr(bytes.find('\0') + 1);
}

std::string vector_name(const testing::TestParamInfo<Vector>& info) {
    return info.param.name();
}

class CodecVector : public testing::TestWithParam<Vector> {};
class CodecMalformedVector : public testing::TestWithParam<Vector> {};

TEST(CodecVectors, FileCoversValidAndMalformedMessages) {
    EXPECT_GE(load_vectors(true).size(), 25u) << vectors_path;
    EXPECT_GE(load_vectors(false).size(), 40u) << vectors_path;
}

TEST_P(CodecVector, HexIsTheCanonicalFormOfItsFields) {
    const auto& vector = GetParam();
    auto body = body_of(vector);
    EXPECT_EQ(json::from_msgpack(body), vector.spec["fields"]);
    if (vector.spec.contains("topic")) {
        EXPECT_EQ(vector.bytes(), vector.spec["topic"].get<std::string>() + '\0' + body);
    }
}

TEST_P(CodecVector, DecodesToItsKindAndReencodesByteForByte) {
    const auto& vector = GetParam();
    auto decoded = decode_vector(vector);
    EXPECT_EQ(decoded.kind, vector.spec["kind"]);
    EXPECT_EQ(decoded.encoded, vector.bytes());
}

TEST_P(CodecMalformedVector, IsRefusedWithItsCode) {
    const auto& vector = GetParam();
    try {
        decode_vector(vector);
        FAIL() << "decoded without error";
    } catch (const DecodeError& e) {
        EXPECT_EQ(to_string(e.code()), vector.spec["expect_error"]) << e.what();
        EXPECT_EQ(e.req(), vector.spec.value("expect_req", 0u)) << e.what();
    }
}

INSTANTIATE_TEST_SUITE_P(Vectors, CodecVector, testing::ValuesIn(load_vectors(true)),
                         vector_name);
INSTANTIATE_TEST_SUITE_P(Vectors, CodecMalformedVector,
                         testing::ValuesIn(load_vectors(false)), vector_name);

// ---- round trips --------------------------------------------------------------------

TEST(Codec, EventRoundTripsWithDeadline) {
    Event event{"capture", event_id, 1u << 20, 300, emitted, emitted, "{\"a\":1}"};
    auto decoded = std::get<Event>(decode_published(encode(event)));
    EXPECT_EQ(decoded.name, "capture");
    EXPECT_EQ(decoded.deadline, emitted);
    EXPECT_EQ(decoded.payload_json, "{\"a\":1}");
}

TEST(Codec, EventRoundTripsWithoutDeadline) {
    Event event{"a", event_id, 7, 1, emitted, std::nullopt, "{}"};
    auto decoded = std::get<Event>(decode_published(encode(event)));
    EXPECT_FALSE(decoded.awaited());
    EXPECT_EQ(decoded.emitted_at, emitted);
    EXPECT_EQ(decoded.seq, 1u);
}

TEST(Codec, EventFrameStartsWithTopicAndNul) {
    Event capture{"capture", event_id, 7, 1, emitted, std::nullopt, "{}"};
    Event done = capture;
    done.name = "capture_done";
    EXPECT_EQ(encode(capture).rfind(std::string("capture\0", 8), 0), 0u);
    EXPECT_NE(encode(done).rfind(std::string("capture\0", 8), 0), 0u);
}

TEST(Codec, WelcomeRoundTrips) {
    Welcome welcome{~0ull >> 11, {1733241000, 5}, 1 << 20};
    auto frame = encode(welcome);
    auto decoded = std::get<Welcome>(decode_published(frame));
    EXPECT_EQ(frame.rfind(std::string("$welcome\0", 9), 0), 0u);
    EXPECT_EQ(decoded.run, welcome.run);
    EXPECT_EQ(decoded.max_msg_size, welcome.max_msg_size);
}

TEST(Codec, HelloRoundTrips) {
    Hello hello{"h1", "lint-guard", {"capture", "git:pre-commit"}};
    auto decoded = round_trip(hello, decode_hook_request);
    EXPECT_EQ(decoded.instance, "h1");
    EXPECT_EQ(decoded.hook, "lint-guard");
    EXPECT_EQ(decoded.events, hello.events);
}

TEST(Codec, ReplyRoundTripsWithAndWithoutInstance) {
    Reply reply{event_id, "lint-guard", "h1", "{\"abort\":\"no\"}"};
    EXPECT_EQ(round_trip(reply, decode_hook_request).instance, "h1");
    reply.instance.clear();
    auto decoded = round_trip(reply, decode_hook_request);
    EXPECT_EQ(decoded.instance, "");
    EXPECT_EQ(decoded.reply_json, reply.reply_json);
}

TEST(Codec, ByeRoundTrips) {
    EXPECT_EQ(round_trip(Bye{"h1"}, decode_hook_request).instance, "h1");
}

TEST(Codec, HookResponsesRoundTrip) {
    EXPECT_EQ(round_trip(HelloOk{"h1", 99}, decode_hook_response).run, 99u);
    EXPECT_TRUE(round_trip(ReplyAck{event_id, true}, decode_hook_response).accepted);
    EXPECT_EQ(round_trip(ByeOk{"h1"}, decode_hook_response).instance, "h1");
}

TEST(Codec, EmitRoundTripsEveryOption) {
    Emit emit{1ull << 40, "capture", "{}", true, 2500, Expect::all};
    auto decoded = round_trip(emit, decode_emit_request);
    EXPECT_EQ(decoded.req, 1ull << 40);
    EXPECT_EQ(decoded.timeout_ms, 2500u);
    EXPECT_EQ(decoded.expect, Expect::all);
}

TEST(Codec, EmitOmitsAbsentTimeout) {
    Emit emit{3, "capture", "{}", true, std::nullopt, Expect::first};
    auto fields = json::from_msgpack(encode(emit));
    EXPECT_FALSE(fields.contains("timeout_ms"));
    EXPECT_FALSE(round_trip(emit, decode_emit_request).timeout_ms.has_value());
}

TEST(Codec, EmitOmitsPoliciesLeftToTheBroker) {
    Emit emit{3, "capture", "{}", true, 100};
    auto fields = json::from_msgpack(encode(emit));
    EXPECT_FALSE(fields.contains("expect"));
    EXPECT_FALSE(fields.contains("on_failure"));
    emit.on_failure = OnFailure::closed;
    auto decoded = round_trip(emit, decode_emit_request);
    EXPECT_FALSE(decoded.expect.has_value());
    EXPECT_EQ(decoded.on_failure, OnFailure::closed);
}

TEST(Codec, HelloCarriesObservedNamesOnlyWhenThereAreSome) {
    Hello hello{"h1", "audit", {"capture"}, {}};
    EXPECT_FALSE(json::from_msgpack(encode(hello)).contains("observe"));
    hello.observe = {"merge"};
    auto decoded = std::get<Hello>(decode_hook_request(encode(hello)));
    EXPECT_EQ(decoded.observe, std::vector<std::string>{"merge"});
}

TEST(Codec, ReplyAckSaysUnregisteredOnlyWhenItIs) {
    EXPECT_FALSE(json::from_msgpack(encode(ReplyAck{event_id, true})).contains(
        "registered"));
    EXPECT_FALSE(round_trip(ReplyAck{event_id, false, false}, decode_hook_response)
                     .registered);
}

TEST(Codec, VetoReasonReadsAbort) {
    EXPECT_EQ(veto_reason(R"({"abort":"no"})"), "no");
    EXPECT_EQ(veto_reason(R"({"abort":""})"), std::nullopt);
    EXPECT_EQ(veto_reason(R"({"abort":null,"x":1})"), std::nullopt);
    EXPECT_EQ(veto_reason(R"({"abort":false})"), std::nullopt);
    EXPECT_EQ(veto_reason(R"({"abort":true})"), "true");
    EXPECT_EQ(veto_reason(R"({"abort":{"code":3}})"), R"({"code":3})");
    EXPECT_EQ(veto_reason(R"({"ok":"abort"})"), std::nullopt);
    EXPECT_EQ(veto_reason(R"({})"), std::nullopt);
    // Flat replies take a shortcut; these must agree with the parser.
    EXPECT_EQ(veto_reason(R"({ "abort" : "no" , "x": 1})"), "no");
    EXPECT_EQ(veto_reason(R"({"x":1,"abort": null})"), std::nullopt);
    EXPECT_EQ(veto_reason(R"({"abort":3})"), "3");
    EXPECT_EQ(veto_reason(R"({"abort":"a\"b"})"), "a\"b");
    EXPECT_EQ(veto_reason(R"({"abort":"","abort":"later"})"), "later");
    EXPECT_EQ(veto_reason(R"({"x":{"abort":"nested"}})"), std::nullopt);
    EXPECT_EQ(veto_reason(R"({"x":["abort"],"abort":"y"})"), "y");
    EXPECT_EQ(veto_reason(R"({"note":"abort","abort":""})"), std::nullopt);
}

TEST(Codec, StatsRequestRoundTrips) {
    EXPECT_EQ(round_trip(StatsRequest{5}, decode_emit_request).req, 5u);
}

TEST(Codec, AckRoundTrips) {
    auto decoded = round_trip(Ack{1, event_id, 300, emitted}, decode_emit_response);
    EXPECT_EQ(decoded.id, event_id);
    EXPECT_EQ(decoded.seq, 300u);
    EXPECT_EQ(decoded.emitted_at, emitted);
}

TEST(Codec, ResultRoundTripsItsAnswers) {
    Result result{
        2, event_id, WaitOutcome::replied, {{"a", "h1", "{}", 7}, {"b", "", "{}", 9}}};
    auto decoded = round_trip(result, decode_emit_response);
    EXPECT_EQ(decoded.outcome, WaitOutcome::replied);
    ASSERT_EQ(decoded.replies.size(), 2u);
    EXPECT_EQ(decoded.replies[1].hook, "b");
    EXPECT_EQ(decoded.replies[1].latency_us, 9u);
}

TEST(Codec, ResultRoundTripsItsVerdict) {
    Result result{3, event_id, WaitOutcome::incomplete, {}};
    result.expect = Expect::all;
    result.on_failure = OnFailure::closed;
    result.verdict = Decision::vetoed;
    result.decided_by = DecidedBy::policy;
    result.vetoes = {{"a", "h1", "hook a died"}};
    result.missing = {{"a", "h1", MissingWhy::died}, {"b", "h2", MissingWhy::lagged}};
    auto decoded = round_trip(result, decode_emit_response);
    EXPECT_EQ(decoded.outcome, WaitOutcome::incomplete);
    EXPECT_EQ(decoded.expect, Expect::all);
    EXPECT_EQ(decoded.on_failure, OnFailure::closed);
    EXPECT_EQ(decoded.verdict, Decision::vetoed);
    EXPECT_EQ(decoded.decided_by, DecidedBy::policy);
    ASSERT_EQ(decoded.vetoes.size(), 1u);
    EXPECT_EQ(decoded.vetoes[0].reason, "hook a died");
    ASSERT_EQ(decoded.missing.size(), 2u);
    EXPECT_EQ(decoded.missing[1].why, MissingWhy::lagged);
}

TEST(Codec, ReadyAndReadyOkRoundTrip) {
    auto ready = round_trip(Ready{4, "capture", 3, 250}, decode_emit_request);
    EXPECT_EQ(ready.name, "capture");
    EXPECT_EQ(ready.hooks, 3u);
    EXPECT_EQ(ready.timeout_ms, 250u);
    auto ok = round_trip(ReadyOk{4, "capture", true, 3}, decode_emit_response);
    EXPECT_TRUE(ok.ready);
    EXPECT_EQ(ok.hooks, 3u);
}

TEST(Codec, StatsOkRoundTripsNestedStats) {
    json stats = {{"pending", 0},
                  {"subscriptions", {{"", 1}, {"capture", 2}}},
                  {"hooks", json::array({{{"hook", "a"}, {"live", true}}})}};
    auto decoded = round_trip(StatsOk{5, stats}, decode_emit_response);
    EXPECT_EQ(decoded.req, 5u);
    EXPECT_EQ(decoded.stats, stats);
}

TEST(Codec, ErrorRoundTripsItsCode) {
    Error error{7, ErrorCode::bad_timeout, "", "too long"};
    auto decoded = round_trip(error, decode_emit_response);
    EXPECT_EQ(decoded.code, ErrorCode::bad_timeout);
    EXPECT_EQ(decoded.code_text, "bad_timeout");
    EXPECT_EQ(decoded.message, "too long");
}

TEST(Codec, ErrorKeepsTheTextOfAnUnknownCode) {
    Error error{8, ErrorCode::unknown, "rate_limited", "slow down"};
    auto decoded = std::get<Error>(decode_hook_response(encode(error)));
    EXPECT_EQ(decoded.code, ErrorCode::unknown);
    EXPECT_EQ(decoded.code_text, "rate_limited");
}

TEST(Codec, OnlyUnsupportedVersionCarriesSupported) {
    auto version =
        json::from_msgpack(encode(Error{9, ErrorCode::unsupported_version, "", "v"}));
    auto other = json::from_msgpack(encode(Error{9, ErrorCode::overloaded, "", "full"}));
    EXPECT_EQ(version["supported"], json::array({protocol_version}));
    EXPECT_FALSE(other.contains("supported"));
}

TEST(Codec, NegativeTimestampRoundTrips) {
    Ack ack{1, event_id, 1, {-1, 5}};
    EXPECT_EQ(round_trip(ack, decode_emit_response).emitted_at, (Timestamp{-1, 5}));
}

TEST(Codec, LongStringsRoundTrip) {
    std::string payload(70000, 'x');
    Event event{"capture", event_id, 7, 1, emitted, std::nullopt, payload};
    EXPECT_EQ(std::get<Event>(decode_published(encode(event))).payload_json, payload);
}

// ---- errors -------------------------------------------------------------------------

TEST(Codec, DecodeErrorCarriesReqWhenVersionIsWrong) {
    auto body = Body(3).add("v", protocol_version + 1).add("op", "stats").add("req", 41).str();
    auto error = decode_error(decode_emit_request, body);
    ASSERT_TRUE(error);
    EXPECT_EQ(error->code(), ErrorCode::unsupported_version);
    EXPECT_EQ(error->req(), 41u);
}

TEST(Codec, BadFieldMessageNamesFieldAndExpectation) {
    auto body = Body(5)
                    .add("v", protocol_version)
                    .add("op", "emit")
                    .add("name", "a")
                    .add("payload_json", "{}")
                    .add("timeout_ms", "5")
                    .str();
    auto error = decode_error(decode_emit_request, body);
    ASSERT_TRUE(error);
    EXPECT_STREQ(error->what(),
                 "field \"timeout_ms\" must be a positive integer, got str");
}

TEST(Codec, MissingFieldMessageNamesIt) {
    auto body = Body(3).add("v", protocol_version).add("op", "emit").add("req", 4).str();
    auto error = decode_error(decode_emit_request, body);
    ASSERT_TRUE(error);
    EXPECT_EQ(error->code(), ErrorCode::bad_field);
    EXPECT_STREQ(error->what(), "field \"name\" is missing, expected a str");
}

TEST(Codec, NestedFieldErrorsNameThePath) {
    auto body = Body(6)
                    .add("v", protocol_version)
                    .add("op", "result")
                    .add("req", 2)
                    .add("id", "")
                    .add("outcome", "replied")
                    .raw("replies",
                         [](auto& p) {
                             p.pack_array(1);
                             p.pack_map(1);
                             p.pack(std::string("hook"));
                             p.pack(3);
                         })
                    .str();
    auto error = decode_error(decode_emit_response, body);
    ASSERT_TRUE(error);
    EXPECT_NE(std::string(error->what()).find("\"replies[0].hook\""), std::string::npos);
    EXPECT_EQ(error->req(), 2u);
}

TEST(Codec, ErrorMessagesStayPrintableAscii) {
    Emit emit{1, std::string("bad\xff\x01name", 9), "{}", false, std::nullopt};
    auto error = decode_error(decode_emit_request, encode(emit));
    ASSERT_TRUE(error);
    for (unsigned char c : std::string(error->what())) EXPECT_TRUE(c >= 0x20 && c < 0x7f);
}

TEST(Codec, RefusesDeepNesting) {
    std::string body = "\x81\xa1x" + std::string(100000, '\x91') + "\xc0";
    auto error = decode_error(decode_emit_request, body);
    ASSERT_TRUE(error);
    EXPECT_EQ(error->code(), ErrorCode::bad_message);
}

TEST(Codec, RefusesAHugeClaimedArrayWithoutAllocatingIt) {
    auto error =
        decode_error(decode_emit_request, std::string("\xdd\xff\xff\xff\xff", 5));
    ASSERT_TRUE(error);
    EXPECT_EQ(error->code(), ErrorCode::bad_message);
}

TEST(Codec, RefusesInvalidUtf8HookName) {
    Hello hello{"h1", "bad\xc3", {"capture"}};
    auto error = decode_error(decode_hook_request, encode(hello));
    ASSERT_TRUE(error);
    EXPECT_EQ(error->code(), ErrorCode::bad_field);
}

TEST(Codec, EncoderRefusesStatsThatAreNotAnObject) {
    EXPECT_THROW(encode(StatsOk{1, json::array()}), std::invalid_argument);
    EXPECT_EQ(std::get<StatsOk>(decode_emit_response(encode(StatsOk{}))).stats,
              json::object());
}

// ---- tolerance ----------------------------------------------------------------------

TEST(Codec, AcceptsKeysInAnyOrder) {
    auto body = Body(4)
                    .add("payload_json", "{}")
                    .add("name", "capture")
                    .add("op", "emit")
                    .add("v", protocol_version)
                    .str();
    auto emit = std::get<Emit>(decode_emit_request(body));
    EXPECT_EQ(emit.name, "capture");
    EXPECT_FALSE(emit.wait);
}

TEST(Codec, AcceptsWideIntegers) {
    auto body = Body(6)
                    .raw("v", [](auto& p) { p.pack_fix_uint64(protocol_version); })
                    .add("op", "emit")
                    .raw("req", [](auto& p) { p.pack_fix_int8(5); })
                    .add("name", "a")
                    .add("payload_json", "{}")
                    .raw("timeout_ms", [](auto& p) { p.pack_fix_uint64(30); })
                    .str();
    auto emit = std::get<Emit>(decode_emit_request(body));
    EXPECT_EQ(emit.req, 5u);
    EXPECT_EQ(emit.timeout_ms, 30u);
}

TEST(Codec, AcceptsLongStrHeaders) {
    // {"v": 2, "op": "stats", "req": 1} with "stats" behind a str32 header.
    auto body = std::string("\x83\xa1v\x02\xa2op\xdb\0\0\0\x05stats\xa3req\x01", 22);
    EXPECT_EQ(std::get<StatsRequest>(decode_emit_request(body)).req, 1u);
}

TEST(Codec, IgnoresUnknownKeys) {
    auto body = Body(4)
                    .add("v", protocol_version)
                    .add("op", "bye")
                    .add("instance", "h1")
                    .add("future", std::vector<int>{1, 2})
                    .str();
    EXPECT_EQ(std::get<Bye>(decode_hook_request(body)).instance, "h1");
}

TEST(Codec, FindsARepeatedKeyAmongManyQuickly) {
    Body body(200004);
    body.add("v", protocol_version).add("op", "bye").add("instance", "h1");
    for (int i = 0; i < 200000; ++i) body.add("k" + std::to_string(i), 0);
    body.add("k0", 1);
    auto error = decode_error(decode_hook_request, body.str());
    ASSERT_TRUE(error);
    EXPECT_EQ(error->code(), ErrorCode::bad_message);
}

TEST(Codec, FindsARepeatedKeyInASmallMap) {
    Body body(4);
    body.add("v", protocol_version).add("op", "bye").add("instance", "h1").add("op", "x");
    auto error = decode_error(decode_hook_request, body.str());
    ASSERT_TRUE(error);
    EXPECT_EQ(error->code(), ErrorCode::bad_message);
}

TEST(Codec, ReplyJsonAcceptsEveryJsonObject) {
    for (const char* text :
         {"{}", " { } ", R"({"abort":"","score":1})", R"({"a":-0,"b":true,"c":null})",
          R"({"a":{"b":[1,2.5e3]}})", R"({"a":"\u00e9\n"})", "{\"\xc3\xa9\":1}",
          R"({"big":123456789012345678901234})"}) {
        Reply reply{event_id, "h", "", text};
        EXPECT_EQ(round_trip(reply, decode_hook_request).reply_json, text) << text;
    }
}

TEST(Codec, ReplyJsonRefusesAnythingElse) {
    for (const char* text : {"", "[]", "1", R"({"a":01})", R"({"a":1e999})", R"({"a":})",
                             R"({"a":1,})", R"({"a":1} x)", "{\"a\":\"\x01\"}"}) {
        auto body = encode(Reply{event_id, "h", "", text});
        auto error = decode_error(decode_hook_request, body);
        ASSERT_TRUE(error) << text;
        EXPECT_EQ(error->code(), ErrorCode::bad_field) << text;
    }
}

TEST(Codec, EncodingIntoAReusedStringMatchesEncode) {
    std::string out = "left over from an earlier message";
    Ack ack{7, event_id, 3, Timestamp{1, 2}};
    encode(ack, out);
    EXPECT_EQ(out, encode(ack));
}

TEST(Codec, TreatsNilOptionalFieldsAsAbsent) {
    auto nil = [](auto& p) { p.pack_nil(); };
    auto body = Body(7)
                    .add("v", protocol_version)
                    .add("op", "emit")
                    .add("name", "a")
                    .add("payload_json", "{}")
                    .raw("req", nil)
                    .raw("timeout_ms", nil)
                    .raw("expect", nil)
                    .str();
    auto emit = std::get<Emit>(decode_emit_request(body));
    EXPECT_EQ(emit.req, 0u);
    EXPECT_FALSE(emit.timeout_ms.has_value());
    EXPECT_FALSE(emit.expect.has_value());
}

// ---- names, ids, enums --------------------------------------------------------------

TEST(Codec, EventNameAcceptsItsGrammar) {
    EXPECT_TRUE(valid_event_name("capture"));
    EXPECT_TRUE(valid_event_name("_9:git/pre-commit.v1"));
    EXPECT_TRUE(valid_event_name(std::string(128, 'a')));
}

TEST(Codec, EventNameRefusesEverythingElse) {
    std::vector<std::string> names = {"",
                                      "capture done",
                                      "$x",
                                      "-x",
                                      ".x",
                                      "caf\xc3\xa9",
                                      std::string("a\0b", 3),
                                      std::string(129, 'a')};
    for (const auto& name : names) EXPECT_FALSE(valid_event_name(name)) << name;
}

TEST(Codec, InstanceAcceptsOneTo64Characters) {
    EXPECT_TRUE(valid_instance("h"));
    EXPECT_TRUE(valid_instance(make_uuid4()));
    EXPECT_TRUE(valid_instance(std::string(64, '_')));
}

TEST(Codec, InstanceRefusesEverythingElse) {
    EXPECT_FALSE(valid_instance(""));
    EXPECT_FALSE(valid_instance(std::string(65, 'a')));
    EXPECT_FALSE(valid_instance("h.1"));
}

/// True for the 8-4-4-4-12 lower-case hex form with version 4 and variant 10xx.
bool uuid4_form(const std::string& text) {
    if (text.size() != 36 || text[14] != '4') return false;
    if (std::string_view("89ab").find(text[19]) == std::string_view::npos) return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        bool hex =
            (text[i] >= '0' && text[i] <= '9') || (text[i] >= 'a' && text[i] <= 'f');
        if (dash ? text[i] != '-' : !hex) return false;
    }
    return true;
}

TEST(Codec, Uuid4HasVersionAndVariant) {
    for (int i = 0; i < 1000; ++i) ASSERT_TRUE(uuid4_form(make_uuid4()));
    EXPECT_FALSE(uuid4_form("3f2b8c1e-9a4d-3e7f-8b6a-1c2d3e4f5a6b"));
}

TEST(Codec, Uuid4IsUniqueAcross10k) {
    std::set<std::string> seen;
    for (int i = 0; i < 10000; ++i) seen.insert(make_uuid4());
    EXPECT_EQ(seen.size(), 10000u);
}

TEST(Codec, Uuid4DiffersAcrossThreads) {
    std::string first;
    std::string second;
    std::thread([&] { first = make_uuid4(); }).join();
    std::thread([&] { second = make_uuid4(); }).join();
    EXPECT_NE(first, second);
}

TEST(Codec, ErrorCodesRoundTripThroughText) {
    for (int i = 0; i <= static_cast<int>(ErrorCode::unknown); ++i) {
        auto code = static_cast<ErrorCode>(i);
        EXPECT_EQ(error_code_from(to_string(code)), code) << to_string(code);
    }
    EXPECT_EQ(error_code_from("rate_limited"), ErrorCode::unknown);
}

TEST(Codec, EnumsHaveTheirWireText) {
    EXPECT_EQ(to_string(Expect::all), "all");
    EXPECT_EQ(to_string(WaitOutcome::timed_out), "timed_out");
    EXPECT_EQ(to_string(WaitOutcome::no_hook), "no_hook");
}

TEST(Codec, WallNowIsTheSystemClock) {
    auto now = wall_now();
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::system_clock::now().time_since_epoch());
    EXPECT_LE(std::abs(now.seconds - seconds.count()), 1);
    EXPECT_LT(now.nanos, 1000000000u);
}

}  // namespace
