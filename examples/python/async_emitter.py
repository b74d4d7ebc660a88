#!/usr/bin/python3
"""An asyncio emitter: asks about several captures at once and prints each
outcome.

All the waits share one socket and are in flight together, so the whole batch
takes about as long as its slowest answer, not the sum of them.

    /usr/bin/python3 examples/python/async_emitter.py notes/todo.md secrets/key
"""

import argparse
import asyncio
import os
import sys
import time

# Run from a checkout without installing: use the binding next to this example.
# An installed `hookbus` package (pip install ./bindings/python) works as well.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "bindings", "python", "src"))
import hookbus  # noqa: E402

DEFAULT_PATHS = ["README.md", "src/main.cpp", "secrets/api-key.txt", "docs/notes.md"]


def describe(path, outcome):
    """One line saying what became of the question about `path`."""
    status = outcome.status
    if status == hookbus.Status.REPLIED:
        hook = outcome.reply.hook
        if outcome.vetoed:
            return f"{path}: vetoed by {hook}: {outcome.abort}"
        return f"{path}: allowed by {hook}"
    if status == hookbus.Status.NO_HOOK:
        return f"{path}: allowed (no hook answers this event)"
    if status == hookbus.Status.TIMED_OUT:
        return f"{path}: no answer before the deadline"
    if status == hookbus.Status.INCOMPLETE:
        return f"{path}: the hook went away before it answered"
    if status == hookbus.Status.UNREACHABLE:
        return f"{path}: no response from the broker; is hookbusd running?"
    return f"{path}: {status} {outcome.error_message}".rstrip()


async def ask_all(event, paths, timeout):
    async with hookbus.AsyncEmitter() as emitter:
        started = time.monotonic()
        waits = [emitter.emit_and_wait(event, {"path": path}, timeout=timeout)
                 for path in paths]
        plural = "" if len(waits) == 1 else "s"
        print(f"asking about {len(waits)} path{plural} at once", flush=True)
        outcomes = await asyncio.gather(*waits)
        elapsed = time.monotonic() - started
    for path, outcome in zip(paths, outcomes):
        print(describe(path, outcome), flush=True)
    print(f"{len(outcomes)} answers in {elapsed:.3f} s", flush=True)
    return outcomes


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", default=DEFAULT_PATHS)
    parser.add_argument("--event", default="capture")
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds")
    args = parser.parse_args()

    outcomes = asyncio.run(ask_all(args.event, args.paths, args.timeout))
    # Vetoes and silence are answers; only a broker we could not use is a failure.
    answered = {hookbus.Status.REPLIED, hookbus.Status.NO_HOOK,
                hookbus.Status.TIMED_OUT, hookbus.Status.INCOMPLETE}
    return 0 if all(o.status in answered for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
