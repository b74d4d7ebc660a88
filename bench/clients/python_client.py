"""The hookbus Python client under the benchmark.

emit_and_wait() against hookbusd, where a C++ hookbus::Hook answers event
"bench": one request in flight through the blocking Emitter, 64 in flight
through AsyncEmitter. Started by hookbus-bench (case python/ipc); prints the
"result k=v ..." lines its runner reads.
"""

import argparse
import asyncio
import math
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bindings", "python", "src"))

import hookbus  # noqa: E402  (the path above must come first)


def make_payload():
    """The same 200-byte payload as the C++ roles (bench/common.cpp)."""
    head = ('{"seq":"0000000000","tool":"Write","session":"5f0c2a7e-9d41-4b8e-a3c6-'
            '1e2f7b9d0c44","cwd":"/home/dev/project","path":"src/capture/merge.cpp",'
            '"bytes":1834,"pad":"')
    return head + "x" * (200 - len(head) - 2) + '"}'


def percentile_us(ordered, p):
    rank = min(len(ordered), max(1, math.ceil(p * len(ordered))))
    return ordered[rank - 1] / 1000


def measure_rtt(args, payload):
    with hookbus.Emitter(args.emit) as emitter:
        def once():
            outcome = emitter.emit_and_wait("bench", payload, timeout=5.0)
            if outcome.status != hookbus.Status.REPLIED:
                raise RuntimeError(f"emit ended {outcome.status}")

        end = time.monotonic() + args.warmup
        while time.monotonic() < end:
            once()
        samples = []
        end = time.monotonic() + args.duration
        while time.monotonic() < end:
            t0 = time.perf_counter_ns()
            once()
            samples.append(time.perf_counter_ns() - t0)
    if args.samples:
        with open(args.samples, "w") as out:
            out.write("rtt_ns\n" + "\n".join(map(str, samples)) + "\n")
    samples.sort()
    print(f"result phase=rtt p50={percentile_us(samples, 0.5):.2f} "
          f"p99={percentile_us(samples, 0.99):.2f} "
          f"p999={percentile_us(samples, 0.999):.2f} n={len(samples)}", flush=True)


async def measure_pipelined(args, payload):
    state = {"counting": False, "stop": False, "done": 0}
    async with hookbus.AsyncEmitter(args.emit) as emitter:
        async def worker():
            while not state["stop"]:
                await emitter.emit_and_wait("bench", payload, timeout=5.0)
                if state["counting"]:
                    state["done"] += 1

        tasks = [asyncio.create_task(worker()) for _ in range(args.depth)]
        await asyncio.sleep(args.warmup)
        state["counting"] = True
        t0 = time.monotonic()
        await asyncio.sleep(args.duration)
        rate = state["done"] / (time.monotonic() - t0)
        state["stop"] = True
        await asyncio.gather(*tasks)
    print(f"result phase=pipe rate={rate:.0f}", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--emit", required=True)
    parser.add_argument("--phases", default="rtt,pipe")
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--warmup", type=float, default=0.5)
    parser.add_argument("--depth", type=int, default=64)
    parser.add_argument("--samples", default="")
    args = parser.parse_args()
    payload = make_payload()
    phases = args.phases.split(",")
    if "rtt" in phases:
        measure_rtt(args, payload)
    if "pipe" in phases:
        asyncio.run(measure_pipelined(args, payload))
    print("done", flush=True)


if __name__ == "__main__":
    main()
