// Fire-and-forget over the hookbus wire protocol: a publisher that keeps a window of
// unacknowledged emits open, and subscribers that count what reaches them and infer
// loss from the per-name sequence numbers. Used against the relay and hookbusd.
#include <thread>
#include <zmq.hpp>

#include "common.hpp"
#include "roles.hpp"
#include "wire.hpp"

namespace bench {

namespace {

constexpr int idle_limit_ms = 10000;

std::string encoded_emit(std::string_view name, std::string_view payload) {
    wire::Writer w;
    wire::emit(w, 0, name, payload, false, 0);
    return std::string(w.data(), w.size());
}

class WindowedPublisher {
  public:
    WindowedPublisher(zmq::context_t& ctx, const std::string& endpoint, int window)
        : socket_(ctx, zmq::socket_type::dealer), window_(window) {
        socket_.connect(endpoint);
    }

    // Emits `body` as fast as the window allows for `seconds`; returns the count.
    std::uint64_t pump(const zmq::message_t& body, double seconds) {
        std::uint64_t sent = 0;
        auto start = Clock::now();
        while (seconds_since(start) < seconds) {
            while (unacked_ < window_) {
                send(body);
                ++sent;
            }
            collect(true);
        }
        return sent;
    }
    void send(const zmq::message_t& body) {
        (void)socket_.send(zmq::const_buffer("", 0), zmq::send_flags::sndmore);
        out_.copy(const_cast<zmq::message_t&>(body));
        (void)socket_.send(out_, zmq::send_flags::none);
        ++unacked_;
    }
    void drain() {
        while (unacked_ > 0)
            if (!collect(true)) break;
    }
    std::uint64_t refused() const { return refused_; }

  private:
    // Reads every ack ready now (waiting for the first one if `block`).
    bool collect(bool block) {
        zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
        auto wait = std::chrono::milliseconds(block ? 5000 : 0);
        if (zmq::poll(&item, 1, wait) == 0) return false;
        while (socket_.recv(delim_, zmq::recv_flags::dontwait)) {
            (void)socket_.recv(in_);
            --unacked_;
            if (!reader_.parse(in_.to_string_view()) || reader_.str("op") != "ack")
                ++refused_;
        }
        return true;
    }

    zmq::socket_t socket_;
    zmq::message_t out_, delim_, in_;
    wire::Reader reader_;
    int window_;
    int unacked_ = 0;
    std::uint64_t refused_ = 0;
};

}  // namespace

int role_raw_publisher(const RoleOptions& options) {
    zmq::context_t ctx;
    WindowedPublisher pub(ctx, options.emit, options.window);
    auto payload = make_payload();
    zmq::message_t warm(encoded_emit("warm", payload));
    zmq::message_t bench(encoded_emit("bench", payload));
    pub.pump(warm, options.warmup_s);
    pub.drain();

    auto start = Clock::now();
    auto sent = pub.pump(bench, options.duration_s);
    pub.drain();
    double elapsed = seconds_since(start);

    zmq::message_t end(encoded_emit("end", end_payload(sent)));
    for (int i = 0; i < 40; ++i) {
        pub.send(end);
        pub.drain();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    report("result", {{"phase", "ff"},
                      {"sent", std::to_string(sent)},
                      {"rate", fmt(sent / elapsed, 0)},
                      {"refused", std::to_string(pub.refused())}});
    report("done", {});
    return 0;
}

int role_raw_subscriber(const RoleOptions& options) {
    zmq::context_t ctx;
    zmq::socket_t sub(ctx, zmq::socket_type::sub);
    for (const char* topic : {"$welcome", "warm", "bench", "end"})
        sub.set(zmq::sockopt::subscribe, std::string(topic) + '\0');
    sub.connect(options.events);

    zmq::message_t frame;
    zmq::pollitem_t item{sub.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, std::chrono::milliseconds(idle_limit_ms)) == 0)
        throw std::runtime_error("raw subscriber: no welcome");
    report("ready", {});

    wire::Reader reader;
    Tally tally;
    std::string_view topic, body;
    while (zmq::poll(&item, 1, std::chrono::milliseconds(idle_limit_ms)) > 0) {
        (void)sub.recv(frame);
        if (!wire::split_frame(frame.to_string_view(), topic, body)) continue;
        if (topic == "bench") {
            if (reader.parse(body)) tally.count(reader.uint("seq"));
        } else if (topic == "end" && reader.parse(body)) {
            tally.print(read_end_payload(reader.str("payload_json")));
            report("done", {});
            return 0;
        }
    }
    tally.print(0);
    return 1;
}

}  // namespace bench
