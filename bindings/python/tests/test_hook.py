"""Hooks, the decorator app and listeners against a real broker."""

import datetime
import logging
import threading

import hookbus
from conftest import wait_until

UTC = datetime.timezone.utc


def test_hook_gets_hello_ok(broker):
    with hookbus.Hook("h", ["capture"], directory=broker.directory) as hook:
        assert hook.wait_ready(5)


def test_live_hook_is_listed_in_stats(broker):
    with hookbus.Hook("h", ["capture"], directory=broker.directory) as hook:
        hook.wait_ready(5)
        hooks = broker.stats()["hooks"]
    assert [(h["hook"], h["instance"], h["live"]) for h in hooks] == [
        ("h", hook.instance, True)]


def test_event_fields_reach_the_hook(broker, emitter):
    with hookbus.Hook("h", ["capture"], directory=broker.directory) as hook:
        hook.wait_ready(5)
        event_id = emitter.emit("capture", {"path": "a.txt"})
        event = hook.next(timeout=5)
    assert (event.name, event.id, event.seq, event.payload) == (
        "capture", event_id, 1, {"path": "a.txt"})
    assert event.deadline is None and not event.awaited


def test_emitted_at_is_now_in_utc_and_agrees_with_the_ns(broker, emitter):
    with hookbus.Hook("h", ["capture"], directory=broker.directory) as hook:
        hook.wait_ready(5)
        emitter.emit("capture", {})
        event = hook.next(timeout=5)
    since_epoch = event.emitted_at - datetime.datetime(1970, 1, 1, tzinfo=UTC)
    assert abs(datetime.datetime.now(UTC) - event.emitted_at).total_seconds() < 5
    micros = since_epoch // datetime.timedelta(microseconds=1)
    assert micros == event.emitted_at_ns // 1000


def test_awaited_event_has_a_deadline_in_the_future(broker, emitter):
    with hookbus.Hook("h", ["capture"], directory=broker.directory) as hook:
        hook.wait_ready(5)
        thread = threading.Thread(
            target=emitter.emit_and_wait, args=("capture", {}), kwargs={"timeout": 2})
        thread.start()
        event = hook.next(timeout=5)
        left = event.time_left()
        event.reply()
        thread.join()
    assert event.awaited and 0 < left <= 2


def test_str_payload_reaches_a_listener_verbatim(broker, emitter):
    with hookbus.Subscriber(["capture"], directory=broker.directory) as listener:
        assert broker.wait_subscribed("capture")
        emitter.emit("capture", '{"a" : 1}')
        event = listener.next(timeout=5)
    assert event.payload_json == '{"a" : 1}'


def test_listener_of_everything_skips_other_names_never(broker, emitter):
    with hookbus.Subscriber(directory=broker.directory) as listener:
        assert broker.wait_subscribed("")
        emitter.emit("one", 1)
        emitter.emit("two", 2)
        names = [listener.next(timeout=5).name for _ in range(2)]
    assert names == ["one", "two"]


def test_listener_of_capture_does_not_get_capture_done(broker, emitter):
    with hookbus.Subscriber(["capture"], directory=broker.directory) as listener:
        assert broker.wait_subscribed("capture")
        emitter.emit("capture_done", {})
        emitter.emit("capture", {})
        assert listener.next(timeout=5).name == "capture"


def test_app_str_return_is_an_abort_reason(broker, emitter, serve):
    app = hookbus.HookApp("guard", directory=broker.directory)
    app.on("capture")(lambda event: "not today")
    serve(app)
    assert emitter.emit_and_wait("capture", {}, timeout=5).abort == "not today"


def test_app_none_return_gives_no_answer(broker, emitter, serve):
    app = hookbus.HookApp("quiet", directory=broker.directory)
    app.on("capture")(lambda event: None)
    serve(app)
    assert emitter.emit_and_wait("capture", {}, timeout=0.3).status == "timed_out"


def test_app_handler_exception_is_logged_and_gives_no_answer(
        broker, emitter, serve, caplog):
    app = hookbus.HookApp("broken", directory=broker.directory)

    @app.on("capture")
    def fail(event):
        raise RuntimeError("boom")
    serve(app)
    with caplog.at_level(logging.ERROR, logger="hookbus"):
        outcome = emitter.emit_and_wait("capture", {}, timeout=0.3)
    assert outcome.status == "timed_out"
    assert "boom" in caplog.text


def test_app_serves_several_names(broker, emitter, serve):
    app = hookbus.HookApp("multi", directory=broker.directory)
    app.on("a")(lambda event: {"got": "a"})
    app.on("b", "c")(lambda event: {"got": event.name})
    serve(app)
    got = [emitter.emit_and_wait(n, {}, timeout=5).replies[0].data["got"]
           for n in "abc"]
    assert got == ["a", "b", "c"]


def test_closed_hook_no_longer_counts(broker, emitter):
    hook = hookbus.Hook("gone", ["capture"], directory=broker.directory)
    hook.wait_ready(5)
    hook.close()
    assert wait_until(lambda: not broker.stats()["hooks"])
    outcome = emitter.emit_and_wait("capture", {}, timeout=1)
    assert outcome.status == "no_hook"
