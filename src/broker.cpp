// The broker's single poll loop: emit requests come in on the emit ROUTER, events go
// out on the events XPUB, hook hellos and replies come in on the replies ROUTER, and
// the pending table correlates replies with waiting emitters until their deadlines.
// Nothing in the loop blocks: every send is non-blocking, and refused sends are counted.
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <hookbus/broker.hpp>
#include <hookbus/protocol.hpp>
#include <algorithm>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <zmq.hpp>

#include "broker_sockets.hpp"
#include "hook_registry.hpp"
#include "pending_table.hpp"
#include "rate_limiter.hpp"
#include "zap_handler.hpp"

namespace hookbus {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Messages read from one socket per loop turn, so that a flood on one socket cannot
// starve the others.
constexpr std::size_t batch_per_socket = 256;
// Sequence counters live for the whole run, one per event name; past this many names
// a new name is refused as overloaded instead of growing the map without end.
constexpr std::size_t max_event_names = 1 << 16;
constexpr std::size_t warning_burst = 10;
constexpr std::chrono::seconds warning_window{10};

struct Counters {
    std::uint64_t events_emitted = 0;
    std::uint64_t waits_started = 0;
    std::uint64_t replies_accepted = 0;
    std::uint64_t replies_refused = 0;
    std::uint64_t timeouts = 0;
    std::uint64_t incomplete = 0;
    std::uint64_t allowed = 0;
    std::uint64_t vetoed = 0;
    std::uint64_t hooks_cut_off = 0;
    std::uint64_t no_hook = 0;
    std::uint64_t overloaded = 0;
    std::uint64_t bad_messages = 0;
    std::uint64_t bad_subscriptions = 0;
    std::uint64_t undeliverable = 0;
    std::uint64_t auth_denied = 0;
    std::map<std::string, std::uint64_t> bad_by_code;
};

std::uint64_t random_run_id() {
    std::random_device device;
    std::mt19937_64 engine((std::uint64_t{device()} << 32) | device());
    std::uniform_int_distribution<std::uint64_t> pick(1, (std::uint64_t{1} << 53) - 1);
    return pick(engine);
}

Timestamp plus(Timestamp at, milliseconds span) {
    const std::int64_t nanos = std::int64_t{at.nanos} + (span.count() % 1000) * 1'000'000;
    at.seconds += span.count() / 1000 + nanos / 1'000'000'000;
    at.nanos = static_cast<std::uint32_t>(nanos % 1'000'000'000);
    return at;
}

nlohmann::json to_json(const Timestamp& at) {
    return nlohmann::json::array({at.seconds, at.nanos});
}

std::string join(const std::vector<std::string>& names) {
    std::string text;
    for (const auto& name : names) text += (text.empty() ? "" : ",") + name;
    return text;
}

std::string describe_peer(const detail::RouterMessage& message) {
    std::string text = "peer=" + detail::hex(message.routing_id);
    if (!message.peer_address.empty()) text += " addr=" + message.peer_address;
    return text;
}

std::uint64_t micros_between(Clock::time_point from, Clock::time_point to) {
    const auto span = std::chrono::duration_cast<std::chrono::microseconds>(to - from);
    return span.count() < 0 ? 0 : static_cast<std::uint64_t>(span.count());
}

// Percentile `share` (0..1) of `values`, which it reorders; nil when empty.
nlohmann::json percentile(std::vector<std::uint32_t>& values, double share) {
    if (values.empty()) return nullptr;
    const auto at = static_cast<std::size_t>(share * static_cast<double>(values.size() - 1));
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(at),
                     values.end());
    return values[at];
}

// A readiness wait (docs/protocol.md section 6.2).
struct ReadyWait {
    std::string routing_id;
    Ready request;
    Clock::time_point deadline;
};

// Handlers refuse a request by throwing; the dispatcher turns it into an `error`.
[[noreturn]] void refuse(ErrorCode code, std::string message, std::uint64_t req) {
    throw DecodeError(code, std::move(message), req);
}

// The stop signal: an eventfd, because writing to one is async-signal-safe and
// zmq_poll can wait on it beside the sockets.
class StopSignal {
  public:
    StopSignal() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
        if (fd_ < 0) {
            throw std::runtime_error(std::string("cannot create eventfd: ") +
                                     std::strerror(errno));
        }
    }
    ~StopSignal() { ::close(fd_); }
    StopSignal(const StopSignal&) = delete;
    StopSignal& operator=(const StopSignal&) = delete;

    void raise() const noexcept {
        const std::uint64_t one = 1;
        // Nothing useful can be done about a failed write inside a signal handler;
        // the counter only fails when it would overflow, which leaves it readable.
        if (::write(fd_, &one, sizeof one) < 0) return;
    }
    int fd() const { return fd_; }

  private:
    int fd_;
};

}  // namespace

struct Broker::Impl {
    explicit Impl(BrokerConfig config);

    void run();
    void stop() noexcept { stop_.raise(); }

    // ---- loop
    bool poll_once();
    long poll_timeout(Clock::time_point now) const;
    void drain_events();
    void drain_router(zmq::socket_t& socket, bool emit_side);
    void drain_zap();
    void dispatch(const detail::RouterMessage& message, bool emit_side);
    void expire(Clock::time_point now);
    void shutdown();
    void refuse_queued_emits();
    void remove_ipc_files() const;

    // ---- security
    void secure_sockets(const Endpoints& wanted);
    void log_security();

    // ---- emit socket
    void on_emit_body(const std::string& routing_id, std::string_view body);
    void on_emit(const std::string& routing_id, Emit emit);
    void on_wait(const std::string& routing_id, Emit emit);
    NamePolicy policy_for(const std::string& name) const;
    void expect_hooks(detail::PendingWait& wait, const std::string& name);
    void count_received(const std::string& name);
    void on_ready(const std::string& routing_id, Ready ready);
    void answer_ready_waits(Clock::time_point now);
    /// A new event from `emit`, whose payload it takes; its binary id goes to `id`.
    Event mint_event(Emit& emit, detail::Uuid* id = nullptr);
    void publish(const Event& event);
    milliseconds wait_timeout(const Emit& emit) const;
    std::uint64_t next_seq(const std::string& name, std::uint64_t req);
    void on_stats(const std::string& routing_id, const StatsRequest& request);
    nlohmann::json stats() const;
    nlohmann::json hooks_json() const;
    nlohmann::json policies_json() const;

    // ---- replies and events sockets
    void on_hook_body(const std::string& routing_id, std::string_view body);
    void on_hello(const std::string& routing_id, Hello hello);
    void on_reply(const std::string& routing_id, Reply reply);
    void on_bye(const std::string& routing_id, const Bye& bye);
    void on_subscription(std::string_view message);
    /// Settles for `hook` every wait that still expects it, as missing for `why`.
    void settle_hook(const detail::HookRecord& hook, MissingWhy why);
    void cut_off_lagging(const std::vector<std::uint64_t>& keys);
    void log_hook(LogLevel level, std::string_view id, std::string_view what,
                  const detail::HookRecord& hook);

    // ---- responses and logs
    void respond(zmq::socket_t& socket, std::string_view routing_id,
                 const std::string& body);
    /// Sends the wait's `result` with its verdict, moving its answers out. Releases
    /// the hooks it still owed.
    void send_result(detail::PendingWait& wait, WaitOutcome outcome);
    /// The outcome of a wait that nothing more can change.
    static WaitOutcome finished_outcome(const detail::PendingWait& wait);
    void refuse_message(zmq::socket_t& socket, const detail::RouterMessage& message,
                        const DecodeError& error);
    void log(LogLevel level, std::string_view id, const std::string& message) const;
    void warn(std::string_view id, const std::string& message);

    BrokerConfig config_;
    std::unique_ptr<zmq::context_t> own_context_;
    zmq::context_t* context_;
    zmq::socket_t events_;
    zmq::socket_t replies_;
    zmq::socket_t emit_;
    std::unique_ptr<detail::ZapHandler> zap_;
    StopSignal stop_;
    Endpoints endpoints_;
    std::uint64_t run_;
    Timestamp started_at_;
    Clock::time_point started_steady_;
    detail::PendingTable pending_;
    detail::HookRegistry hooks_;
    detail::RateLimiter warnings_;
    std::unordered_map<std::string, std::uint64_t> seqs_;
    std::vector<ReadyWait> ready_waits_;
    Counters counters_;
    std::string scratch_;  ///< reused by every encode on the hot path
    bool ran_ = false;
};

// ---- construction -------------------------------------------------------------------

namespace {

Endpoints with_defaults(Endpoints endpoints) {
    const Endpoints defaults = default_endpoints();
    if (endpoints.events.empty()) endpoints.events = defaults.events;
    if (endpoints.replies.empty()) endpoints.replies = defaults.replies;
    if (endpoints.emit.empty()) endpoints.emit = defaults.emit;
    return endpoints;
}

detail::SocketLimits limits_of(const BrokerConfig& config) {
    return {config.max_msg_size, config.heartbeat_interval, config.heartbeat_timeout,
            config.linger};
}

}  // namespace

Broker::Impl::Impl(BrokerConfig config)
    : config_(std::move(config)),
      own_context_(config_.context ? nullptr : std::make_unique<zmq::context_t>()),
      context_(config_.context ? config_.context : own_context_.get()),
      events_(*context_, zmq::socket_type::xpub),
      replies_(*context_, zmq::socket_type::router),
      emit_(*context_, zmq::socket_type::router),
      run_(random_run_id()),
      started_at_(wall_now()),
      started_steady_(Clock::now()),
      pending_(config_.max_pending),
      hooks_(config_.max_hooks, config_.hello_timeout),
      warnings_(warning_burst, warning_window) {
    const Endpoints wanted = with_defaults(config_.endpoints);
    for (auto* socket : {&events_, &replies_, &emit_}) {
        detail::apply_limits(*socket, limits_of(config_));
    }
    // Only the events socket gets send_hwm: it is the one whose per-subscriber queue
    // is the documented drop point (section 9).
    events_.set(zmq::sockopt::sndhwm, config_.send_hwm);
    events_.set(zmq::sockopt::xpub_verboser, 1);
    const std::string welcome = encode(
        Welcome{run_, started_at_, static_cast<std::uint64_t>(config_.max_msg_size)});
    events_.set(zmq::sockopt::xpub_welcome_msg, welcome);
    replies_.set(zmq::sockopt::router_mandatory, 1);
    emit_.set(zmq::sockopt::router_mandatory, 1);
    secure_sockets(wanted);

    detail::prepare_ipc(*context_, wanted);
    endpoints_.events = detail::bind_endpoint(events_, wanted.events);
    endpoints_.replies = detail::bind_endpoint(replies_, wanted.replies);
    endpoints_.emit = detail::bind_endpoint(emit_, wanted.emit);
}

// ---- the loop -----------------------------------------------------------------------

void Broker::Impl::run() {
    if (ran_) throw std::logic_error("hookbus::Broker::run() may be called only once");
    ran_ = true;
    log(LogLevel::notice, "HB-START",
        "broker started run=" + std::to_string(run_) + " events=" + endpoints_.events +
            " replies=" + endpoints_.replies + " emit=" + endpoints_.emit);
    log_security();
    while (poll_once()) {
    }
    shutdown();
}

bool Broker::Impl::poll_once() {
    zmq::pollitem_t items[] = {
        {events_.handle(), 0, ZMQ_POLLIN, 0},
        {replies_.handle(), 0, ZMQ_POLLIN, 0},
        {emit_.handle(), 0, ZMQ_POLLIN, 0},
        {nullptr, stop_.fd(), ZMQ_POLLIN, 0},
        {zap_ ? zap_->socket().handle() : nullptr, 0, ZMQ_POLLIN, 0},
    };
    const int count = zap_ ? 5 : 4;
    if (zmq_poll(items, count, poll_timeout(Clock::now())) < 0 && zmq_errno() != EINTR) {
        throw zmq::error_t();
    }
    if (items[3].revents & ZMQ_POLLIN) return false;

    // Handshakes first: a client admitted now can be served in this same turn.
    if (zap_ && (items[4].revents & ZMQ_POLLIN)) drain_zap();

    if (items[0].revents & ZMQ_POLLIN) drain_events();
    if (items[1].revents & ZMQ_POLLIN) drain_router(replies_, false);
    if (items[2].revents & ZMQ_POLLIN) drain_router(emit_, true);
    expire(Clock::now());
    return true;
}

long Broker::Impl::poll_timeout(Clock::time_point now) const {
    std::optional<Clock::time_point> next = pending_.next_deadline();
    if (const auto hello = hooks_.next_expiry(); hello && (!next || *hello < *next)) {
        next = hello;
    }
    for (const auto& ready : ready_waits_) {
        if (!next || ready.deadline < *next) next = ready.deadline;
    }
    if (!next) return -1;
    if (*next <= now) return 0;
    return static_cast<long>(std::chrono::ceil<milliseconds>(*next - now).count());
}

void Broker::Impl::drain_events() {
    for (std::size_t i = 0; i < batch_per_socket; ++i) {
        zmq::message_t message;
        if (!events_.recv(message, zmq::recv_flags::dontwait)) return;
        try {
            on_subscription(message.to_string_view());
        } catch (const std::exception& e) {
            warn("HB-INTERNAL", std::string("subscription not handled: ") + e.what());
        }
    }
}

void Broker::Impl::drain_zap() {
    for (const auto& denied : zap_->answer_queued(batch_per_socket)) {
        ++counters_.auth_denied;
        std::string text =
            "connection refused: client key not allowed socket=" + denied.domain +
            " mechanism=" + denied.mechanism;
        if (!denied.address.empty()) text += " addr=" + denied.address;
        if (!denied.client_key.empty()) text += " key=" + denied.client_key;
        warn("HB-AUTH-DENIED", text);
    }
}

void Broker::Impl::drain_router(zmq::socket_t& socket, bool emit_side) {
    for (std::size_t i = 0; i < batch_per_socket; ++i) {
        const auto message = detail::try_recv_router(socket);
        if (!message) return;
        try {
            dispatch(*message, emit_side);
        } catch (const DecodeError& e) {
            refuse_message(socket, *message, e);
        } catch (const std::exception& e) {
            warn("HB-INTERNAL",
                 describe_peer(*message) + " request not handled: " + e.what());
        }
    }
}

void Broker::Impl::dispatch(const detail::RouterMessage& message, bool emit_side) {
    const bool framed = message.frame_count == 2 && message.frames[0].size() == 0;
    if (!framed) {
        refuse(ErrorCode::bad_frames,
               "expected 2 frames after the routing id, [empty delimiter][body]; got " +
                   std::to_string(message.frame_count) +
                   (message.frame_count == 2 ? " with a non-empty delimiter" : ""),
               0);
    }
    const std::string_view body = message.frames[1].to_string_view();
    if (emit_side) {
        on_emit_body(message.routing_id, body);
    } else {
        on_hook_body(message.routing_id, body);
    }
}

void Broker::Impl::expire(Clock::time_point now) {
    for (auto& wait : pending_.expire(now)) {
        ++counters_.timeouts;
        for (const auto key : wait.owed) {
            if (auto* hook = hooks_.by_key(key)) {
                ++hook->counters.timeouts;
                wait.missing.push_back({hook->hook, hook->instance, MissingWhy::timed_out});
            }
        }
        send_result(wait, WaitOutcome::timed_out);
    }
    if (!ready_waits_.empty()) answer_ready_waits(now);
    for (const auto& hook : hooks_.expire(now)) {
        log_hook(LogLevel::info, "HB-HOOK-EXPIRED",
                 "hello dropped: its ~hook subscription did not arrive in time", hook);
    }
}

void Broker::Impl::shutdown() {
    const auto waiting = pending_.take_all();
    for (const auto& wait : waiting) {
        Error error{wait.req, ErrorCode::shutting_down,
                    std::string(to_string(ErrorCode::shutting_down)),
                    "the broker is stopping; the event may not have been answered"};
        respond(emit_, wait.routing_id, encode(error));
    }
    for (const auto& ready : ready_waits_) {
        Error error{ready.request.req, ErrorCode::shutting_down,
                    std::string(to_string(ErrorCode::shutting_down)),
                    "the broker is stopping; ask again when it is back"};
        respond(emit_, ready.routing_id, encode(error));
    }
    ready_waits_.clear();
    refuse_queued_emits();
    log(LogLevel::notice, "HB-STOP",
        "broker stopping run=" + std::to_string(run_) +
            " waits_cancelled=" + std::to_string(waiting.size()));

    // libzmq leaves ipc socket files behind. Removing ours before the linger (rather
    // than after) spares the next broker its probe and can never remove the files of
    // a broker that starts while this one is still flushing.
    remove_ipc_files();

    // Closing with a bounded linger flushes what is queued; terminating an owned
    // context waits for exactly that flush.
    events_.close();
    replies_.close();
    emit_.close();
    // After the broker sockets, so that no handshake is left without an answer
    // while they flush; before the context, whose close waits for every socket.
    if (zap_) zap_->close();
    if (own_context_) own_context_->close();
}

void Broker::Impl::remove_ipc_files() const {
    for (const auto* endpoint :
         {&endpoints_.events, &endpoints_.replies, &endpoints_.emit}) {
        const std::string path = detail::ipc_path(*endpoint);
        if (!path.empty()) ::unlink(path.c_str());
    }
}

void Broker::Impl::refuse_queued_emits() {
    for (std::size_t i = 0; i < batch_per_socket; ++i) {
        const auto message = detail::try_recv_router(emit_);
        if (!message) return;
        std::uint64_t req = 0;
        if (message->frame_count == 2) {
            try {
                const auto request =
                    decode_emit_request(message->frames[1].to_string_view());
                req = std::visit([](const auto& r) { return r.req; }, request);
            } catch (const DecodeError& e) {
                req = e.req();
            }
        }
        Error error{req, ErrorCode::shutting_down,
                    std::string(to_string(ErrorCode::shutting_down)),
                    "the broker is stopping; retry when it is back"};
        respond(emit_, message->routing_id, encode(error));
    }
}

// ---- security -----------------------------------------------------------------------

namespace {

bool is_tcp(const std::string& endpoint) { return endpoint.rfind("tcp://", 0) == 0; }

std::string first_tcp(const Endpoints& endpoints) {
    for (const auto* endpoint :
         {&endpoints.events, &endpoints.replies, &endpoints.emit}) {
        if (is_tcp(*endpoint)) return *endpoint;
    }
    return {};
}

void check_security_config(const BrokerConfig& config, const Endpoints& wanted) {
    if (config.allowed_client_keys && !config.curve) {
        throw std::runtime_error(
            "allowed client keys need the broker's own CURVE key pair "
            "(hookbusd --curve-secret FILE)");
    }
    if (config.curve && (!valid_z85_key(config.curve->public_key) ||
                         !valid_z85_key(config.curve->secret_key))) {
        throw std::runtime_error("the broker's CURVE keys are not 40-character Z85 keys");
    }
    if (config.curve && !curve_available()) {
        throw std::runtime_error("libzmq was built without CURVE (libsodium)");
    }
    const std::string tcp = first_tcp(wanted);
    if (!config.curve && !tcp.empty() && !config.allow_plain_tcp) {
        throw std::runtime_error(
            "refusing to bind " + tcp +
            " without CURVE: anyone who can reach it could emit, answer and read "
            "every event. Give the broker a key pair and the clients it admits "
            "(--curve-secret FILE --allowed-keys DIR, see hookbus keygen), or pass "
            "--insecure to accept unauthenticated, unencrypted tcp");
    }
}

}  // namespace

// Sets CURVE on the three sockets and binds the ZAP handler. Both happen before any
// bind, so that no connection is ever accepted on weaker terms.
void Broker::Impl::secure_sockets(const Endpoints& wanted) {
    check_security_config(config_, wanted);
    if (!config_.curve) return;
    if (config_.allowed_client_keys) {
        zap_ =
            std::make_unique<detail::ZapHandler>(*context_, *config_.allowed_client_keys);
    }
    const std::pair<zmq::socket_t*, const char*> sockets[] = {
        {&events_, "events"}, {&replies_, "replies"}, {&emit_, "emit"}};
    for (const auto& [socket, domain] : sockets) {
        socket->set(zmq::sockopt::curve_server, 1);
        socket->set(zmq::sockopt::curve_secretkey, config_.curve->secret_key);
        // The domain names the socket in the handler's log records.
        socket->set(zmq::sockopt::zap_domain, domain);
    }
}

void Broker::Impl::log_security() {
    if (!config_.curve) {
        const std::string tcp = first_tcp(endpoints_);
        if (tcp.empty()) return;
        log(LogLevel::warning, "HB-INSECURE",
            "tcp traffic is unauthenticated and unencrypted (no CURVE key pair): "
            "anyone who can reach " +
                tcp + " can emit, answer and read every event");
        return;
    }
    if (!zap_) {
        log(LogLevel::notice, "HB-CURVE",
            "CURVE on every socket; any client that knows the broker's public key is "
            "admitted (no allowed-key list)");
        return;
    }
    log(LogLevel::notice, "HB-CURVE",
        "CURVE on every socket; clients admitted=" +
            std::to_string(zap_->allowed_count()) +
            " public_key=" + config_.curve->public_key);
    if (zap_->allowed_count() == 0) {
        log(LogLevel::warning, "HB-CURVE-NOBODY",
            "the allowed-key list is empty: every client will be refused");
    }
}

// ---- emit socket --------------------------------------------------------------------

void Broker::Impl::on_emit_body(const std::string& routing_id, std::string_view body) {
    auto request = decode_emit_request(body);
    if (auto* emit = std::get_if<Emit>(&request)) {
        on_emit(routing_id, std::move(*emit));
    } else if (auto* ready = std::get_if<Ready>(&request)) {
        on_ready(routing_id, std::move(*ready));
    } else {
        on_stats(routing_id, std::get<StatsRequest>(request));
    }
}

void Broker::Impl::on_emit(const std::string& routing_id, Emit emit) {
    if (emit.wait) {
        on_wait(routing_id, std::move(emit));
        return;
    }
    const Event event = mint_event(emit);
    publish(event);
    count_received(event.name);
    encode(Ack{emit.req, event.id, event.seq, event.emitted_at}, scratch_);
    respond(emit_, routing_id, scratch_);
}

void Broker::Impl::on_wait(const std::string& routing_id, Emit emit) {
    const milliseconds timeout = wait_timeout(emit);
    const NamePolicy defaults = policy_for(emit.name);
    const Expect expect = emit.expect.value_or(defaults.expect);
    const OnFailure on_failure = emit.on_failure.value_or(defaults.on_failure);
    if (hooks_.live_count(emit.name) == 0) {
        ++counters_.no_hook;
        Result result;
        result.req = emit.req;
        result.outcome = WaitOutcome::no_hook;
        result.expect = expect;
        result.on_failure = on_failure;
        result.decided_by = DecidedBy::policy;
        if (on_failure == OnFailure::closed) {
            result.verdict = Decision::vetoed;
            result.vetoes.push_back(
                {"", "", "no live hook answers " + emit.name + ", on_failure closed"});
        }
        ++(result.verdict == Decision::vetoed ? counters_.vetoed : counters_.allowed);
        respond(emit_, routing_id, encode(result));
        return;
    }
    if (pending_.size() + ready_waits_.size() >= pending_.capacity()) {
        ++counters_.overloaded;
        refuse(ErrorCode::overloaded,
               std::to_string(pending_.size() + ready_waits_.size()) +
                   " waits in progress, the most this broker allows (--max-pending); "
                   "retry later",
               emit.req);
    }
    detail::Uuid id;
    Event event = mint_event(emit, &id);
    event.deadline = plus(event.emitted_at, timeout);

    detail::PendingWait wait;
    wait.id = id;
    wait.routing_id = routing_id;
    wait.req = emit.req;
    wait.expect = expect;
    wait.on_failure = on_failure;
    wait.published = Clock::now();
    wait.deadline = wait.published + timeout;
    expect_hooks(wait, event.name);
    std::vector<std::uint64_t> lagging;
    if (config_.max_owed > 0) {
        for (const auto key : wait.owed) {
            const auto* hook = hooks_.by_key(key);
            if (hook != nullptr && hook->counters.owed > config_.max_owed) {
                lagging.push_back(key);
            }
        }
    }
    // The slot is reserved before the event goes out, so that every reply the loop
    // reads later finds it, and so that no hook ever sees an event nobody waits for.
    if (!pending_.insert(std::move(wait))) {
        refuse(ErrorCode::overloaded, "the pending table refused the wait; retry later",
               emit.req);
    }
    publish(event);
    count_received(event.name);
    ++counters_.waits_started;
    if (!lagging.empty()) cut_off_lagging(lagging);
}

NamePolicy Broker::Impl::policy_for(const std::string& name) const {
    const auto it = config_.policies.find(name);
    return it == config_.policies.end() ? config_.default_policy : it->second;
}

// Fixes the expected set: the hooks live for the name now (section 13.1).
void Broker::Impl::expect_hooks(detail::PendingWait& wait, const std::string& name) {
    const auto* hooks = hooks_.answering(name);
    if (hooks == nullptr) return;
    wait.owed.reserve(hooks->size());
    for (auto* hook : *hooks) {
        wait.owed.push_back(hook->key);
        ++hook->counters.owed;
    }
}

void Broker::Impl::count_received(const std::string& name) {
    for (const auto* hooks : {hooks_.answering(name), hooks_.observing(name)}) {
        if (hooks == nullptr) continue;
        for (auto* hook : *hooks) ++hook->counters.received;
    }
}

void Broker::Impl::cut_off_lagging(const std::vector<std::uint64_t>& keys) {
    for (const auto key : keys) {
        auto* hook = hooks_.by_key(key);
        if (hook == nullptr || !hook->live()) continue;
        const std::string owed = std::to_string(hook->counters.owed);
        const detail::HookRecord copy = *hook;
        hooks_.cut_off(copy.instance);
        ++counters_.hooks_cut_off;
        log(LogLevel::warning, "HB-HOOK-LAGGED",
            "hook cut off for lagging: it owes answers to " + owed +
                " waits, more than --max-owed=" + std::to_string(config_.max_owed) +
                "; its waits are settled now and it counts again after a new hello "
                "hook=" +
                copy.hook + " instance=" + copy.instance);
        settle_hook(copy, MissingWhy::lagged);
    }
}

void Broker::Impl::settle_hook(const detail::HookRecord& hook, MissingWhy why) {
    if (hook.counters.owed == 0) return;
    for (const auto& id : pending_.owing(hook.key)) {
        auto* wait = pending_.find(id);
        detail::settle_failed(*wait, hook.key, {hook.hook, hook.instance, why});
        if (!detail::finished(*wait)) continue;
        auto done = pending_.take(id);
        send_result(done, finished_outcome(done));
    }
    if (auto* record = hooks_.by_key(hook.key)) record->counters.owed = 0;
}

void Broker::Impl::on_ready(const std::string& routing_id, Ready ready) {
    const auto most = static_cast<std::uint64_t>(config_.max_timeout.count());
    if (ready.timeout_ms > most) {
        refuse(ErrorCode::bad_timeout,
               "timeout_ms must be 1.." + std::to_string(most) + ", got " +
                   std::to_string(ready.timeout_ms) +
                   "; the broker's maximum is set with hookbusd --max-timeout",
               ready.req);
    }
    const auto live = hooks_.live_count(ready.name);
    if (live >= ready.hooks) {
        respond(emit_, routing_id, encode(ReadyOk{ready.req, ready.name, true, live}));
        return;
    }
    if (pending_.size() + ready_waits_.size() >= pending_.capacity()) {
        ++counters_.overloaded;
        refuse(ErrorCode::overloaded,
               "the broker holds the most waits it allows (--max-pending); retry later",
               ready.req);
    }
    const auto deadline = Clock::now() + milliseconds(ready.timeout_ms);
    ready_waits_.push_back({routing_id, std::move(ready), deadline});
}

// Answers the readiness waits whose count is reached (ready) or whose deadline has
// passed (not ready), keeping the others in order.
void Broker::Impl::answer_ready_waits(Clock::time_point now) {
    auto keep = ready_waits_.begin();
    for (auto it = ready_waits_.begin(); it != ready_waits_.end(); ++it) {
        const auto live = hooks_.live_count(it->request.name);
        const bool ready = live >= it->request.hooks;
        const bool due = it->deadline <= now;
        if (!ready && !due) {
            if (keep != it) *keep = std::move(*it);
            ++keep;
            continue;
        }
        respond(emit_, it->routing_id,
                encode(ReadyOk{it->request.req, it->request.name, ready, live}));
    }
    ready_waits_.erase(keep, ready_waits_.end());
}

Event Broker::Impl::mint_event(Emit& emit, detail::Uuid* id) {
    Event event;
    event.name = emit.name;
    const auto uuid = detail::new_uuid4();
    event.id = detail::format_uuid(uuid);
    if (id != nullptr) *id = uuid;
    event.run = run_;
    event.seq = next_seq(emit.name, emit.req);
    event.emitted_at = wall_now();
    event.payload_json = std::move(emit.payload_json);
    return event;
}

void Broker::Impl::publish(const Event& event) {
    // XPUB drops for a subscriber whose queue is full; it never blocks the loop.
    encode(event, scratch_);
    events_.send(zmq::buffer(scratch_), zmq::send_flags::dontwait);
    ++counters_.events_emitted;
}

milliseconds Broker::Impl::wait_timeout(const Emit& emit) const {
    if (!emit.timeout_ms) return config_.default_timeout;
    const std::uint64_t wanted = *emit.timeout_ms;
    const auto most = static_cast<std::uint64_t>(config_.max_timeout.count());
    if (wanted == 0 || wanted > most) {
        refuse(ErrorCode::bad_timeout,
               "timeout_ms must be 1.." + std::to_string(most) + ", got " +
                   std::to_string(wanted) +
                   "; the broker's maximum is set with hookbusd --max-timeout",
               emit.req);
    }
    return milliseconds(wanted);
}

std::uint64_t Broker::Impl::next_seq(const std::string& name, std::uint64_t req) {
    auto it = seqs_.find(name);
    if (it == seqs_.end()) {
        if (seqs_.size() >= max_event_names) {
            ++counters_.overloaded;
            refuse(ErrorCode::overloaded,
                   "this broker run has seen " + std::to_string(max_event_names) +
                       " distinct event names, the most it tracks; restart it",
                   req);
        }
        it = seqs_.emplace(name, 0).first;
    }
    return ++it->second;
}

void Broker::Impl::on_stats(const std::string& routing_id, const StatsRequest& request) {
    respond(emit_, routing_id, encode(StatsOk{request.req, stats()}));
}

nlohmann::json Broker::Impl::stats() const {
    const auto uptime =
        std::chrono::duration_cast<milliseconds>(Clock::now() - started_steady_);
    return {
        {"run", run_},
        {"started_at", to_json(started_at_)},
        {"uptime_ms", uptime.count()},
        {"hooks", hooks_json()},
        {"policies", policies_json()},
        {"subscriptions", hooks_.subscriptions()},
        {"pending", pending_.size()},
        {"events_emitted", counters_.events_emitted},
        {"waits_started", counters_.waits_started},
        {"replies_accepted", counters_.replies_accepted},
        {"replies_refused", counters_.replies_refused},
        {"timeouts", counters_.timeouts},
        {"incomplete", counters_.incomplete},
        {"allowed", counters_.allowed},
        {"vetoed", counters_.vetoed},
        {"hooks_cut_off", counters_.hooks_cut_off},
        {"ready_waits", ready_waits_.size()},
        {"no_hook", counters_.no_hook},
        {"overloaded", counters_.overloaded},
        {"bad_messages", counters_.bad_messages},
        {"bad_by_code", counters_.bad_by_code},
        {"bad_subscriptions", counters_.bad_subscriptions},
        {"undeliverable", counters_.undeliverable},
        {"auth_denied", counters_.auth_denied},
    };
}

nlohmann::json Broker::Impl::hooks_json() const {
    const auto now = Clock::now();
    auto hooks = nlohmann::json::array();
    for (const auto& record : hooks_.snapshot()) {
        const auto& counts = record.counters;
        auto latencies = counts.latencies;
        nlohmann::json latency = nullptr;
        if (!latencies.empty()) {
            latency = {{"p50", percentile(latencies, 0.50)},
                       {"p99", percentile(latencies, 0.99)}};
        }
        const auto heard = record.last_heard == Clock::time_point{}
                               ? nlohmann::json(nullptr)
                               : nlohmann::json(std::chrono::duration_cast<milliseconds>(
                                                    now - record.last_heard)
                                                    .count());
        hooks.push_back({{"hook", record.hook},
                         {"instance", record.instance},
                         {"events", record.events},
                         {"observe", record.observe},
                         {"live", record.live()},
                         {"last_heard_ms", heard},
                         {"received", counts.received},
                         {"answers", counts.answers},
                         {"vetoes", counts.vetoes},
                         {"timeouts", counts.timeouts},
                         {"owed", counts.owed},
                         {"latency_us", latency}});
    }
    return hooks;
}

nlohmann::json Broker::Impl::policies_json() const {
    auto describe = [](const NamePolicy& policy) {
        return nlohmann::json{{"expect", to_string(policy.expect)},
                              {"on_failure", to_string(policy.on_failure)}};
    };
    nlohmann::json policies = {{"*", describe(config_.default_policy)}};
    for (const auto& [name, policy] : config_.policies) policies[name] = describe(policy);
    return policies;
}

// ---- replies and events sockets -----------------------------------------------------

void Broker::Impl::on_hook_body(const std::string& routing_id, std::string_view body) {
    auto request = decode_hook_request(body);
    if (auto* hello = std::get_if<Hello>(&request)) {
        on_hello(routing_id, std::move(*hello));
    } else if (auto* reply = std::get_if<Reply>(&request)) {
        on_reply(routing_id, std::move(*reply));
    } else {
        on_bye(routing_id, std::get<Bye>(request));
    }
}

void Broker::Impl::on_hello(const std::string& routing_id, Hello hello) {
    const std::string instance = hello.instance;
    switch (hooks_.on_hello(routing_id, std::move(hello), Clock::now())) {
        case detail::HelloStatus::overloaded:
            ++counters_.overloaded;
            refuse(ErrorCode::overloaded,
                   "the broker knows " + std::to_string(hooks_.size()) +
                       " hooks, the most it allows (--max-hooks); retry later",
                   0);
        case detail::HelloStatus::awaiting_subscription:
            return;
        case detail::HelloStatus::live:
            break;
    }
    if (const auto* record = hooks_.find(instance)) {
        log_hook(LogLevel::info, "HB-HOOK-LIVE", "hook registered", *record);
    }
    respond(replies_, routing_id, encode(HelloOk{instance, run_}));
    if (!ready_waits_.empty()) answer_ready_waits(Clock::now());
}

void Broker::Impl::on_reply(const std::string& routing_id, Reply reply) {
    const auto now = Clock::now();
    detail::HookRecord* hook = nullptr;
    if (!reply.instance.empty()) {
        hook = hooks_.find(reply.instance);
        if (hook != nullptr) hook->last_heard = now;
    }
    const bool registered = reply.instance.empty() || (hook != nullptr && hook->live());
    const auto id = detail::parse_uuid(reply.id);
    auto* wait = id ? pending_.find(*id) : nullptr;
    std::optional<std::uint64_t> key;
    if (hook != nullptr) key = hook->key;
    const bool owed = wait != nullptr && key &&
                      std::find(wait->owed.begin(), wait->owed.end(), *key) !=
                          wait->owed.end();
    const bool accepted = wait != nullptr && detail::admit(*wait, key);
    ++(accepted ? counters_.replies_accepted : counters_.replies_refused);
    encode(ReplyAck{std::move(reply.id), accepted, registered}, scratch_);
    respond(replies_, routing_id, scratch_);
    if (!accepted) return;

    const auto latency = micros_between(wait->published, now);
    auto reason = veto_reason(reply.reply_json);
    if (hook != nullptr) {
        if (owed && hook->counters.owed > 0) --hook->counters.owed;
        ++hook->counters.answers;
        if (reason) ++hook->counters.vetoes;
        hook->counters.add_latency(latency);
    }
    if (reason) wait->vetoes.push_back({reply.hook, reply.instance, std::move(*reason)});
    wait->answers.push_back(Answer{std::move(reply.hook), std::move(reply.instance),
                                   std::move(reply.reply_json), latency});
    if (!detail::finished(*wait)) return;
    auto done = pending_.take(*id);
    send_result(done, finished_outcome(done));
}

void Broker::Impl::on_bye(const std::string& routing_id, const Bye& bye) {
    if (const auto* hook = hooks_.find(bye.instance); hook != nullptr && hook->live()) {
        settle_hook(detail::HookRecord(*hook), MissingWhy::left);
    }
    if (hooks_.on_bye(bye.instance)) {
        log(LogLevel::info, "HB-HOOK-BYE", "hook left instance=" + bye.instance);
    }
    respond(replies_, routing_id, encode(ByeOk{bye.instance}));
}

void Broker::Impl::on_subscription(std::string_view message) {
    using Kind = detail::SubscriptionChange::Kind;
    // XPUB hands up as they are the messages a subscriber sends that start with
    // neither 0 (unsubscribe) nor 1 (subscribe). Read as unsubscriptions, they would
    // let any subscriber unregister another connection's hook by its token.
    if (message.empty() || (message.front() != 0 && message.front() != 1)) {
        ++counters_.bad_subscriptions;
        warn("HB-BAD-SUB", "events socket message that is not a subscription ignored, " +
                               std::to_string(message.size()) + " bytes");
        return;
    }
    const auto change = hooks_.on_subscription(message);
    switch (change.kind) {
        case Kind::became_live:
            log_hook(LogLevel::info, "HB-HOOK-LIVE", "hook registered", change.hook);
            respond(replies_, change.hook.routing_id,
                    encode(HelloOk{change.hook.instance, run_}));
            if (auto* hook = hooks_.find(change.hook.instance)) {
                hook->last_heard = Clock::now();
            }
            if (!ready_waits_.empty()) answer_ready_waits(Clock::now());
            break;
        case Kind::dropped:
            log_hook(LogLevel::info, "HB-HOOK-GONE", "hook disconnected", change.hook);
            settle_hook(change.hook, MissingWhy::died);
            break;
        case Kind::refused:
            warn("HB-HOOK-FULL",
                 "hook token refused, the hook table is full "
                 "(--max-hooks) instance=" +
                     change.hook.instance);
            break;
        case Kind::none:
            break;
    }
}

void Broker::Impl::log_hook(LogLevel level, std::string_view id, std::string_view what,
                            const detail::HookRecord& hook) {
    log(level, id,
        std::string(what) + " hook=" + hook.hook + " instance=" + hook.instance +
            " events=" + join(hook.events));
}

// ---- responses and logs -------------------------------------------------------------

void Broker::Impl::respond(zmq::socket_t& socket, std::string_view routing_id,
                           const std::string& body) {
    if (detail::try_send_router(socket, routing_id, body)) return;
    ++counters_.undeliverable;
    warn("HB-UNDELIVERABLE",
         "response dropped: peer=" + detail::hex(routing_id) + " is gone or not reading");
}

WaitOutcome Broker::Impl::finished_outcome(const detail::PendingWait& wait) {
    if (wait.expect == Expect::first && !wait.answers.empty()) return WaitOutcome::replied;
    return wait.missing.empty() ? WaitOutcome::replied : WaitOutcome::incomplete;
}

void Broker::Impl::send_result(detail::PendingWait& wait, WaitOutcome outcome) {
    // A first wait answered early leaves the rest of its expected set owing nothing.
    for (const auto key : wait.owed) {
        auto* hook = hooks_.by_key(key);
        if (hook != nullptr && hook->counters.owed > 0) --hook->counters.owed;
    }
    Result result;
    result.req = wait.req;
    result.id = detail::format_uuid(wait.id);
    result.outcome = outcome;
    result.replies = std::move(wait.answers);
    result.expect = wait.expect;
    result.on_failure = wait.on_failure;
    result.vetoes = std::move(wait.vetoes);
    const bool hook_vetoed = !result.vetoes.empty();
    if (wait.on_failure == OnFailure::closed) {
        for (const auto& gone : wait.missing) {
            result.vetoes.push_back({gone.hook, gone.instance,
                                     "hook " + gone.hook + " (instance " + gone.instance +
                                         ") " + std::string(to_string(gone.why)) +
                                         ", on_failure closed"});
        }
    }
    result.verdict = result.vetoes.empty() ? Decision::allowed : Decision::vetoed;
    result.decided_by =
        hook_vetoed || wait.missing.empty() ? DecidedBy::hook : DecidedBy::policy;
    result.missing = std::move(wait.missing);
    if (outcome == WaitOutcome::incomplete) ++counters_.incomplete;
    ++(result.verdict == Decision::vetoed ? counters_.vetoed : counters_.allowed);
    encode(result, scratch_);
    respond(emit_, wait.routing_id, scratch_);
}

void Broker::Impl::refuse_message(zmq::socket_t& socket,
                                  const detail::RouterMessage& message,
                                  const DecodeError& error) {
    const std::string code(to_string(error.code()));
    if (error.code() != ErrorCode::overloaded) {
        ++counters_.bad_messages;
        ++counters_.bad_by_code[code];
        warn("HB-BAD-MSG", describe_peer(message) + " code=" + code + " " + error.what());
    }
    Error response{error.req(), error.code(), code, error.what()};
    respond(socket, message.routing_id, encode(response));
}

void Broker::Impl::log(LogLevel level, std::string_view id,
                       const std::string& message) const {
    if (config_.log) config_.log(level, id, message);
}

void Broker::Impl::warn(std::string_view id, const std::string& message) {
    if (!config_.log) return;
    const auto decision = warnings_.admit(id, Clock::now());
    if (decision.suppressed_before > 0) {
        log(LogLevel::warning, id,
            "suppressed " + std::to_string(decision.suppressed_before) +
                " similar records in the last window");
    }
    if (decision.log) log(LogLevel::warning, id, message);
}

// ---- public face --------------------------------------------------------------------

Broker::Broker(BrokerConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}

Broker::~Broker() = default;

const Endpoints& Broker::endpoints() const { return impl_->endpoints_; }

std::uint64_t Broker::run_id() const { return impl_->run_; }

void Broker::run() { impl_->run(); }

void Broker::stop() noexcept { impl_->stop(); }

}  // namespace hookbus
