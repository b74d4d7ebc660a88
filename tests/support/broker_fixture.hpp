// An in-process broker for tests: bound in a private temporary directory (or on
// loopback tcp), served on a thread of its own, its log records captured, and stopped
// and joined when the test ends.
#pragma once

#include <hookbus/broker.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "support/temp_dir.hpp"

namespace hookbus::testing {

/// One record the broker logged.
struct LogRecord {
    LogLevel level;
    std::string id;
    std::string message;
};

/// A config for tests: ipc endpoints in `dir`, short timeouts, fast heartbeats.
BrokerConfig test_broker_config(const TempDir& dir);
/// The same with every endpoint on tcp://127.0.0.1:*.
BrokerConfig tcp_broker_config();

/// A Broker running on its own thread until destruction.
class RunningBroker {
  public:
    explicit RunningBroker(BrokerConfig config);
    ~RunningBroker();
    RunningBroker(const RunningBroker&) = delete;
    RunningBroker& operator=(const RunningBroker&) = delete;

    Broker& broker() { return *broker_; }
    const Endpoints& endpoints() const { return broker_->endpoints(); }
    /// Stops the broker and waits for run() to return; idempotent.
    void stop();
    /// Records logged so far.
    std::vector<LogRecord> logs() const;
    /// True when some record has this id.
    bool logged(const std::string& id) const;

  private:
    mutable std::mutex mutex_;
    std::vector<LogRecord> logs_;
    std::unique_ptr<Broker> broker_;
    std::thread thread_;
};

}  // namespace hookbus::testing
