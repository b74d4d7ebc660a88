// Shared by the Node benchmark clients: arguments, the 200-byte payload of every
// case, and the two measuring loops (one in flight; `depth` in flight). Results are
// printed as the "result k=v ..." lines that hookbus-bench's runner reads.
import { writeFileSync } from "node:fs";

/** Parses "--key value" pairs into an object of strings. */
export function parseArgs(argv) {
    const out = { phases: "rtt,pipe", duration: "3", warmup: "0.5", depth: "64" };
    for (let i = 0; i < argv.length; i += 2) {
        out[argv[i].replace(/^--/, "")] = argv[i + 1];
    }
    return out;
}

/** The same payload as the C++ roles (bench/common.cpp make_payload). */
export function makePayload() {
    const head = '{"seq":"0000000000","tool":"Write",' +
        '"session":"5f0c2a7e-9d41-4b8e-a3c6-1e2f7b9d0c44",' +
        '"cwd":"/home/dev/project","path":"src/capture/merge.cpp",' +
        '"bytes":1834,"pad":"';
    return head + "x".repeat(200 - head.length - 2) + '"}';
}

function percentile(sorted, p) {
    const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
    return sorted[rank - 1] / 1000;
}

/** Warm-up, then one request at a time for `duration` s; prints the percentiles. */
export async function measureRtt(once, args) {
    const warmEnd = performance.now() + Number(args.warmup) * 1000;
    while (performance.now() < warmEnd) await once();
    const samples = [];
    const end = performance.now() + Number(args.duration) * 1000;
    while (performance.now() < end) {
        const t0 = process.hrtime.bigint();
        await once();
        samples.push(Number(process.hrtime.bigint() - t0));
    }
    if (args.samples) writeFileSync(args.samples, "rtt_ns\n" + samples.join("\n") + "\n");
    samples.sort((a, b) => a - b);
    const us = (p) => percentile(samples, p).toFixed(2);
    console.log(`result phase=rtt p50=${us(0.5)} p99=${us(0.99)} p999=${us(0.999)} ` +
        `n=${samples.length}`);
}

/** `depth` workers each keep one request in flight; prints completions per second. */
export async function measurePipelined(once, args) {
    let counting = false;
    let stop = false;
    let done = 0;
    const worker = async () => {
        while (!stop) {
            await once();
            if (counting) done += 1;
        }
    };
    const workers = Array.from({ length: Number(args.depth) }, worker);
    await sleep(Number(args.warmup) * 1000);
    counting = true;
    const t0 = performance.now();
    await sleep(Number(args.duration) * 1000);
    const rate = done / ((performance.now() - t0) / 1000);
    stop = true;
    await Promise.all(workers);
    console.log(`result phase=pipe rate=${rate.toFixed(0)}`);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the phases named in args.phases, then prints "done". */
export async function runPhases(once, args) {
    const phases = args.phases.split(",");
    if (phases.includes("rtt")) await measureRtt(once, args);
    if (phases.includes("pipe")) await measurePipelined(once, args);
    console.log("done");
}
