#!/bin/sh
# Builds the libFuzzer targets with clang in build-fuzz and runs each for SECONDS
# (default 60). Fails when any target crashes, leaks, hangs or trips a sanitizer;
# the input that did it is left in build-fuzz/findings/<target>/.
#
#     tests/fuzz/run.sh [SECONDS]
set -u

seconds=${1:-60}
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${HOOKBUS_FUZZ_BUILD:-$root/build-fuzz}
jobs=${HOOKBUS_JOBS:-2}
targets="decode_published decode_hook_request decode_hook_response
         decode_emit_request decode_emit_response broker_requests"

/usr/bin/python3 "$root/tests/fuzz/seed.py" "$root/tests/fuzz/corpus" || exit 1
mkdir -p "$build"
CC=clang CXX=clang++ cmake -S "$root/tests/fuzz" -B "$build" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build/configure.log" 2>&1 ||
    { cat "$build/configure.log"; exit 1; }
cmake --build "$build" -j "$jobs" >"$build/build.log" 2>&1 ||
    { tail -n 40 "$build/build.log"; exit 1; }

passed=0
failed=0
for target in $targets; do
    # Fresh inputs found by this run go to a scratch corpus; the seeds stay as they
    # are in the tree.
    work=$build/corpus/$target
    findings=$build/findings/$target
    rm -rf "$findings"
    mkdir -p "$work" "$findings"
    log=$build/$target.log
    max_len=4096
    [ "$target" = broker_requests ] && max_len=2048
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$build/${target}_fuzz" -max_total_time="$seconds" -max_len=$max_len \
        -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
        -dict="$root/tests/fuzz/hookbus.dict" -artifact_prefix="$findings/" \
        "$work" "$root/tests/fuzz/corpus/$target" >"$log" 2>&1
    status=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    if [ $status -eq 0 ] && ! grep -q -e 'ERROR: ' -e 'runtime error:' "$log"; then
        passed=$((passed + 1))
        echo "fuzz: $target ok, ${execs:-?} executions in ${seconds}s"
    else
        failed=$((failed + 1))
        echo "fuzz: $target FAILED (exit $status), ${execs:-?} executions; log $log"
        grep -m 5 -e 'ERROR: ' -e 'runtime error:' -e 'broken' -e 'Test unit written' \
            "$log" | sed 's/^/    /'
    fi
done

echo "fuzz: $passed passed, $failed failed"
[ $failed -eq 0 ]
