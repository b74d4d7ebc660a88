// The memory probe: holds many waits open in the broker (nobody answers them), reads
// the broker's resident memory from /proc, lets the waits time out, and reads it
// again, for several rounds. It speaks the protocol on raw DEALER sockets so that
// the broker, not a client library's bookkeeping, is what gets measured.
#include <algorithm>
#include <stdexcept>
#include <thread>
#include <zmq.hpp>

#include "common.hpp"
#include "roles.hpp"
#include "wire.hpp"

namespace bench {

namespace {

using std::chrono::milliseconds;

class Probe {
  public:
    Probe(zmq::context_t& ctx, const std::string& emit)
        : waits_(ctx, zmq::socket_type::dealer), stats_(ctx, zmq::socket_type::dealer) {
        // Unbounded queues: every timed-out result is read here rather than dropped
        // (and logged) by the broker, as a real emitter would read them.
        waits_.set(zmq::sockopt::sndhwm, 0);
        waits_.set(zmq::sockopt::rcvhwm, 0);
        waits_.connect(emit);
        stats_.connect(emit);
    }

    void start_waits(int count, int timeout_ms) {
        wire::Writer w;
        wire::emit(w, 0, "bench", make_payload(), true,
                   static_cast<std::uint32_t>(timeout_ms));
        zmq::message_t body(w.data(), w.size()), out;
        for (int i = 0; i < count; ++i) {
            (void)waits_.send(zmq::const_buffer("", 0), zmq::send_flags::sndmore);
            out.copy(body);
            (void)waits_.send(out, zmq::send_flags::none);
        }
    }

    // Reads every response that arrived; returns how many.
    std::size_t drain() {
        std::size_t n = 0;
        while (waits_.recv(frame_, zmq::recv_flags::dontwait)) n += frame_.more() ? 0 : 1;
        return n;
    }

    // The broker's `pending` counter; nullopt when it does not answer.
    std::optional<std::uint64_t> pending() {
        out_.clear();
        wire::stats(out_, 1);
        (void)stats_.send(zmq::const_buffer("", 0), zmq::send_flags::sndmore);
        (void)stats_.send(zmq::const_buffer(out_.data(), out_.size()));
        zmq::pollitem_t item{stats_.handle(), 0, ZMQ_POLLIN, 0};
        if (zmq::poll(&item, 1, milliseconds(5000)) == 0) return std::nullopt;
        (void)stats_.recv(frame_);
        (void)stats_.recv(frame_);
        if (!reader_.parse(frame_.to_string_view())) return std::nullopt;
        const auto* stats = reader_.find("stats");
        if (!stats || stats->type != msgpack::type::MAP) return std::nullopt;
        for (std::uint32_t i = 0; i < stats->via.map.size; ++i) {
            const auto& kv = stats->via.map.ptr[i];
            if (kv.key.type == msgpack::type::STR &&
                std::string_view(kv.key.via.str.ptr, kv.key.via.str.size) == "pending")
                return kv.val.via.u64;
        }
        return std::nullopt;
    }

    // Polls `pending` (draining responses meanwhile) until `done` holds.
    template <class Done>
    bool wait_until(milliseconds timeout, Done done) {
        auto deadline = Clock::now() + timeout;
        while (Clock::now() < deadline) {
            drain();
            auto now = pending();
            if (now && done(*now)) return true;
            std::this_thread::sleep_for(milliseconds(20));
        }
        return false;
    }

  private:
    zmq::socket_t waits_, stats_;
    zmq::message_t frame_;
    wire::Writer out_;
    wire::Reader reader_;
};

double rss_mib(int pid) { return rss_kib(pid) / 1024.0; }

// One round: {RSS with every wait pending, RSS after they all timed out}.
std::pair<double, double> memory_round(Probe& probe, const RoleOptions& o) {
    auto n = static_cast<std::uint64_t>(o.pending);
    probe.start_waits(o.pending, o.timeout_ms);
    if (!probe.wait_until(milliseconds(o.timeout_ms),
                          [n](std::uint64_t p) { return p >= n; }))
        throw std::runtime_error("memory: the broker never held every wait at once");
    double with_pending = rss_mib(o.broker_pid);
    if (!probe.wait_until(milliseconds(o.timeout_ms + 60000),
                          [](std::uint64_t p) { return p == 0; }))
        throw std::runtime_error("memory: the waits never timed out");
    return {with_pending, rss_mib(o.broker_pid)};
}

}  // namespace

int role_memory_probe(const RoleOptions& options) {
    zmq::context_t ctx;
    Probe probe(ctx, options.emit);
    if (!probe.pending()) throw std::runtime_error("memory: the broker does not answer");

    double idle = rss_mib(options.broker_pid), peak = 0, first_after = 0, after = 0;
    for (int round = 1; round <= options.cycles; ++round) {
        auto [with_pending, expired] = memory_round(probe, options);
        peak = std::max(peak, with_pending);
        if (round == 1) first_after = expired;
        after = expired;
        report("progress", {{"round", std::to_string(round)},
                            {"pending_mib", fmt(with_pending, 1)},
                            {"after_mib", fmt(expired, 1)}});
    }
    report("result", {{"phase", "memory"},
                      {"idle", fmt(idle, 1)},
                      {"pending", fmt(peak, 1)},
                      {"after", fmt(after, 1)},
                      {"drift", fmt(after - first_after, 1)},
                      {"waits", std::to_string(options.pending)}});
    report("done", {});
    return 0;
}

}  // namespace bench
