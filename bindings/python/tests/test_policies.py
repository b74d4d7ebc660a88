"""Reply policies (docs/protocol.md section 13) against a real broker: the
verdict, the failure policy, observers, readiness, per-name defaults and the
re-announcement of a hook that was cut off for lagging."""

import asyncio
import threading
import time

import hookbus
from conftest import wait_until


def answering_app(directory, name, reason="", events=("capture",)):
    """A hook that answers every event of ``events`` with ``{"abort": reason}``."""
    app = hookbus.HookApp(name, directory=directory)
    app.on(*events)(lambda event: {"abort": reason, "by": name})
    return app


def serve_three(broker, serve, reasons=("", "", "")):
    apps = [serve(answering_app(broker.directory, name, reason))
            for name, reason in zip(("one", "two", "three"), reasons)]
    return {app.name: app.hook.instance for app in apps}


def test_all_of_three_allow(broker, emitter, serve):
    instances = serve_three(broker, serve)
    outcome = emitter.emit_and_wait("capture", {}, timeout=5, policy="all")
    assert (outcome.status, outcome.verdict, outcome.decided_by) == (
        "replied", "allowed", "hook")
    assert (outcome.policy, outcome.on_failure) == ("all", "open")
    assert not outcome.vetoed and outcome.abort == ""
    assert sorted((r.hook, r.instance) for r in outcome.replies) == sorted(
        instances.items())
    assert all(r.latency_us > 0 for r in outcome.replies), outcome.replies
    assert outcome.vetoes == [] and outcome.missing == []


def test_one_veto_among_three_vetoes_with_its_reason(broker, emitter, serve):
    instances = serve_three(broker, serve, ("", "not on main", ""))
    outcome = emitter.emit_and_wait("capture", {}, timeout=5, policy="all")
    assert (outcome.status, outcome.verdict, outcome.decided_by) == (
        "replied", "vetoed", "hook")
    assert outcome.vetoes == [hookbus.Veto("two", instances["two"], "not on main")]
    assert (outcome.vetoed, outcome.abort) == (True, "not on main")
    assert len(outcome.replies) == 3


def test_expect_keyword_still_works_as_the_policy(broker, emitter, serve):
    serve_three(broker, serve)
    outcome = emitter.emit_and_wait("capture", {}, timeout=5, expect="all")
    assert (outcome.policy, len(outcome.replies)) == ("all", 3)


def _with_a_silent_hook(broker, serve, emitter, on_failure):
    serve(answering_app(broker.directory, "talker"))
    with hookbus.Hook("mute", ["capture"], directory=broker.directory) as mute:
        assert mute.wait_ready(5)
        started = time.monotonic()
        outcome = emitter.emit_and_wait("capture", {}, timeout=0.3, policy="all",
                                        on_failure=on_failure)
        elapsed = time.monotonic() - started
    assert 0.25 <= elapsed < 1.0
    assert outcome.status == "timed_out"
    assert [r.hook for r in outcome.replies] == ["talker"]
    assert outcome.missing == [hookbus.Missing("mute", mute.instance, "timed_out")]
    assert (outcome.policy, outcome.on_failure) == ("all", on_failure)
    return outcome


def test_silent_hook_under_closed_is_a_veto_by_policy(broker, emitter, serve):
    outcome = _with_a_silent_hook(broker, serve, emitter, "closed")
    assert (outcome.verdict, outcome.decided_by, outcome.vetoed) == (
        "vetoed", "policy", True)
    assert [(v.hook, v.instance) for v in outcome.vetoes] == [
        ("mute", outcome.missing[0].instance)]
    assert outcome.abort == outcome.vetoes[0].reason != ""


def test_silent_hook_under_open_is_allowed_by_policy(broker, emitter, serve):
    outcome = _with_a_silent_hook(broker, serve, emitter, "open")
    assert (outcome.verdict, outcome.decided_by, outcome.vetoed) == (
        "allowed", "policy", False)
    assert outcome.vetoes == [] and outcome.abort == ""


def observer_app(directory, seen):
    app = hookbus.HookApp("auditor", directory=directory)

    @app.observe("capture")
    def audit(event):
        seen.append(event.id)
        return "ignored: observers never answer"
    return app


def test_an_observer_alone_is_no_hook(broker, emitter, serve):
    seen = []
    app = serve(observer_app(broker.directory, seen))
    [entry] = broker.stats()["hooks"]
    assert (entry["instance"], entry["events"], entry["observe"]) == (
        app.hook.instance, [], ["capture"])
    outcome = emitter.emit_and_wait("capture", {}, timeout=2, policy="all")
    assert (outcome.status, outcome.replies, outcome.missing) == ("no_hook", [], [])


def test_an_observer_gets_the_event_but_is_never_counted(broker, emitter, serve):
    seen = []
    serve(observer_app(broker.directory, seen))
    talker = serve(answering_app(broker.directory, "talker"))
    outcome = emitter.emit_and_wait("capture", {}, timeout=5, policy="all",
                                    on_failure="closed")
    assert (outcome.status, outcome.verdict) == ("replied", "allowed")
    assert [(r.hook, r.instance) for r in outcome.replies] == [
        ("talker", talker.hook.instance)]
    assert outcome.missing == [] and outcome.vetoes == []
    assert wait_until(lambda: seen == [outcome.id])


def test_wait_ready_returns_once_a_hook_is_live(broker, emitter):
    app = answering_app(broker.directory, "late")

    def start_later():
        time.sleep(0.3)
        app.run(poll_interval=0.05)
    thread = threading.Thread(target=start_later, daemon=True)
    thread.start()
    try:
        started = time.monotonic()
        readiness = emitter.wait_ready("capture", hooks=1, timeout=5)
        elapsed = time.monotonic() - started
        assert readiness and (readiness.ready, readiness.hooks) == (True, 1)
        assert 0.2 <= elapsed < 4
        # Ready means subscribed: an event emitted now reaches the hook.
        outcome = emitter.emit_and_wait("capture", {}, timeout=5)
        assert (outcome.status, outcome.replies[0].hook) == ("replied", "late")
    finally:
        app.stop()
        thread.join(5)


def test_wait_ready_times_out_with_the_count_it_has(broker, emitter, serve):
    serve(answering_app(broker.directory, "only"))
    serve(observer_app(broker.directory, []))  # observers do not count
    started = time.monotonic()
    readiness = emitter.wait_ready("capture", hooks=2, timeout=0.3)
    elapsed = time.monotonic() - started
    assert not readiness and (readiness.ready, readiness.hooks) == (False, 1)
    assert 0.25 <= elapsed < 1.0


def test_async_wait_ready(broker, serve):
    serve(answering_app(broker.directory, "one"))

    async def main():
        async with hookbus.AsyncEmitter(directory=broker.directory) as emitter:
            return await emitter.wait_ready("capture", 1, 2)
    assert asyncio.run(main()) == (True, 1)


def test_wait_ready_without_broker_raises_unreachable(short_dir):
    with hookbus.Emitter(directory=short_dir, grace=0.2) as emitter:
        started = time.monotonic()
        try:
            emitter.wait_ready("capture", timeout=0.2)
        except hookbus.BrokerUnreachable:
            pass
        else:
            raise AssertionError("wait_ready returned without a broker")
    assert time.monotonic() - started < 1.5


def test_unreachable_broker_vetoes_a_wait_that_asked_to_fail_closed(short_dir):
    with hookbus.Emitter(directory=short_dir, grace=0.1) as emitter:
        closed = emitter.emit_and_wait("capture", {}, timeout=0.1,
                                       on_failure="closed")
        opened = emitter.emit_and_wait("capture", {}, timeout=0.1)
    assert closed.status == hookbus.Status.UNREACHABLE
    assert closed.vetoed and closed.decided_by == "policy"
    assert "unreachable" in closed.abort
    assert opened.status == hookbus.Status.UNREACHABLE
    assert not opened.vetoed


def test_broker_defaults_apply_when_the_emitter_leaves_them(make_broker):
    broker = make_broker("--policy", "capture=all", "--on-failure", "capture=closed")
    with hookbus.Emitter(directory=broker.directory) as emitter:
        defaulted = emitter.emit_and_wait("capture", {}, timeout=1)
        chosen = emitter.emit_and_wait("capture", {}, timeout=1, policy="first",
                                       on_failure="open")
        other = emitter.emit_and_wait("other", {}, timeout=1)
        policies = emitter.stats()["policies"]
    assert (defaulted.policy, defaulted.on_failure) == ("all", "closed")
    # no_hook under closed: the policy's one veto, with no hook named.
    assert (defaulted.status, defaulted.verdict, defaulted.decided_by) == (
        "no_hook", "vetoed", "policy")
    assert [(v.hook, v.instance) for v in defaulted.vetoes] == [("", "")]
    assert (chosen.policy, chosen.on_failure, chosen.verdict) == (
        "first", "open", "allowed")
    assert (other.policy, other.on_failure) == ("first", "open")
    assert policies["capture"] == {"expect": "all", "on_failure": "closed"}


def test_a_hook_cut_off_for_lagging_announces_itself_again(make_broker):
    broker = make_broker("--max-owed", "1")
    with hookbus.Hook("slow", ["capture"], directory=broker.directory) as hook, \
            hookbus.Emitter(directory=broker.directory) as emitter:
        assert hook.wait_ready(5)

        async def two_waits():
            async with hookbus.AsyncEmitter(directory=broker.directory) as emitter:
                return await asyncio.gather(
                    *(emitter.emit_and_wait("capture", {}, timeout=3)
                      for _ in "ab"))
        started = time.monotonic()
        outcomes = asyncio.run(two_waits())
        assert time.monotonic() - started < 2.5, outcomes  # settled, not timed out
        assert any(m == hookbus.Missing("slow", hook.instance, "lagged")
                   for o in outcomes for m in o.missing), outcomes
        assert broker.stats()["hooks_cut_off"] == 1

        # The next reply learns of the cut-off, and the hook says hello again.
        event = hook.next(timeout=5)
        assert event.reply() is False
        assert hook.cut_offs == 1
        assert hook.wait_ready(5)

        answered = []
        thread = threading.Thread(
            target=lambda: answered.append(hook.next(timeout=5).reply(ok=1)))
        while hook.next(timeout=0.2) is not None:  # drop the other stale event
            pass
        thread.start()
        outcome = emitter.emit_and_wait("capture", {}, timeout=5, policy="all")
        thread.join(5)
    assert (outcome.status, outcome.verdict, answered) == ("replied", "allowed",
                                                           [True])
    assert hook.cut_offs == 1
