#!/usr/bin/env bash
# What one pipelined round trip costs the broker process at full speed, without an
# instrumenting tool in the way: `bench/cpu_per_rt.sh [runs] [seconds]`. For each run
# it starts the relay, then hookbusd, each pinned to CPU 0 with the raw hook and the
# raw emitter of hookbus-bench (64 in flight, ipc), and counts the broker's CPU time,
# system calls and context switches with `perf stat` over a window inside the
# measuring time. Prints each run, then medians and the hookbusd/relay ratios.
# Needs perf (Debian: linux-perf) and root or kernel.perf_event_paranoid <= -1 for
# the system-call tracepoint; build first with bench/run.sh.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${HOOKBUS_BENCH_BUILD:-$(dirname "$here")/build-bench}
bin=${HOOKBUS_BENCH_BIN:-$build/bench/hookbus-bench}
hookbusd=${HOOKBUSD:-$build/src/hookbusd}
runs=${1:-3}
seconds=${2:-3}
warmup=0.5   # the window below starts 1 s into the emitter's run
window=$(awk -v s="$seconds" 'BEGIN { printf "%.1f", s - 1 }')   # inside the measuring time

command -v perf >/dev/null || { echo "cpu_per_rt.sh: needs perf (apt-get install linux-perf)" >&2; exit 2; }
awk -v w="$window" 'BEGIN { exit !(w >= 1) }' ||
    { echo "cpu_per_rt.sh: seconds must be at least 2" >&2; exit 2; }

dir=$(mktemp -d /tmp/hookbus-cpu-XXXXXX)   # mode 0700, as hookbusd requires
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$dir"
}
trap cleanup EXIT

# One measurement: prints "rate cpu_ms syscalls switches window_s".
measure() {
    local broker=$1 ev=ipc://$dir/events rep=ipc://$dir/replies emit=ipc://$dir/emit
    local cmd
    if [[ $broker == relay ]]; then
        cmd=("$bin" role relay --events "$ev" --replies "$rep" --emit "$emit")
    else
        cmd=("$hookbusd" --events "$ev" --replies "$rep" --emit "$emit" --log-level warning)
    fi
    taskset -c 0 "${cmd[@]}" >"$dir/broker.log" 2>&1 &
    local broker_pid=$!
    pids=("$broker_pid")
    sleep 0.5
    taskset -c 0 "$bin" role raw-hook --events "$ev" --replies "$rep" >"$dir/hook.log" 2>&1 &
    local hook_pid=$!
    pids+=("$hook_pid")
    sleep 1
    taskset -c 0 "$bin" role raw-emitter --emit "$emit" --phases pipe --duration "$seconds" \
        --warmup "$warmup" --samples "$dir/samples.csv" >"$dir/emitter.out" &
    local emitter_pid=$!
    pids+=("$emitter_pid")
    sleep 1   # past the emitter's warm-up
    perf stat -x, -e task-clock,raw_syscalls:sys_enter,context-switches -p "$broker_pid" \
        -o "$dir/perf.csv" -- sleep "$window"
    wait "$emitter_pid"
    kill "$hook_pid"
    kill -TERM "$broker_pid"
    wait "$broker_pid" 2>/dev/null || true
    pids=()
    rm -f "$dir"/events "$dir"/replies "$dir"/emit
    local rate
    rate=$(sed -n 's/^result .*rate=\([0-9.]*\).*/\1/p' "$dir/emitter.out")
    [[ -n $rate ]] || { echo "cpu_per_rt.sh: the emitter printed no rate" >&2; exit 1; }
    awk -F, -v rate="$rate" -v w="$window" '
        $3 == "task-clock" { cpu = $1 }
        $3 ~ /sys_enter/ { sys = $1 }
        $3 == "context-switches" { sw = $1 }
        END { print rate, cpu, sys, sw, w }' "$dir/perf.csv"
}

printf '%-9s %4s %10s %12s %12s %12s\n' broker run 'rt/s' 'cpu us/rt' 'syscalls/rt' 'switches/rt'
for ((run = 1; run <= runs; ++run)); do
    for broker in relay hookbusd; do
        measure "$broker" >"$dir/one"   # in this shell, so that cleanup sees its pids
        read -r rate cpu sys sw w <"$dir/one"
        awk -v b="$broker" -v r="$run" -v rate="$rate" -v cpu="$cpu" -v sys="$sys" \
            -v sw="$sw" -v w="$w" 'BEGIN {
                n = rate * w
                printf "%-9s %4d %10.0f %12.2f %12.2f %12.2f\n", b, r, rate,
                       cpu * 1000 / n, sys / n, sw / n }' | tee -a "$dir/rows"
    done
done

awk '
    function median(list, count,    i, j, t) {
        for (i = 1; i <= count; ++i)
            for (j = i + 1; j <= count; ++j)
                if (list[j] < list[i]) { t = list[i]; list[i] = list[j]; list[j] = t }
        return count % 2 ? list[(count + 1) / 2] : (list[count / 2] + list[count / 2 + 1]) / 2
    }
    {
        k = ++count[$1]
        rate[$1, k] = $3; cpu[$1, k] = $4; sys[$1, k] = $5; sw[$1, k] = $6
    }
    END {
        for (b in count) {
            n = count[b]
            for (k = 1; k <= n; ++k) {
                a[k] = rate[b, k]; c[k] = cpu[b, k]; s[k] = sys[b, k]; w[k] = sw[b, k]
            }
            m_rate[b] = median(a, n); m_cpu[b] = median(c, n)
            m_sys[b] = median(s, n); m_sw[b] = median(w, n)
            printf "median %-9s %10.0f rt/s %8.2f cpu us/rt %8.2f syscalls/rt %8.2f switches/rt\n",
                   b, m_rate[b], m_cpu[b], m_sys[b], m_sw[b]
        }
        printf "ratio hookbusd/relay: rt/s %.2f, cpu per rt %.2f, syscalls per rt %.2f\n",
               m_rate["hookbusd"] / m_rate["relay"], m_cpu["hookbusd"] / m_cpu["relay"],
               m_sys["hookbusd"] / m_sys["relay"]
    }' "$dir/rows"
