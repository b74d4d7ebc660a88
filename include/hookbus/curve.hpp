// CURVE keys: what a broker and its clients need to authenticate each other and
// encrypt tcp traffic with libzmq's built-in CURVE. Keys travel as Z85 text in small
// key files written by `hookbus keygen` (docs/protocol.md section 12, "Security").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hookbus {

/// A CURVE key pair, each key in Z85 text (40 characters).
struct KeyPair {
    std::string public_key;
    std::string secret_key;
};

/// What a client needs to speak CURVE to a broker: the broker's public key and the
/// client's own key pair (whose public key the broker must admit).
struct Curve {
    std::string server_key;
    KeyPair client;
};

/// Environment variables naming the key files of the CLI, Python and Node clients.
inline constexpr const char* server_key_env = "HOOKBUS_SERVER_KEY";
inline constexpr const char* client_key_env = "HOOKBUS_CLIENT_KEY";

/// True when libzmq was built with CURVE.
bool curve_available();

/// True when `key` is 40 characters of Z85 that decode to 32 bytes.
bool valid_z85_key(std::string_view key);

/// A fresh key pair. Throws std::runtime_error when libzmq lacks CURVE.
KeyPair generate_key_pair();

/// Reads `public-key` and `secret-key` from a key file (NAME.key). Throws
/// std::runtime_error naming the file when it is missing, unreadable, readable by
/// group or others, malformed, or its two keys do not belong together.
KeyPair load_key_pair(const std::string& path);

/// Reads `public-key` from a public key file (NAME.pub) or a key file (NAME.key).
/// Throws std::runtime_error naming the file.
std::string load_public_key(const std::string& path);

/// The public keys of every `*.pub` file in `dir`, sorted by file name. Throws
/// std::runtime_error when the directory cannot be read, can be written by group or
/// others, or holds a malformed `.pub` file.
std::vector<std::string> load_public_keys_in(const std::string& dir);

/// load_public_key(server_key_file) and load_key_pair(client_key_file).
Curve load_curve(const std::string& server_key_file, const std::string& client_key_file);

/// The Curve named by $HOOKBUS_SERVER_KEY and $HOOKBUS_CLIENT_KEY (each a file path);
/// nullopt when neither is set. Throws std::runtime_error when only one is set or a
/// file does not load.
std::optional<Curve> curve_from_env();

/// Paths written by write_key_pair().
struct KeyFiles {
    std::string key_path;  ///< DIR/NAME.key, mode 0600: both keys
    std::string pub_path;  ///< DIR/NAME.pub, mode 0644: the public key only
};

/// Writes `keys` as DIR/NAME.key and DIR/NAME.pub. Refuses (std::runtime_error) to
/// overwrite either file, and a NAME that is not 1 to 64 of [A-Za-z0-9_.-].
KeyFiles write_key_pair(const KeyPair& keys, const std::string& dir,
                        const std::string& name);

}  // namespace hookbus
