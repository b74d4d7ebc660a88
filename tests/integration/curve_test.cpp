// CURVE and the allowed-key list over real tcp sockets on 127.0.0.1: an admitted
// client emits and waits through an admitted hook; a client with an unknown key, or
// with no CURVE at all, receives nothing and can emit nothing. Then the daemon's rule
// (tcp needs keys or --insecure) and `hookbus keygen`, with the real binaries.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <csignal>
#include <hookbus/curve.hpp>
#include <hookbus/emitter.hpp>
#include <hookbus/hook.hpp>

#include "support/broker_fixture.hpp"
#include "support/daemon.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait_until.hpp"

namespace hookbus {
namespace {

using namespace hookbus::testing;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

// How long a refused client is given to show that nothing reaches it.
constexpr milliseconds refused_wait{1500};

class CurveTest : public ::testing::Test {
  protected:
    CurveTest() {
        auto config = tcp_broker_config();
        config.curve = server_;
        config.allowed_client_keys = std::vector<std::string>{admitted_.public_key};
        broker_ = std::make_unique<RunningBroker>(std::move(config));
    }

    Curve curve_of(const KeyPair& client) const {
        return Curve{server_.public_key, client};
    }

    EmitterOptions emitter_options(std::optional<Curve> curve) const {
        EmitterOptions options;
        options.endpoint = broker_->endpoints().emit;
        options.request_timeout = refused_wait;
        options.curve = std::move(curve);
        return options;
    }

    SubscriberOptions subscriber_options(std::optional<Curve> curve) const {
        SubscriberOptions options;
        options.endpoint = broker_->endpoints().events;
        options.curve = std::move(curve);
        return options;
    }

    // The broker's counters, read by an admitted client.
    nlohmann::json stats() const {
        Emitter emitter(emitter_options(curve_of(admitted_)));
        return emitter.stats().value_or(nlohmann::json());
    }

    std::uint64_t auth_denied() const {
        const auto counters = stats();
        return counters.is_object() ? counters["auth_denied"].get<std::uint64_t>() : 0;
    }

    KeyPair server_ = generate_key_pair();
    KeyPair admitted_ = generate_key_pair();
    KeyPair stranger_ = generate_key_pair();
    std::unique_ptr<RunningBroker> broker_;
};

TEST_F(CurveTest, AdmittedClientIsAnsweredByAnAdmittedHook) {
    HookOptions hook_options;
    hook_options.name = "guard";
    hook_options.events = {"capture"};
    hook_options.endpoints = broker_->endpoints();
    hook_options.curve = curve_of(admitted_);
    Hook hook(hook_options);
    ASSERT_TRUE(hook.wait_ready(5s));

    Emitter emitter(emitter_options(curve_of(admitted_)));
    emitter.start("capture", R"({"path":"a"})", 5s);
    const auto event = hook.next(5s);
    ASSERT_TRUE(event.has_value());
    EXPECT_TRUE(hook.reply(*event, R"({"abort":"no"})"));
    const auto done = emitter.next(5s);
    ASSERT_TRUE(done.has_value());
    EXPECT_EQ(done->outcome.status, Status::replied);
    EXPECT_EQ(done->outcome.abort(), "no");
}

TEST_F(CurveTest, UnknownKeyCannotEmit) {
    Emitter stranger(emitter_options(curve_of(stranger_)));
    EXPECT_EQ(stranger.emit("capture", "{}").status, Status::unreachable);
    EXPECT_TRUE(wait_until([&] { return auth_denied() >= 1; }));
    EXPECT_EQ(stats()["events_emitted"], 0);
}

TEST_F(CurveTest, UnknownKeyReceivesNoWelcomeAndNoEvent) {
    Subscriber stranger(subscriber_options(curve_of(stranger_)));
    ASSERT_TRUE(wait_until([&] { return auth_denied() >= 1; }));
    Emitter emitter(emitter_options(curve_of(admitted_)));
    ASSERT_EQ(emitter.emit("capture", "{}").status, Status::ok);

    EXPECT_FALSE(stranger.next(refused_wait).has_value());
    EXPECT_EQ(stranger.run(), 0u);  // not even the welcome
}

TEST_F(CurveTest, DeniedHandshakeIsLoggedWithThePeerAddress) {
    Emitter stranger(emitter_options(curve_of(stranger_)));
    stranger.emit("capture", "{}");
    ASSERT_TRUE(wait_until([&] { return broker_->logged("HB-AUTH-DENIED"); }));
    const auto logs = broker_->logs();
    const auto first = std::find_if(logs.begin(), logs.end(), [](const LogRecord& r) {
        return r.id == "HB-AUTH-DENIED";
    });
    EXPECT_EQ(first->level, LogLevel::warning);
    EXPECT_NE(first->message.find("addr=127.0.0.1"), std::string::npos) << first->message;
    EXPECT_NE(first->message.find(stranger_.public_key), std::string::npos);
}

TEST_F(CurveTest, ClientWithoutCurveCannotEmit) {
    Emitter plain(emitter_options(std::nullopt));
    EXPECT_EQ(plain.emit("capture", "{}").status, Status::unreachable);
    EXPECT_EQ(stats()["events_emitted"], 0);
}

TEST_F(CurveTest, ClientWithoutCurveReceivesNothing) {
    Subscriber plain(subscriber_options(std::nullopt));
    Emitter emitter(emitter_options(curve_of(admitted_)));
    ASSERT_EQ(emitter.emit("capture", "{}").status, Status::ok);

    EXPECT_FALSE(plain.next(refused_wait).has_value());
    EXPECT_EQ(plain.run(), 0u);
}

TEST_F(CurveTest, AdmittedKeyWithAWrongServerKeyIsUnreachable) {
    Curve wrong = curve_of(admitted_);
    wrong.server_key = generate_key_pair().public_key;
    Emitter emitter(emitter_options(wrong));
    EXPECT_EQ(emitter.emit("capture", "{}").status, Status::unreachable);
}

TEST(CurveConfig, PlainTcpIsRefusedWhenNotAllowed) {
    auto config = tcp_broker_config();
    config.allow_plain_tcp = false;
    try {
        Broker broker(std::move(config));
        FAIL() << "a broker bound plain tcp";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("--insecure"), std::string::npos);
    }
}

TEST(CurveConfig, EmbeddedPlainTcpLogsAWarning) {
    RunningBroker broker(tcp_broker_config());
    EXPECT_TRUE(wait_until([&] { return broker.logged("HB-INSECURE"); }));
}

TEST(CurveConfig, AllowedKeysWithoutABrokerKeyPairAreRefused) {
    auto config = tcp_broker_config();
    config.allowed_client_keys = std::vector<std::string>{};
    EXPECT_THROW(Broker broker(std::move(config)), std::runtime_error);
}

// ---- the real binaries ----------------------------------------------------------------

constexpr milliseconds exit_wait{10000};
const std::string any_port = "tcp://127.0.0.1:*";

/// A finished child: its exit code and what it wrote.
struct Finished {
    std::optional<int> code;
    std::string out;
    std::string err;
};

class CurveBinaries : public ::testing::Test {
  protected:
    Finished run(std::vector<std::string> argv, const std::string& tag) {
        ChildProcess child(argv, dir_.file(tag + ".out"), dir_.file(tag + ".err"));
        Finished result;
        result.code = child.wait_exit(exit_wait);
        result.out = read_text_file(dir_.file(tag + ".out"));
        result.err = read_text_file(dir_.file(tag + ".err"));
        return result;
    }

    Finished keygen(const std::string& name, const std::string& dir) {
        return run({HOOKBUS_CLI_PATH, "keygen", name, "--dir", dir}, "keygen-" + name);
    }

    // hookbusd on tcp, with `extra` flags; its stderr in DIR/TAG.err.
    std::unique_ptr<ChildProcess> hookbusd(std::vector<std::string> extra,
                                           const std::string& tag) {
        std::vector<std::string> argv{HOOKBUSD_PATH, "--events",    any_port,
                                      "--replies",   any_port,      "--emit",
                                      any_port,      "--log-level", "info"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        return std::make_unique<ChildProcess>(argv, dir_.file(tag + ".out"),
                                              dir_.file(tag + ".err"));
    }

    std::optional<Endpoints> started(const std::string& tag) {
        std::optional<Endpoints> found;
        wait_until([&] {
            found = started_endpoints(read_text_file(dir_.file(tag + ".err")));
            return found.has_value();
        });
        return found;
    }

    // `hookbus stats` against `emit`, with `keys` (e.g. --server-key F --client-key F).
    Finished cli_stats(const std::string& emit, std::vector<std::string> keys,
                       const std::string& tag) {
        std::vector<std::string> argv{HOOKBUS_CLI_PATH, "--emit", emit};
        argv.insert(argv.end(), keys.begin(), keys.end());
        argv.push_back("stats");
        return run(argv, tag);
    }

    std::string keys_dir() { return dir_.path(); }

    TempDir dir_;
};

TEST_F(CurveBinaries, KeygenWritesASecretAndAPublicFileThatLoad) {
    const auto result = keygen("alice", keys_dir());
    ASSERT_EQ(result.code, 0) << result.err;

    struct stat secret {
    }, shared{};
    ASSERT_EQ(::stat(dir_.file("alice.key").c_str(), &secret), 0);
    ASSERT_EQ(::stat(dir_.file("alice.pub").c_str(), &shared), 0);
    EXPECT_EQ(secret.st_mode & 0777, 0600u);
    EXPECT_EQ(shared.st_mode & 0777, 0644u);
    const auto keys = load_key_pair(dir_.file("alice.key"));
    EXPECT_EQ(load_public_key(dir_.file("alice.pub")), keys.public_key);
}

TEST_F(CurveBinaries, KeygenRefusesToOverwrite) {
    ASSERT_EQ(keygen("alice", keys_dir()).code, 0);
    const auto again = keygen("alice", keys_dir());
    EXPECT_EQ(again.code, 2);
    EXPECT_NE(again.err.find("alice.key"), std::string::npos) << again.err;
}

TEST_F(CurveBinaries, HookbusdRefusesTcpWithoutKeys) {
    auto daemon = hookbusd({}, "plain");
    const auto code = daemon->wait_exit(exit_wait);
    ASSERT_TRUE(code.has_value());
    EXPECT_NE(*code, 0);
    const auto err = read_text_file(dir_.file("plain.err"));
    EXPECT_NE(err.find("--curve-secret"), std::string::npos) << err;
    EXPECT_NE(err.find("--insecure"), std::string::npos) << err;
}

TEST_F(CurveBinaries, HookbusdStartsWithInsecureAndWarns) {
    auto daemon = hookbusd({"--insecure"}, "insecure");
    const auto endpoints = started("insecure");
    ASSERT_TRUE(endpoints.has_value()) << read_text_file(dir_.file("insecure.err"));
    EXPECT_EQ(cli_stats(endpoints->emit, {}, "stats").code, 0);
    const auto err = read_text_file(dir_.file("insecure.err"));
    EXPECT_NE(err.find("HB-INSECURE"), std::string::npos) << err;
    EXPECT_NE(err.find("unauthenticated and unencrypted"), std::string::npos);
    daemon->signal(SIGTERM);
    EXPECT_EQ(daemon->wait_exit(exit_wait), 0);
}

TEST_F(CurveBinaries, CurveSecretWithoutAllowedKeysIsAUsageError) {
    ASSERT_EQ(keygen("server", keys_dir()).code, 0);
    auto daemon = hookbusd({"--curve-secret", dir_.file("server.key")}, "half");
    EXPECT_EQ(daemon->wait_exit(exit_wait), 2);
    const auto err = read_text_file(dir_.file("half.err"));
    EXPECT_NE(err.find("--allowed-keys"), std::string::npos) << err;
}

TEST_F(CurveBinaries, HookbusdAdmitsListedCliClientsOnly) {
    const std::string allowed = dir_.file("allowed");
    ASSERT_EQ(::mkdir(allowed.c_str(), 0700), 0);
    ASSERT_EQ(keygen("server", keys_dir()).code, 0);
    ASSERT_EQ(keygen("client", allowed).code, 0);
    ASSERT_EQ(keygen("stranger", keys_dir()).code, 0);
    auto daemon = hookbusd(
        {"--curve-secret", dir_.file("server.key"), "--allowed-keys", allowed}, "curve");
    const auto endpoints = started("curve");
    ASSERT_TRUE(endpoints.has_value()) << read_text_file(dir_.file("curve.err"));

    const auto admitted = cli_stats(endpoints->emit,
                                    {"--server-key", dir_.file("server.pub"),
                                     "--client-key", allowed + "/client.key"},
                                    "admitted");
    EXPECT_EQ(admitted.code, 0) << admitted.err;
    const auto stranger = cli_stats(endpoints->emit,
                                    {"--server-key", dir_.file("server.pub"),
                                     "--client-key", dir_.file("stranger.key")},
                                    "stranger");
    EXPECT_EQ(stranger.code, 5) << stranger.err;
    EXPECT_EQ(cli_stats(endpoints->emit, {}, "nokeys").code, 5);
    EXPECT_NE(read_text_file(dir_.file("curve.err")).find("HB-AUTH-DENIED"),
              std::string::npos);
}

TEST_F(CurveBinaries, CliTakesKeyFilesFromTheEnvironment) {
    const std::string allowed = dir_.file("allowed");
    ASSERT_EQ(::mkdir(allowed.c_str(), 0700), 0);
    ASSERT_EQ(keygen("server", keys_dir()).code, 0);
    ASSERT_EQ(keygen("client", allowed).code, 0);
    auto daemon = hookbusd(
        {"--curve-secret", dir_.file("server.key"), "--allowed-keys", allowed}, "curve");
    const auto endpoints = started("curve");
    ASSERT_TRUE(endpoints.has_value()) << read_text_file(dir_.file("curve.err"));

    const auto result =
        run({"/usr/bin/env", "HOOKBUS_SERVER_KEY=" + dir_.file("server.pub"),
             "HOOKBUS_CLIENT_KEY=" + allowed + "/client.key", HOOKBUS_CLI_PATH, "--emit",
             endpoints->emit, "stats"},
            "env");
    EXPECT_EQ(result.code, 0) << result.err;
}

}  // namespace
}  // namespace hookbus
