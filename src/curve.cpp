// CURVE key generation and the key file format. A key file is text: blank lines and
// lines starting with '#' are ignored, every other line is `name = "value"`. NAME.key
// holds `public-key` and `secret-key`, NAME.pub only `public-key`.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <hookbus/curve.hpp>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace hookbus {

namespace {

constexpr std::size_t z85_key_length = 40;
constexpr std::size_t max_key_file = 4096;

[[noreturn]] void refuse(const std::string& path, const std::string& why) {
    throw std::runtime_error("key file " + path + " " + why);
}

std::string trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) return {};
    const auto last = text.find_last_not_of(" \t\r");
    return std::string(text.substr(first, last - first + 1));
}

std::string read_small_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) refuse(path, std::string("cannot be read: ") + std::strerror(errno));
    std::string text(max_key_file + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > max_key_file) refuse(path, "is too large to be a key file");
    return text;
}

// Parses `name = "value"` lines; Z85 has no '"', so the quotes delimit the value.
std::map<std::string, std::string> parse_fields(const std::string& path,
                                                const std::string& text) {
    std::map<std::string, std::string> fields;
    std::istringstream lines(text);
    int number = 0;
    for (std::string line; std::getline(lines, line);) {
        ++number;
        const std::string content = trim(line);
        if (content.empty() || content.front() == '#') continue;
        const auto equals = content.find('=');
        std::string value =
            equals == std::string::npos ? "" : trim(content.substr(equals + 1));
        const bool quoted =
            value.size() >= 2 && value.front() == '"' && value.back() == '"';
        if (equals == std::string::npos || !quoted) {
            refuse(path, "line " + std::to_string(number) +
                             ": expected name = \"value\" (see hookbus keygen)");
        }
        fields[trim(content.substr(0, equals))] = value.substr(1, value.size() - 2);
    }
    return fields;
}

std::string key_field(const std::string& path,
                      const std::map<std::string, std::string>& fields,
                      const std::string& name) {
    const auto it = fields.find(name);
    if (it == fields.end()) refuse(path, "has no " + name + " line");
    if (!valid_z85_key(it->second)) {
        refuse(path, "has a " + name + " that is not a 40-character Z85 CURVE key");
    }
    return it->second;
}

void check_private_mode(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        refuse(path, std::string("cannot be examined: ") + std::strerror(errno));
    }
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        refuse(path, "holds a secret key but is open to other users; run `chmod 600 " +
                         path + "`");
    }
}

bool valid_key_name(const std::string& name) {
    if (name.empty() || name.size() > 64 || name.front() == '.' || name.front() == '-')
        return false;
    return std::all_of(name.begin(), name.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '.' || c == '-';
    });
}

// Creates `path` with `mode`, failing if it exists, and writes `text` to it.
void write_new_file(const std::string& path, const std::string& text, mode_t mode) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        refuse(path, std::string("cannot be created: ") + std::strerror(errno) +
                         (errno == EEXIST ? "; remove it or choose another name" : ""));
    }
    // The umask may have narrowed the mode; the public file is meant to be shared.
    const bool written =
        ::fchmod(fd, mode) == 0 &&
        ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    const int error = errno;
    ::close(fd);
    if (!written) refuse(path, std::string("cannot be written: ") + std::strerror(error));
}

std::string env_or_empty(const char* name) {
    const char* value = std::getenv(name);
    return value == nullptr ? std::string() : std::string(value);
}

}  // namespace

bool curve_available() { return zmq_has("curve") != 0; }

bool valid_z85_key(std::string_view key) {
    if (key.size() != z85_key_length) return false;
    const std::string text(key);
    std::uint8_t bytes[32];
    return zmq_z85_decode(bytes, text.c_str()) != nullptr;
}

KeyPair generate_key_pair() {
    char public_key[z85_key_length + 1];
    char secret_key[z85_key_length + 1];
    if (zmq_curve_keypair(public_key, secret_key) != 0) {
        throw std::runtime_error(
            "cannot make a CURVE key pair: libzmq was built without CURVE (libsodium)");
    }
    return {public_key, secret_key};
}

KeyPair load_key_pair(const std::string& path) {
    const auto fields = parse_fields(path, read_small_file(path));
    check_private_mode(path);
    KeyPair keys{key_field(path, fields, "public-key"),
                 key_field(path, fields, "secret-key")};
    char derived[z85_key_length + 1];
    if (zmq_curve_public(derived, keys.secret_key.c_str()) != 0 ||
        keys.public_key != derived) {
        refuse(path, "has a public-key that does not belong to its secret-key");
    }
    return keys;
}

std::string load_public_key(const std::string& path) {
    return key_field(path, parse_fields(path, read_small_file(path)), "public-key");
}

std::vector<std::string> load_public_keys_in(const std::string& dir) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        throw std::runtime_error("allowed keys directory " + dir +
                                 " is not a readable directory");
    }
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        throw std::runtime_error("allowed keys directory " + dir +
                                 " can be written by other users, who could admit "
                                 "themselves; run `chmod go-w " +
                                 dir + "`");
    }
    std::unique_ptr<DIR, int (*)(DIR*)> handle(::opendir(dir.c_str()), ::closedir);
    if (!handle) {
        throw std::runtime_error("allowed keys directory " + dir +
                                 " cannot be read: " + std::strerror(errno));
    }
    std::vector<std::string> names;
    while (const dirent* entry = ::readdir(handle.get())) {
        const std::string name = entry->d_name;
        if (name.size() > 4 && name.compare(name.size() - 4, 4, ".pub") == 0)
            names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    std::vector<std::string> keys;
    for (const auto& name : names) keys.push_back(load_public_key(dir + "/" + name));
    return keys;
}

Curve load_curve(const std::string& server_key_file, const std::string& client_key_file) {
    return {load_public_key(server_key_file), load_key_pair(client_key_file)};
}

std::optional<Curve> curve_from_env() {
    const std::string server = env_or_empty(server_key_env);
    const std::string client = env_or_empty(client_key_env);
    if (server.empty() && client.empty()) return std::nullopt;
    if (server.empty() || client.empty()) {
        throw std::runtime_error(
            std::string(server.empty() ? client_key_env : server_key_env) +
            " is set but " + (server.empty() ? server_key_env : client_key_env) +
            " is not; CURVE needs the broker's public key file and the client's key "
            "file");
    }
    return load_curve(server, client);
}

KeyFiles write_key_pair(const KeyPair& keys, const std::string& dir,
                        const std::string& name) {
    if (!valid_key_name(name)) {
        throw std::runtime_error("invalid key name '" + name +
                                 "': use 1 to 64 characters of [A-Za-z0-9_.-], not "
                                 "starting with '.' or '-'");
    }
    const std::string base = (dir.empty() ? std::string(".") : dir) + "/" + name;
    KeyFiles files{base + ".key", base + ".pub"};
    const std::string public_line = "public-key = \"" + keys.public_key + "\"\n";
    write_new_file(files.key_path,
                   "# hookbus CURVE key pair '" + name + "'. Keep this file secret.\n" +
                       public_line + "secret-key = \"" + keys.secret_key + "\"\n",
                   0600);
    try {
        write_new_file(files.pub_path,
                       "# hookbus CURVE public key '" + name + "'\n" + public_line, 0644);
    } catch (...) {
        ::unlink(files.key_path.c_str());
        throw;
    }
    return files;
}

}  // namespace hookbus
