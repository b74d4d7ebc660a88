// Emitter: one DEALER on the broker's emit socket carrying any number of requests,
// each tagged with a `req` number of its own. Every request also has a client-side
// deadline, so a broker that is gone (or was never there) ends it as unreachable.
// Every call costs O(log n) in the requests in flight, not O(n): requests are found by
// `req` in a hash map, unsent ones wait in a queue and deadlines sit in a min-heap.
#include <algorithm>
#include <deque>
#include <functional>
#include <hookbus/emitter.hpp>
#include <hookbus/endpoints.hpp>
#include <map>
#include <stdexcept>
#include <unordered_map>
#include <utility>
#include <vector>

#include "client_socket.hpp"

namespace hookbus {

using detail::Clock;

std::string_view to_string(Status status) {
    switch (status) {
        case Status::ok:
            return "ok";
        case Status::replied:
            return "replied";
        case Status::timed_out:
            return "timed_out";
        case Status::incomplete:
            return "incomplete";
        case Status::no_hook:
            return "no_hook";
        case Status::unreachable:
            return "unreachable";
        case Status::overloaded:
            return "overloaded";
        case Status::shutting_down:
            return "shutting_down";
        case Status::refused:
            return "refused";
    }
    return "unknown";
}

namespace {

// While requests wait for room in the socket's queue (its high-water mark), wake up
// now and then to retry even if ZeroMQ signals nothing.
constexpr std::chrono::milliseconds send_retry{50};

// Beyond this many stale entries per live one, the deadline heap is rebuilt.
constexpr std::size_t stale_deadlines_per_request = 2;

struct Request {
    std::string body;      ///< emptied once sent
    bool started = false;  ///< from start(): next() hands it back
    std::chrono::milliseconds budget{0};  ///< the client deadline, for the message
    bool fail_closed = false;  ///< a wait that asked for on_failure closed
};

bool broker_decided(Status status) {
    return status == Status::replied || status == Status::timed_out ||
           status == Status::incomplete || status == Status::no_hook;
}

// A wait that asked to fail closed and got no verdict from the broker (unreachable,
// overloaded, shutting down, refused) is vetoed here, by the same policy.
void veto_locally(Outcome& outcome) {
    outcome.on_failure = OnFailure::closed;
    outcome.verdict = Decision::vetoed;
    outcome.decided_by = DecidedBy::policy;
    outcome.vetoes.push_back({"", "",
                              "no verdict from the broker (" +
                                  std::string(to_string(outcome.status)) +
                                  "), on_failure closed"});
}

/// A client deadline and its request; ordered so that the heap's top is the soonest.
using Deadline = std::pair<Clock::time_point, std::uint64_t>;

struct Finished {
    Outcome outcome;
    std::optional<nlohmann::json> stats;
    std::optional<ReadyOk> ready;
};

Status status_of(WaitOutcome outcome) {
    switch (outcome) {
        case WaitOutcome::replied:
            return Status::replied;
        case WaitOutcome::timed_out:
            return Status::timed_out;
        case WaitOutcome::incomplete:
            return Status::incomplete;
        case WaitOutcome::no_hook:
            return Status::no_hook;
    }
    return Status::refused;
}

Status status_of(ErrorCode code) {
    if (code == ErrorCode::overloaded) return Status::overloaded;
    if (code == ErrorCode::shutting_down) return Status::shutting_down;
    return Status::refused;
}

Finished finished_from(const EmitResponse& response) {
    Finished done;
    if (auto* ack = std::get_if<Ack>(&response)) {
        done.outcome.status = Status::ok;
        done.outcome.id = ack->id;
        done.outcome.seq = ack->seq;
    } else if (auto* result = std::get_if<Result>(&response)) {
        done.outcome.status = status_of(result->outcome);
        done.outcome.id = result->id;
        done.outcome.replies = result->replies;
        done.outcome.expect = result->expect;
        done.outcome.on_failure = result->on_failure;
        done.outcome.verdict = result->verdict;
        done.outcome.decided_by = result->decided_by;
        done.outcome.vetoes = result->vetoes;
        done.outcome.missing = result->missing;
    } else if (auto* stats = std::get_if<StatsOk>(&response)) {
        done.outcome.status = Status::ok;
        done.stats = stats->stats;
    } else if (auto* ready = std::get_if<ReadyOk>(&response)) {
        done.outcome.status = Status::ok;
        done.ready = *ready;
    } else {
        const auto& error = std::get<Error>(response);
        done.outcome.status = status_of(error.code);
        done.outcome.error_code = error.code;
        done.outcome.error_message = error.message;
    }
    return done;
}

std::uint64_t req_of(const EmitResponse& response) {
    return std::visit([](const auto& r) { return r.req; }, response);
}

}  // namespace

struct Emitter::Impl {
    EmitterOptions options;
    std::unique_ptr<zmq::context_t> owned_context;
    zmq::context_t& context;
    std::unique_ptr<zmq::socket_t> socket;
    std::unique_ptr<detail::LinkMonitor> link;
    std::uint64_t last_req = 0;
    std::unordered_map<std::uint64_t, Request> pending;
    /// Requests not yet sent, oldest first. Entries of requests that ended before
    /// they were sent are skipped when they reach the front.
    std::deque<std::uint64_t> unsent;
    /// Min-heap of client deadlines (std::greater). Entries of finished requests
    /// stay until they reach the top (lazy deletion) or the heap is rebuilt.
    std::vector<Deadline> deadlines;
    std::size_t started_pending = 0;             ///< start() requests in `pending`
    std::deque<Completion> completed;            ///< finished start() requests
    std::map<std::uint64_t, Finished> answered;  ///< finished emit() and stats()

    explicit Impl(EmitterOptions given);

    void open();
    void discard_queue();

    void submit(std::uint64_t req, std::string body, std::chrono::milliseconds budget,
                bool started);
    std::uint64_t submit_wait(std::string_view name, std::string_view payload_json,
                              std::chrono::milliseconds timeout,
                              const WaitPolicy& policy, bool started);
    void finish(std::uint64_t req, Finished done);
    void flush_unsent();
    void add_deadline(std::uint64_t req, Clock::time_point deadline);
    std::optional<Clock::time_point> next_deadline();
    void expire(Clock::time_point now);
    void drain();
    void pump(Clock::time_point deadline);
    Finished await(std::uint64_t req);
    std::string checked_body(const Emit& emit) const;
};

Emitter::Impl::Impl(EmitterOptions given)
    : options(std::move(given)),
      context(detail::context_or_own(options.context, owned_context)) {
    if (options.endpoint.empty()) options.endpoint = default_endpoints().emit;
    open();
}

// ZMQ_IMMEDIATE would keep requests from queueing while no broker is connected, but
// libzmq then also discards responses not yet read when the connection drops, such as
// the `shutting_down` a stopping broker sends. So requests may queue, and
// discard_queue() empties the queue once a request expires with no broker connected,
// so that a broker starting later never receives requests already given up on.
void Emitter::Impl::open() {
    socket = std::make_unique<zmq::socket_t>(context, zmq::socket_type::dealer);
    detail::apply_client_options(*socket);
    detail::apply_curve(*socket, options.curve);
    link = std::make_unique<detail::LinkMonitor>(context, *socket);
    socket->connect(options.endpoint);
}

void Emitter::Impl::discard_queue() {
    drain();
    link.reset();
    socket.reset();
    open();
}

std::string Emitter::Impl::checked_body(const Emit& emit) const {
    if (!valid_event_name(emit.name)) {
        throw std::invalid_argument(
            "hookbus: invalid event name '" + emit.name +
            "': use 1 to 128 characters of [A-Za-z0-9_.:/-], not starting with "
            "'.', ':', '/' or '-'");
    }
    std::string body = encode(emit);
    if (body.size() > options.max_msg_size) {
        throw std::invalid_argument("hookbus: request of " + std::to_string(body.size()) +
                                    " bytes exceeds the broker's limit of " +
                                    std::to_string(options.max_msg_size) +
                                    " bytes; send a smaller payload");
    }
    return body;
}

void Emitter::Impl::submit(std::uint64_t req, std::string body,
                           std::chrono::milliseconds budget, bool started) {
    pending.emplace(req, Request{std::move(body), started, budget});
    unsent.push_back(req);
    add_deadline(req, Clock::now() + budget);
    if (started) ++started_pending;
    flush_unsent();
}

std::uint64_t Emitter::Impl::submit_wait(std::string_view name,
                                         std::string_view payload_json,
                                         std::chrono::milliseconds timeout,
                                         const WaitPolicy& policy, bool started) {
    if (timeout.count() < 1)
        throw std::invalid_argument("hookbus: a wait's timeout must be at least 1 ms");
    Emit request;
    request.req = ++last_req;
    request.name = std::string(name);
    request.payload_json = std::string(payload_json);
    request.wait = true;
    request.timeout_ms = static_cast<std::uint64_t>(timeout.count());
    request.expect = policy.expect;
    request.on_failure = policy.on_failure;
    auto body = checked_body(request);
    submit(request.req, std::move(body), timeout + options.grace, started);
    pending.at(request.req).fail_closed = policy.on_failure == OnFailure::closed;
    return request.req;
}

void Emitter::Impl::finish(std::uint64_t req, Finished done) {
    auto it = pending.find(req);
    if (it == pending.end()) return;  // stale: already expired, or not ours
    bool started = it->second.started;
    if (it->second.fail_closed && !broker_decided(done.outcome.status)) {
        veto_locally(done.outcome);
    }
    pending.erase(it);
    if (started) {
        --started_pending;
        completed.push_back(Completion{req, std::move(done.outcome)});
    } else {
        answered.emplace(req, std::move(done));
    }
}

void Emitter::Impl::flush_unsent() {
    while (!unsent.empty()) {
        auto it = pending.find(unsent.front());
        if (it != pending.end()) {
            if (!detail::send_framed(*socket, it->second.body)) return;
            std::string().swap(it->second.body);
        }
        unsent.pop_front();
    }
}

void Emitter::Impl::add_deadline(std::uint64_t req, Clock::time_point deadline) {
    deadlines.emplace_back(deadline, req);
    std::push_heap(deadlines.begin(), deadlines.end(), std::greater<>());
    // Finished requests leave their entries behind; rebuilding from `pending` when
    // they outnumber the live ones keeps the heap O(in flight) at O(1) amortised.
    if (deadlines.size() <= stale_deadlines_per_request * pending.size() + 64) return;
    std::vector<Deadline> live;
    live.reserve(pending.size());
    for (const auto& entry : deadlines) {
        if (pending.count(entry.second) != 0) live.push_back(entry);
    }
    std::make_heap(live.begin(), live.end(), std::greater<>());
    deadlines = std::move(live);
}

// The soonest deadline of a request still pending, dropping the stale ones above it.
std::optional<Clock::time_point> Emitter::Impl::next_deadline() {
    while (!deadlines.empty() && pending.count(deadlines.front().second) == 0) {
        std::pop_heap(deadlines.begin(), deadlines.end(), std::greater<>());
        deadlines.pop_back();
    }
    if (deadlines.empty()) return std::nullopt;
    return deadlines.front().first;
}

void Emitter::Impl::expire(Clock::time_point now) {
    bool overdue = false;
    while (auto soonest = next_deadline()) {
        if (*soonest > now) break;
        auto req = deadlines.front().second;
        std::pop_heap(deadlines.begin(), deadlines.end(), std::greater<>());
        deadlines.pop_back();
        Finished done;
        done.outcome.status = Status::unreachable;
        done.outcome.error_message =
            "no response from the broker at " + options.endpoint + " within " +
            std::to_string(pending.at(req).budget.count()) + " ms";
        finish(req, std::move(done));
        overdue = true;
    }
    if (overdue && !link->up()) discard_queue();
}

void Emitter::Impl::drain() {
    while (auto body = detail::recv_framed(*socket)) {
        try {
            auto response = decode_emit_response(*body);
            finish(req_of(response), finished_from(response));
        } catch (const DecodeError&) {
            // A response this client cannot read cannot be matched to a request
            // either; its request ends at its client deadline.
        }
    }
}

// Sends what can be sent, reads what arrived and expires what is overdue, waiting
// at most until `deadline` (or the earliest request deadline) for something to do.
void Emitter::Impl::pump(Clock::time_point deadline) {
    flush_unsent();
    if (auto soonest = next_deadline()) deadline = std::min(deadline, *soonest);
    // flush_unsent() stops only at a live request the socket refused.
    bool blocked = !unsent.empty();
    if (blocked) deadline = std::min(deadline, Clock::now() + send_retry);

    short events = ZMQ_POLLIN | (blocked ? ZMQ_POLLOUT : 0);
    zmq_pollitem_t items[] = {{socket->handle(), 0, events, 0},
                              {link->socket().handle(), 0, ZMQ_POLLIN, 0}};
    detail::poll_items(items, 2, detail::poll_timeout(deadline));
    if (items[1].revents & ZMQ_POLLIN) link->read_events();
    if (items[0].revents & ZMQ_POLLIN) drain();
    expire(Clock::now());
}

Finished Emitter::Impl::await(std::uint64_t req) {
    while (true) {
        auto it = answered.find(req);
        if (it != answered.end()) {
            Finished done = std::move(it->second);
            answered.erase(it);
            return done;
        }
        pump(Clock::time_point::max());
    }
}

Emitter::Emitter(EmitterOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

Emitter::~Emitter() = default;

Outcome Emitter::emit(std::string_view name, std::string_view payload_json) {
    Emit request;
    request.req = ++impl_->last_req;
    request.name = std::string(name);
    request.payload_json = std::string(payload_json);
    auto body = impl_->checked_body(request);
    impl_->submit(request.req, std::move(body), impl_->options.request_timeout, false);
    return impl_->await(request.req).outcome;
}

Outcome Emitter::emit_and_wait(std::string_view name, std::string_view payload_json,
                               std::chrono::milliseconds timeout, WaitPolicy policy) {
    auto req = impl_->submit_wait(name, payload_json, timeout, policy, false);
    return impl_->await(req).outcome;
}

std::uint64_t Emitter::start(std::string_view name, std::string_view payload_json,
                             std::chrono::milliseconds timeout, WaitPolicy policy) {
    return impl_->submit_wait(name, payload_json, timeout, policy, true);
}

Readiness Emitter::wait_ready(std::string_view name, std::uint64_t hooks,
                              std::chrono::milliseconds timeout) {
    if (!valid_event_name(name)) {
        throw std::invalid_argument("hookbus: invalid event name '" + std::string(name) +
                                    "'");
    }
    if (hooks < 1 || timeout.count() < 1) {
        throw std::invalid_argument(
            "hookbus: wait_ready needs at least 1 hook and a timeout of at least 1 ms");
    }
    Ready request{++impl_->last_req, std::string(name), hooks,
                  static_cast<std::uint64_t>(timeout.count())};
    impl_->submit(request.req, encode(request), timeout + impl_->options.grace, false);
    auto done = impl_->await(request.req);
    Readiness readiness;
    readiness.status = done.outcome.status;
    readiness.error_message = done.outcome.error_message;
    if (done.ready) {
        readiness.ready = done.ready->ready;
        readiness.hooks = done.ready->hooks;
    }
    return readiness;
}

std::optional<Completion> Emitter::next(std::chrono::milliseconds max_block) {
    auto deadline = Clock::now() + max_block;
    while (impl_->completed.empty()) {
        bool waiting = impl_->started_pending > 0;
        if (!waiting || Clock::now() >= deadline) break;
        impl_->pump(deadline);
    }
    if (impl_->completed.empty()) return std::nullopt;
    Completion done = std::move(impl_->completed.front());
    impl_->completed.pop_front();
    return done;
}

std::size_t Emitter::in_flight() const {
    return impl_->completed.size() + impl_->started_pending;
}

std::optional<nlohmann::json> Emitter::stats() {
    StatsRequest request{++impl_->last_req};
    impl_->submit(request.req, encode(request), impl_->options.request_timeout, false);
    return impl_->await(request.req).stats;
}

}  // namespace hookbus
