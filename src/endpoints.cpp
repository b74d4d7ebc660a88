// Default endpoint resolution and the private runtime directory, shared by the broker,
// the CLI and the client libraries (docs/protocol.md section 1).
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <hookbus/endpoints.hpp>
#include <stdexcept>

namespace hookbus {

namespace {

std::string env_or_empty(const char* name) {
    const char* value = std::getenv(name);
    return value == nullptr ? std::string() : std::string(value);
}

[[noreturn]] void refuse(const std::string& dir, const std::string& why) {
    throw std::runtime_error("runtime directory " + dir + " " + why);
}

void check_existing(const std::string& dir, const struct stat& st) {
    if (!S_ISDIR(st.st_mode)) {
        refuse(dir,
               "exists but is not a directory; remove it or choose another with "
               "--dir or HOOKBUS_DIR");
    }
    if (st.st_uid != ::geteuid()) {
        refuse(dir, "is owned by uid " + std::to_string(st.st_uid) +
                        ", not by you; choose your own with --dir or HOOKBUS_DIR");
    }
    if ((st.st_mode & S_IWOTH) != 0) {
        refuse(dir,
               "is shared with every user (like /tmp); put the endpoints in a "
               "private subdirectory, e.g. --dir " +
                   dir + "/hookbus-" + std::to_string(::getuid()));
    }
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        refuse(dir, "is open to other users; run `chmod 700 " + dir +
                        "` or choose another with --dir or HOOKBUS_DIR");
    }
}

}  // namespace

std::string default_runtime_dir() {
    if (std::string dir = env_or_empty("HOOKBUS_DIR"); !dir.empty()) return dir;
    if (std::string xdg = env_or_empty("XDG_RUNTIME_DIR"); !xdg.empty()) {
        return xdg + "/hookbus";
    }
    return "/tmp/hookbus-" + std::to_string(::getuid());
}

Endpoints endpoints_in(const std::string& dir) {
    return {"ipc://" + dir + "/events", "ipc://" + dir + "/replies",
            "ipc://" + dir + "/emit"};
}

Endpoints default_endpoints() { return endpoints_in(default_runtime_dir()); }

void ensure_private_dir(const std::string& dir) {
    struct stat st {};
    if (::lstat(dir.c_str(), &st) == 0) {
        check_existing(dir, st);
        return;
    }
    if (errno != ENOENT) {
        refuse(dir, std::string("cannot be examined: ") + std::strerror(errno));
    }
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
        refuse(dir, std::string("cannot be created: ") + std::strerror(errno) +
                        "; create its parent or choose another with --dir");
    }
    // A strict umask may have taken the owner's own bits; the broker needs them.
    ::chmod(dir.c_str(), 0700);
    if (::lstat(dir.c_str(), &st) != 0) {
        refuse(dir, std::string("vanished: ") + std::strerror(errno));
    }
    check_existing(dir, st);
}

}  // namespace hookbus
