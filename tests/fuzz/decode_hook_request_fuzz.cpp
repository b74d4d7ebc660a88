// libFuzzer target for decode_hook_request(): see fuzz_codec.hpp for what is checked.
#include "fuzz_codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    hookbus::fuzz::check_round_trip(data, size, [](std::string_view input) {
        return hookbus::decode_hook_request(input);
    });
    return 0;
}
