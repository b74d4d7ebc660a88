"""Loss detection end to end: a hook that falls behind, and a broker restart."""

import threading

import pytest

import hookbus

BURST = 5000
PADDING = "x" * 512  # bigger events fill the socket buffers sooner


def drain(hook, timeout=1.0):
    """Read until quiet; return the events and Lagged errors in order."""
    seen = []
    while True:
        try:
            event = hook.next(timeout=timeout)
        except hookbus.Lagged as lag:
            seen.append(lag)
            continue
        if event is None:
            return seen
        seen.append(event)


def lag_report(seen):
    """Each Lagged as (name, missed, restarted, seq gap around it)."""
    report = []
    for index, item in enumerate(seen):
        if isinstance(item, hookbus.Lagged):
            before = [e for e in seen[:index] if isinstance(e, hookbus.Event)][-1]
            after = seen[index + 1]
            report.append((item.name, item.missed, item.restarted,
                           after.seq - before.seq - 1))
    return report


def test_lagging_hook_gets_lagged_with_the_exact_seq_gap(make_broker):
    broker = make_broker("--hwm", "10")
    with hookbus.Hook("slow", ["capture"], directory=broker.directory,
                      hwm=10) as hook, \
            hookbus.Emitter(directory=broker.directory) as emitter:
        assert hook.wait_ready(5)
        for n in range(BURST):
            emitter.emit("capture", {"n": n, "pad": PADDING})
        seen = drain(hook)
        # Loss at the very end shows only when the next event arrives.
        emitter.emit("capture", {"n": BURST})
        seen += drain(hook)

    report = lag_report(seen)
    delivered = [item for item in seen if isinstance(item, hookbus.Event)]
    assert report, "the hook never lagged; raise BURST"
    assert all(r[:3] == ("capture", r[3], False) for r in report), report
    assert len(delivered) + sum(r[1] for r in report) == BURST + 1 - (
        delivered[0].seq - 1)


def answer_one(hook, verdicts):
    event = hook.next(timeout=5)
    verdicts.append(event.reply(abort="again"))


def test_broker_restart_raises_lagged_then_hook_answers_again(make_broker):
    broker = make_broker()
    with hookbus.Hook("phoenix", ["capture"], directory=broker.directory) as hook:
        assert hook.wait_ready(5)
        broker.restart()
        with pytest.raises(hookbus.Lagged) as caught:
            hook.next(timeout=5)
        assert caught.value.restarted
        assert hook.wait_ready(5)

        verdicts = []
        thread = threading.Thread(target=answer_one, args=(hook, verdicts))
        thread.start()
        with hookbus.Emitter(directory=broker.directory) as emitter:
            outcome = emitter.emit_and_wait("capture", {}, timeout=5)
        thread.join(5)
    assert (outcome.status, outcome.abort, verdicts) == ("replied", "again", [True])
