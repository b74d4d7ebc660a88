#!/usr/bin/env bash
# Counts the instructions a broker spends per round trip with valgrind's callgrind
# (repeatable on a noisy machine, unlike timings): `bench/profile.sh [hookbusd|relay]
# [rtt|pipe] [seconds]`. The raw protocol hook and emitter of hookbus-bench drive it,
# so only the broker is measured; system calls are counted too (valgrind makes
# clock_gettime one). Needs valgrind; build first with bench/run.sh.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${HOOKBUS_BENCH_BUILD:-$(dirname "$here")/build-bench}
bin=${HOOKBUS_BENCH_BIN:-$build/bench/hookbus-bench}
broker=${1:-hookbusd}
phase=${2:-pipe}
seconds=${3:-3}
dir=$(mktemp -d /tmp/hookbus-profile-XXXXXX)   # mode 0700, as hookbusd requires
out=$here/results/callgrind.$broker.$phase.out
mkdir -p "$here/results"
ev=ipc://$dir/events rep=ipc://$dir/replies emit=ipc://$dir/emit

if [[ $broker == relay ]]; then
    cmd=("$bin" role relay --events "$ev" --replies "$rep" --emit "$emit")
else
    cmd=("${HOOKBUSD:-$build/src/hookbusd}" --events "$ev" --replies "$rep"
         --emit "$emit" --log-level warning)
fi
valgrind --tool=callgrind --collect-systime=nsec --callgrind-out-file="$out" "${cmd[@]}" \
    >"$dir/broker.log" 2>&1 &
broker_pid=$!
sleep 3   # valgrind starts slowly

"$bin" role raw-hook --events "$ev" --replies "$rep" >"$dir/hook.log" 2>&1 &
hook_pid=$!
sleep 2
# Zeroed when the emitter starts, so startup and hook registration are left out.
callgrind_control -z "$broker_pid" >/dev/null
result=$("$bin" role raw-emitter --emit "$emit" --phases "$phase" \
    --duration "$seconds" --warmup 0.5 --samples "$dir/samples.csv" | grep '^result')
kill "$hook_pid"
kill -TERM "$broker_pid"
wait "$broker_pid" || true

echo "$result"
totals=$(callgrind_annotate "$out" | grep 'PROGRAM TOTALS' | tr -d ',')
total=$(awk '{print $1}' <<<"$totals")
syscalls=$(awk '{print $3}' <<<"$totals")   # under valgrind, clock_gettime counts too
count=$(sed -n 's/.* n=\([0-9]*\).*/\1/p' <<<"$result")
echo "broker instructions: $total over $count round trips" \
     "= $((total / count)) per round trip"
awk -v s="$syscalls" -v n="$count" \
    'BEGIN { printf "broker system calls: %d = %.1f per round trip\n", s, s / n }'
echo "profile: $out (callgrind_annotate --inclusive=yes $out | head -60)"
rm -rf "$dir"
