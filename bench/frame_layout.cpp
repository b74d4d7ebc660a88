// hookbus-frame-bench: XPUB -> SUB throughput of the two event layouts the protocol
// could use, with the same 200-byte body: one frame `name NUL body` (protocol
// version 1) against two frames [name][body]. Publisher and subscriber run on two
// threads of one process over ipc, with unbounded queues so that nothing is dropped.
// Prints the median of the rounds for each layout, and their ratio.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>
#include <zmq.hpp>

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t body_size = 200;
constexpr const char* name = "bench";

// Sends `count` events in the chosen layout and returns delivered events per second.
double run_round(zmq::context_t& ctx, const std::string& endpoint, bool two_frames,
                 int count) {
    zmq::socket_t pub(ctx, zmq::socket_type::xpub);
    pub.set(zmq::sockopt::sndhwm, 0);
    pub.bind(endpoint);
    const std::string body(body_size, 'x');
    const std::string one = std::string(name) + '\0' + body;

    Clock::time_point done;
    std::thread sub_thread([&] {
        zmq::socket_t sub(ctx, zmq::socket_type::sub);
        sub.set(zmq::sockopt::rcvhwm, 0);
        // One frame filters on "bench\0"; two frames on the name frame "bench".
        std::string prefix = two_frames ? std::string(name) : one.substr(0, 6);
        sub.set(zmq::sockopt::subscribe, prefix);
        sub.connect(endpoint);
        zmq::message_t frame;
        for (int received = 0; received < count;) {
            (void)sub.recv(frame);
            if (!frame.more()) ++received;
        }
        done = Clock::now();
    });
    zmq::message_t subscription;
    (void)pub.recv(subscription);  // the subscriber is connected and subscribed

    auto start = Clock::now();
    for (int i = 0; i < count; ++i) {
        if (two_frames) {
            pub.send(zmq::buffer(name, 5), zmq::send_flags::sndmore);
            pub.send(zmq::buffer(body), zmq::send_flags::none);
        } else {
            pub.send(zmq::buffer(one), zmq::send_flags::none);
        }
    }
    sub_thread.join();
    return count / std::chrono::duration<double>(done - start).count();
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    int count = argc > 1 ? std::atoi(argv[1]) : 200000;
    int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
    zmq::context_t ctx;
    std::vector<double> single;
    std::vector<double> split;
    for (int round = 0; round < rounds; ++round) {
        // Alternating the layouts spreads machine noise over both.
        std::string base = "ipc:///tmp/hookbus-frame-bench-" + std::to_string(getpid());
        auto suffix = std::to_string(round);
        single.push_back(run_round(ctx, base + "-a" + suffix, false, count));
        split.push_back(run_round(ctx, base + "-b" + suffix, true, count));
    }
    double one = median(single);
    double two = median(split);
    std::printf("events %d x %d rounds, body %zu bytes, ipc\n", count, rounds, body_size);
    std::printf("one frame  name\\0body : %.0f events/s (median)\n", one);
    std::printf("two frames [name][body]: %.0f events/s (median)\n", two);
    std::printf("two frames / one frame : %.2f\n", two / one);
    return 0;
}
