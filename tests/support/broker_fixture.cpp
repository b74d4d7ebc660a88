// In-process brokers for tests. See broker_fixture.hpp.
#include "support/broker_fixture.hpp"

#include <algorithm>

namespace hookbus::testing {

BrokerConfig test_broker_config(const TempDir& dir) {
    BrokerConfig config;
    config.endpoints = endpoints_in(dir.file("bus"));
    config.default_timeout = std::chrono::milliseconds(2000);
    config.max_timeout = std::chrono::milliseconds(30000);
    config.heartbeat_interval = std::chrono::milliseconds(200);
    config.heartbeat_timeout = std::chrono::milliseconds(1000);
    config.linger = std::chrono::milliseconds(200);
    return config;
}

BrokerConfig tcp_broker_config() {
    BrokerConfig config;
    config.endpoints = {"tcp://127.0.0.1:*", "tcp://127.0.0.1:*", "tcp://127.0.0.1:*"};
    config.default_timeout = std::chrono::milliseconds(2000);
    config.linger = std::chrono::milliseconds(200);
    return config;
}

RunningBroker::RunningBroker(BrokerConfig config) {
    config.log = [this](LogLevel level, std::string_view id, std::string_view message) {
        std::lock_guard<std::mutex> lock(mutex_);
        logs_.push_back({level, std::string(id), std::string(message)});
    };
    broker_ = std::make_unique<Broker>(std::move(config));
    thread_ = std::thread([this] { broker_->run(); });
}

RunningBroker::~RunningBroker() { stop(); }

void RunningBroker::stop() {
    broker_->stop();
    if (thread_.joinable()) thread_.join();
}

std::vector<LogRecord> RunningBroker::logs() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return logs_;
}

bool RunningBroker::logged(const std::string& id) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::any_of(logs_.begin(), logs_.end(),
                       [&](const LogRecord& record) { return record.id == id; });
}

}  // namespace hookbus::testing
