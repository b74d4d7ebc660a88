// The CURVE key file format: what write_key_pair() writes loads back, and files that
// are open to others, malformed, or mismatched are refused with the file named.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <hookbus/curve.hpp>

#include "support/temp_dir.hpp"

namespace hookbus {
namespace {

using testing::TempDir;

void write_file(const std::string& path, const std::string& text, mode_t mode) {
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
}

std::string message_of_load(const std::string& path) {
    try {
        load_key_pair(path);
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    return "";
}

TEST(KeyFiles, WrittenPairLoadsBack) {
    TempDir dir;
    const auto keys = generate_key_pair();
    const auto files = write_key_pair(keys, dir.path(), "host");
    const auto loaded = load_key_pair(files.key_path);
    EXPECT_EQ(loaded.secret_key, keys.secret_key);
    EXPECT_EQ(load_public_key(files.pub_path), keys.public_key);
}

TEST(KeyFiles, KeyFileOpenToOthersIsRefused) {
    TempDir dir;
    const auto files = write_key_pair(generate_key_pair(), dir.path(), "host");
    ::chmod(files.key_path.c_str(), 0640);
    EXPECT_NE(message_of_load(files.key_path).find("chmod 600"), std::string::npos);
}

TEST(KeyFiles, MismatchedKeysAreRefused) {
    TempDir dir;
    const auto one = generate_key_pair();
    const auto other = generate_key_pair();
    write_file(dir.file("mixed.key"),
               "public-key = \"" + one.public_key + "\"\nsecret-key = \"" +
                   other.secret_key + "\"\n",
               0600);
    EXPECT_NE(message_of_load(dir.file("mixed.key")).find("does not belong"),
              std::string::npos);
}

TEST(KeyFiles, MalformedLineIsRefusedWithItsNumber) {
    TempDir dir;
    write_file(dir.file("bad.pub"), "# comment\n\npublic-key: abc\n", 0644);
    try {
        load_public_key(dir.file("bad.pub"));
        FAIL() << "a malformed key file loaded";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("line 3"), std::string::npos) << e.what();
    }
}

TEST(KeyFiles, DirectoryLoadsEveryPubFileOnly) {
    TempDir dir;
    const auto a = generate_key_pair();
    const auto b = generate_key_pair();
    write_key_pair(a, dir.path(), "a");
    write_key_pair(b, dir.path(), "b");
    EXPECT_EQ(load_public_keys_in(dir.path()),
              (std::vector<std::string>{a.public_key, b.public_key}));
}

TEST(KeyFiles, WritableAllowedKeysDirectoryIsRefused) {
    TempDir dir;
    ::chmod(dir.path().c_str(), 0777);
    EXPECT_THROW(load_public_keys_in(dir.path()), std::runtime_error);
    ::chmod(dir.path().c_str(), 0700);
}

TEST(KeyFiles, OnlyOneEnvironmentVariableIsAnError) {
    ::setenv(server_key_env, "/nonexistent.pub", 1);
    ::unsetenv(client_key_env);
    EXPECT_THROW(curve_from_env(), std::runtime_error);
    ::unsetenv(server_key_env);
    EXPECT_FALSE(curve_from_env().has_value());
}

TEST(KeyFiles, Z85KeyIsChecked) {
    EXPECT_TRUE(valid_z85_key(generate_key_pair().public_key));
    EXPECT_FALSE(valid_z85_key("short"));
    EXPECT_FALSE(valid_z85_key(std::string(40, ' ')));
}

}  // namespace
}  // namespace hookbus
