"""The blocking Emitter against a real broker."""

import time
import uuid

import pytest

import hookbus


def veto_app(directory, name="guard", reason="no captures on main", **extra):
    app = hookbus.HookApp(name, directory=directory)

    @app.on("capture")
    def check(event):
        return {"abort": reason, **extra}
    return app


def test_fire_and_forget_returns_a_uuid4(emitter):
    event_id = emitter.emit("capture", {"a": 1})
    assert str(uuid.UUID(event_id, version=4)) == event_id


def test_replied_carries_abort_extra_fields_and_hook_name(broker, emitter, serve):
    serve(veto_app(broker.directory, score=3, tags=["x", "y"]))
    outcome = emitter.emit_and_wait("capture", {"branch": "main"}, timeout=5)
    assert (outcome.status, outcome.abort, outcome.vetoed) == (
        "replied", "no captures on main", True)
    assert outcome.replies[0].data == {"abort": "no captures on main", "score": 3,
                                       "tags": ["x", "y"]}
    assert outcome.replies[0].hook == "guard"


def test_replied_outcome_has_the_event_id(broker, emitter, serve):
    serve(veto_app(broker.directory))
    outcome = emitter.emit_and_wait("capture", {}, timeout=5)
    assert uuid.UUID(outcome.id).version == 4


def test_silent_hook_times_out_near_the_deadline(broker, emitter):
    with hookbus.Hook("sleepy", ["capture"], directory=broker.directory) as hook:
        assert hook.wait_ready(5)
        started = time.monotonic()
        outcome = emitter.emit_and_wait("capture", {}, timeout=0.3)
        elapsed = time.monotonic() - started
    assert outcome.status == hookbus.Status.TIMED_OUT
    assert 0.25 <= elapsed < 0.8


def test_no_hook_is_answered_at_once(emitter):
    started = time.monotonic()
    outcome = emitter.emit_and_wait("capture", {}, timeout=5)
    assert (outcome.status, outcome.id) == ("no_hook", "")
    assert time.monotonic() - started < 0.5


def test_a_request_given_up_on_never_reaches_a_broker_started_later(make_broker,
                                                                   short_dir):
    import os
    directory = os.path.join(short_dir, "bus")
    with hookbus.Emitter(directory=directory, grace=0.1) as emitter:
        lost = emitter.emit_and_wait("capture", {}, timeout=0.1)
        assert lost.status == hookbus.Status.UNREACHABLE
        broker = make_broker()
        assert emitter.emit("capture", {})       # the same emitter works again
        stats = emitter.stats()
    # The wait given up on would have been answered no_hook had it arrived.
    assert (stats["no_hook"], stats["events_emitted"]) == (0, 1)
    assert broker.directory == directory


def test_async_request_given_up_on_never_reaches_a_broker_started_later(
        make_broker, short_dir):
    import asyncio
    import os
    directory = os.path.join(short_dir, "bus")

    async def main():
        async with hookbus.AsyncEmitter(directory=directory, grace=0.1) as emitter:
            lost = await emitter.emit_and_wait("capture", {}, timeout=0.1)
            make_broker()
            await emitter.emit("capture", {})
            stats = await emitter.stats()
            return lost.status, stats["no_hook"], stats["events_emitted"]
    assert asyncio.run(main()) == (hookbus.Status.UNREACHABLE, 0, 1)


def test_wait_without_broker_is_unreachable_after_timeout_and_grace(short_dir):
    with hookbus.Emitter(directory=short_dir) as emitter:
        started = time.monotonic()
        outcome = emitter.emit_and_wait("capture", {}, timeout=0.2)
        elapsed = time.monotonic() - started
    assert outcome.status == hookbus.Status.UNREACHABLE
    assert 0.6 <= elapsed < 1.5


def test_emit_without_broker_raises_unreachable(short_dir):
    with hookbus.Emitter(directory=short_dir, request_timeout=0.2) as emitter:
        with pytest.raises(hookbus.BrokerUnreachable):
            emitter.emit("capture", {})


def test_expect_all_collects_one_answer_per_hook(broker, emitter, serve):
    serve(veto_app(broker.directory, "one", ""))
    serve(veto_app(broker.directory, "two", ""))
    outcome = emitter.emit_and_wait("capture", {}, timeout=5, expect="all")
    assert outcome.status == "replied" and not outcome.vetoed
    assert sorted(r.hook for r in outcome.replies) == ["one", "two"]


def test_stats_counts_emitted_events(emitter):
    emitter.emit("capture", {})
    assert emitter.stats()["events_emitted"] >= 1


def test_first_reply_is_accepted_and_a_second_is_not(broker, emitter):
    import threading

    with hookbus.Hook("twice", ["capture"], directory=broker.directory) as hook:
        assert hook.wait_ready(5)
        verdicts = []

        def answer():
            event = hook.next(timeout=5)
            verdicts.append(event.reply(abort="first"))
            verdicts.append(event.reply(abort="second"))
        thread = threading.Thread(target=answer)
        thread.start()
        outcome = emitter.emit_and_wait("capture", {}, timeout=5)
        thread.join(5)
    assert verdicts == [True, False]
    assert outcome.abort == "first"


def test_broker_stopping_ends_a_wait_as_shutting_down(broker, emitter):
    import threading

    with hookbus.Hook("sleepy", ["capture"], directory=broker.directory) as hook:
        assert hook.wait_ready(5)
        stopper = threading.Timer(0.3, broker.stop)
        stopper.start()
        outcome = emitter.emit_and_wait("capture", {}, timeout=5)
        stopper.join()
    assert outcome.status == hookbus.Status.SHUTTING_DOWN


def test_full_pending_table_is_overloaded(make_broker):
    import asyncio

    broker = make_broker("--max-pending", "1")

    async def two_waits():
        async with hookbus.AsyncEmitter(directory=broker.directory) as emitter:
            return await asyncio.gather(
                *(emitter.emit_and_wait("capture", {}, timeout=0.5) for _ in "ab"))
    with hookbus.Hook("sleepy", ["capture"], directory=broker.directory) as hook:
        assert hook.wait_ready(5)
        statuses = sorted(o.status.value for o in asyncio.run(two_waits()))
    assert statuses == ["overloaded", "timed_out"]


def test_timeout_above_the_broker_maximum_is_refused(make_broker):
    broker = make_broker("--max-timeout", "1s", "--default-timeout", "1s")
    with hookbus.Emitter(directory=broker.directory) as emitter:
        outcome = emitter.emit_and_wait("capture", {}, timeout=5)
    assert (outcome.status, outcome.error_code) == ("refused", "bad_timeout")
