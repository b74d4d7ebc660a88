// The NATS baseline, driven by the NATS C client against a local nats-server:
// request-reply (one in flight through natsConnection_Request, many in flight
// through PublishRequest on one inbox) and publish to 1..n subscribers.
#include <nats/nats.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "common.hpp"
#include "loops.hpp"
#include "roles.hpp"

namespace bench {

namespace {

constexpr const char* request_subject = "bench.req";

void check(natsStatus status, const char* what) {
    if (status != NATS_OK)
        throw std::runtime_error(std::string(what) + ": " + natsStatus_GetText(status));
}

struct Connection {
    natsConnection* nc = nullptr;
    ~Connection() { natsConnection_Destroy(nc); }
};

// `asap` turns off the client's write buffer: every message is written at once,
// which suits one request in flight; buffering suits throughput.
std::unique_ptr<Connection> connect(const std::string& url, bool asap) {
    natsOptions* opts = nullptr;
    check(natsOptions_Create(&opts), "nats options");
    natsOptions_SetURL(opts, url.c_str());
    natsOptions_SetSendAsap(opts, asap);
    auto conn = std::make_unique<Connection>();
    natsStatus status = natsConnection_Connect(&conn->nc, opts);
    natsOptions_Destroy(opts);
    check(status, "nats connect");
    return conn;
}

struct Subscription {
    natsSubscription* sub = nullptr;
    ~Subscription() { natsSubscription_Destroy(sub); }
};

class NatsRequester : public RequestClient {
  public:
    NatsRequester(natsConnection* nc, std::string payload)
        : nc_(nc), payload_(std::move(payload)) {
        check(natsInbox_Create(&inbox_), "nats inbox");
        check(natsConnection_SubscribeSync(&replies_.sub, nc_, inbox_), "subscribe");
        check(natsConnection_Flush(nc_), "flush");
    }
    ~NatsRequester() override { natsInbox_Destroy(inbox_); }

    bool round_trip() override {
        natsMsg* reply = nullptr;
        auto status = natsConnection_Request(&reply, nc_, request_subject,
                                             payload_.data(), size(), 5000);
        natsMsg_Destroy(reply);
        return status == NATS_OK;
    }
    void start() override {
        check(natsConnection_PublishRequest(nc_, request_subject, inbox_, payload_.data(),
                                            size()),
              "publish request");
    }
    bool finish() override {
        natsMsg* reply = nullptr;
        auto status = natsSubscription_NextMsg(&reply, replies_.sub, 5000);
        natsMsg_Destroy(reply);
        return status == NATS_OK;
    }

  private:
    int size() const { return static_cast<int>(payload_.size()); }

    natsConnection* nc_;
    std::string payload_;
    natsInbox* inbox_ = nullptr;
    Subscription replies_;
};

void publish(natsConnection* nc, const char* subject, const std::string& data) {
    check(natsConnection_Publish(nc, subject, data.data(), static_cast<int>(data.size())),
          "publish");
}

}  // namespace

int role_nats_responder(const RoleOptions& options) {
    auto conn = connect(options.url, options.asap);
    Subscription requests;
    check(natsConnection_SubscribeSync(&requests.sub, conn->nc, request_subject),
          "subscribe");
    check(natsConnection_Flush(conn->nc), "flush");
    report("ready", {});
    const int reply_size = static_cast<int>(reply_json.size());
    for (;;) {
        natsMsg* msg = nullptr;
        if (natsSubscription_NextMsg(&msg, requests.sub, 60000) != NATS_OK) continue;
        natsConnection_Publish(conn->nc, natsMsg_GetReply(msg), reply_json.data(),
                               reply_size);
        natsMsg_Destroy(msg);
    }
}

int role_nats_requester(const RoleOptions& options) {
    {
        auto conn = connect(options.url, options.asap);
        NatsRequester client(conn->nc, make_payload());
        run_request_phases(client, options);
    }
    report("done", {});
    return 0;
}

int role_nats_publisher(const RoleOptions& options) {
    auto conn = connect(options.url, false);
    auto payload = make_payload();
    auto start = Clock::now();
    while (seconds_since(start) < options.warmup_s) publish(conn->nc, "b.warm", payload);
    check(natsConnection_Flush(conn->nc), "flush");

    std::uint64_t sent = 0;
    start = Clock::now();
    while (seconds_since(start) < options.duration_s) {
        stamp_seq(payload, ++sent);
        publish(conn->nc, "b.bench", payload);
    }
    check(natsConnection_FlushTimeout(conn->nc, 10000), "flush");
    double elapsed = seconds_since(start);

    for (int i = 0; i < 40; ++i) {
        publish(conn->nc, "b.end", end_payload(sent));
        natsConnection_FlushTimeout(conn->nc, 1000);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    report("result", {{"phase", "ff"},
                      {"sent", std::to_string(sent)},
                      {"rate", fmt(sent / elapsed, 0)}});
    report("done", {});
    return 0;
}

int role_nats_subscriber(const RoleOptions& options) {
    auto conn = connect(options.url, false);
    Subscription events;
    check(natsConnection_SubscribeSync(&events.sub, conn->nc, "b.>"), "subscribe");
    check(natsConnection_Flush(conn->nc), "flush");
    report("ready", {});

    Tally tally;
    natsMsg* msg = nullptr;
    while (natsSubscription_NextMsg(&msg, events.sub, 10000) == NATS_OK) {
        std::string_view subject = natsMsg_GetSubject(msg);
        std::string_view data(natsMsg_GetData(msg),
                              static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
        if (subject == "b.bench") tally.count(read_seq(data));
        bool end = subject == "b.end";
        if (end) tally.print(read_end_payload(data));
        natsMsg_Destroy(msg);
        if (end) {
            report("done", {});
            return 0;
        }
    }
    tally.print(0);
    return 1;
}

}  // namespace bench
