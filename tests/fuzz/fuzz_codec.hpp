// Shared body of the decoder fuzz targets: any input may be refused, but only with
// DecodeError, and anything a decoder accepts must survive a round trip: encoding it
// gives canonical bytes that decode to a value which encodes to the same bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <hookbus/protocol.hpp>
#include <string>
#include <string_view>
#include <variant>

namespace hookbus::fuzz {

[[noreturn]] inline void invariant_broken(const char* what) {
    std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
    std::abort();
}

/// Runs `decode` on the input; an accepted value must re-encode canonically and
/// decode again to a value with the same encoding. Exceptions other than DecodeError
/// escape, which libFuzzer reports as a crash.
template <class Decode>
void check_round_trip(const std::uint8_t* data, std::size_t size, Decode decode) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    auto encode_any = [](const auto& value) {
        return std::visit([](const auto& v) { return encode(v); }, value);
    };
    std::string first;
    try {
        first = encode_any(decode(input));
    } catch (const DecodeError&) {
        return;
    }
    std::string second;
    try {
        second = encode_any(decode(first));
    } catch (const DecodeError& e) {
        std::fprintf(stderr, "re-encoded value refused: %s\n", e.what());
        invariant_broken("decode(encode(decode(x))) threw");
    }
    if (first != second) invariant_broken("encode(decode(x)) is not a fixed point");
}

}  // namespace hookbus::fuzz
