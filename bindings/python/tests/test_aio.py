"""The asyncio emitter: many waits in flight on one socket."""

import asyncio
import time

import hookbus


def echo_app(directory):
    app = hookbus.HookApp("echo", directory=directory)

    @app.on("capture")
    def echo(event):
        return {"n": event.payload["n"]}
    return app


def test_hundred_concurrent_waits_each_get_their_own_answer(broker, serve):
    serve(echo_app(broker.directory))

    async def main():
        async with hookbus.AsyncEmitter(directory=broker.directory) as emitter:
            return await asyncio.gather(
                *(emitter.emit_and_wait("capture", {"n": n}, timeout=10)
                  for n in range(100)))
    outcomes = asyncio.run(main())
    assert all(o.status == "replied" for o in outcomes)
    assert [o.replies[0].data["n"] for o in outcomes] == list(range(100))


def test_async_emit_returns_the_event_id(broker):
    async def main():
        async with hookbus.AsyncEmitter(directory=broker.directory) as emitter:
            return await emitter.emit("capture", [1, 2])
    assert len(asyncio.run(main())) == 36


def test_async_wait_without_broker_is_unreachable(short_dir):
    async def main():
        async with hookbus.AsyncEmitter(directory=short_dir) as emitter:
            return await emitter.emit_and_wait("capture", {}, timeout=0.1)
    started = time.monotonic()
    assert asyncio.run(main()).status == "unreachable"
    assert time.monotonic() - started < 1.5
