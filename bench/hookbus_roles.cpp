// Roles that use hookbus itself: a persistent hookbus::Hook (answering or silent), a
// hookbus::Emitter (optionally with the Broker embedded on a thread of the same
// process, emitting over inproc) and a hookbus::Subscriber.
#include <hookbus/broker.hpp>
#include <hookbus/emitter.hpp>
#include <hookbus/hook.hpp>
#include <memory>
#include <stdexcept>
#include <thread>
#include <zmq.hpp>

#include "common.hpp"
#include "loops.hpp"
#include "roles.hpp"

namespace bench {

namespace {

using std::chrono::milliseconds;

constexpr const char* inproc_emit = "inproc://hookbus-bench-broker";

class LibraryClient : public RequestClient {
  public:
    LibraryClient(hookbus::Emitter& emitter, milliseconds timeout)
        : emitter_(emitter), payload_(make_payload()), timeout_(timeout) {}

    bool round_trip() override {
        auto out = emitter_.emit_and_wait("bench", payload_, timeout_);
        return out.status == hookbus::Status::replied;
    }
    void start() override { emitter_.start("bench", payload_, timeout_); }
    bool finish() override {
        auto done = emitter_.next(milliseconds(5000));
        return done && done->outcome.status == hookbus::Status::replied;
    }

  private:
    hookbus::Emitter& emitter_;
    std::string payload_;
    milliseconds timeout_;
};

// Polls the broker's stats until `want(stats)` holds; false after `timeout`.
template <class Want>
bool wait_stats(hookbus::Emitter& emitter, milliseconds timeout, Want want) {
    auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
        auto stats = emitter.stats();
        if (stats && want(*stats)) return true;
        std::this_thread::sleep_for(milliseconds(20));
    }
    return false;
}

bool wait_live_hooks(hookbus::Emitter& emitter, int count) {
    return wait_stats(emitter, milliseconds(15000), [count](const nlohmann::json& s) {
        int live = 0;
        for (const auto& hook : s.value("hooks", nlohmann::json::array()))
            live += hook.value("live", false) ? 1 : 0;
        return live >= count;
    });
}

struct EmbeddedBroker {
    EmbeddedBroker(zmq::context_t& ctx, const RoleOptions& options)
        : broker(config(ctx, options)), thread([this] { broker.run(); }) {}
    ~EmbeddedBroker() {
        broker.stop();
        thread.join();
    }
    static hookbus::BrokerConfig config(zmq::context_t& ctx, const RoleOptions& o) {
        hookbus::BrokerConfig c;
        c.endpoints = {o.events, o.replies, inproc_emit};
        c.context = &ctx;
        return c;
    }
    hookbus::Broker broker;
    std::thread thread;
};

void measure_with(hookbus::EmitterOptions emitter_options, const RoleOptions& options) {
    hookbus::Emitter emitter(emitter_options);
    if (options.wait_go) wait_for_go();
    if (options.wait_hooks > 0 && !wait_live_hooks(emitter, options.wait_hooks))
        throw std::runtime_error("hookbus emitter: hooks never became live");
    LibraryClient client(emitter, milliseconds(options.timeout_ms));
    run_request_phases(client, options);
}

}  // namespace

int role_hb_hook(const RoleOptions& options) {
    hookbus::HookOptions hook_options;
    hook_options.name = options.silent ? "silent-hook" : "cpp-hook";
    hook_options.events = {"bench"};
    hook_options.endpoints = {options.events, options.replies, ""};
    hookbus::Hook hook(hook_options);
    if (!hook.wait_ready(milliseconds(15000)))
        throw std::runtime_error("hookbus hook: no hello_ok");
    report("ready", {{"instance", hook.instance()}});
    for (;;) {
        try {
            auto event = hook.next(milliseconds(1000));
            if (!event || options.silent) continue;
            // Answers stay in flight; their acks are read by later next() calls.
            while (!hook.post_reply(*event, reply_json))
                hook.flush_replies(milliseconds(100));
        } catch (const hookbus::Lagged&) {
            // A silent hook falls behind by design; the broker drops for it.
        }
    }
}

int role_hb_emitter(const RoleOptions& options) {
    hookbus::EmitterOptions emitter_options;
    emitter_options.endpoint = options.emit;
    if (!options.embedded) {
        measure_with(emitter_options, options);
        report("done", {});
        return 0;
    }
    zmq::context_t ctx;
    {
        EmbeddedBroker embedded(ctx, options);
        const auto& bound = embedded.broker.endpoints();
        report("ready", {{"events", bound.events}, {"replies", bound.replies}});
        emitter_options.endpoint = inproc_emit;
        emitter_options.context = &ctx;
        measure_with(emitter_options, options);
    }
    report("done", {});
    return 0;
}

int role_hb_subscriber(const RoleOptions& options) {
    hookbus::SubscriberOptions sub_options;
    sub_options.endpoint = options.events;
    sub_options.events = {"warm", "bench", "end"};
    hookbus::Subscriber sub(sub_options);
    auto deadline = Clock::now() + milliseconds(15000);
    while (sub.run() == 0 && Clock::now() < deadline) sub.next(milliseconds(20));
    if (sub.run() == 0) throw std::runtime_error("hookbus subscriber: no welcome");
    report("ready", {});

    Tally tally;
    for (;;) {
        std::optional<hookbus::Event> event;
        try {
            event = sub.next(milliseconds(10000));
        } catch (const hookbus::Lagged&) {
            continue;  // Tally sees the same gap in the sequence numbers.
        }
        if (!event) break;
        if (event->name == "bench") tally.count(event->seq);
        if (event->name == "end") {
            tally.print(read_end_payload(event->payload_json));
            report("done", {});
            return 0;
        }
    }
    tally.print(0);
    return 1;
}

}  // namespace bench
