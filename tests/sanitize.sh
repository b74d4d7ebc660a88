#!/bin/sh
# Runs the test suite under sanitizers:
#   build-asan: the whole project with AddressSanitizer and UndefinedBehaviorSanitizer
#               (any UB report is fatal), then the full ctest;
#   build-tsan: the whole project with ThreadSanitizer, then the tests in which a
#               broker, a client's background thread or a child-process reader runs
#               beside the test's own thread. libzmq is not instrumented; the few
#               reports that lie inside it are suppressed by tests/tsan.supp.
#
#     tests/sanitize.sh [asan|tsan]...      # default: both
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
jobs=${HOOKBUS_JOBS:-2}
kinds=${*:-asan tsan}
# Test binaries with threads: where a Broker runs on a thread beside clients, or a
# client library's own threads run.
tsan_tests='^(BrokerTest|BrokerTcp|OnEachRouter|Client|HostileInput|ChildProcess)'

# The load tests measure RSS and throughput against stated bounds; ASan's quarantine
# (hundreds of MiB of freed memory held back) and its slowdown void both figures, so
# they run in the plain build only.
asan_skip='^(FullPendingTable|StalledSubscriber|Soak)\.'

passed=0
failed=0

configure_and_build() {  # dir flags
    mkdir -p "$1"
    cmake -S "$root" -B "$1" -DCMAKE_BUILD_TYPE=Debug \
        -DCMAKE_CXX_FLAGS="$2" -DCMAKE_EXE_LINKER_FLAGS="$2" \
        -DCMAKE_SHARED_LINKER_FLAGS="$2" -DHOOKBUS_BUILD_BENCH=OFF \
        >"$1/configure.log" 2>&1 || { cat "$1/configure.log"; return 1; }
    cmake --build "$1" -j "$jobs" >"$1/build.log" 2>&1 ||
        { tail -n 40 "$1/build.log"; return 1; }
}

# Runs ctest in $1 with the extra arguments; counts tests passed and failed from
# ctest's own summary line ("N% tests passed, M tests failed out of T").
run_ctest() {
    dir=$1
    shift
    log=$dir/ctest.log
    ctest --test-dir "$dir" -j "$jobs" --output-on-failure "$@" >"$log" 2>&1
    summary=$(grep -E 'tests passed, [0-9]+ tests? failed out of' "$log" | tail -n 1)
    total=$(echo "$summary" | sed -n 's/.*out of \([0-9]*\).*/\1/p')
    bad=$(echo "$summary" | sed -n 's/.*passed, \([0-9]*\) tests\{0,1\} failed.*/\1/p')
    if [ -z "$total" ]; then
        echo "sanitize: $(basename "$dir"): no ctest summary; see $log"
        failed=$((failed + 1))
        return
    fi
    passed=$((passed + total - bad))
    failed=$((failed + bad))
    echo "sanitize: $(basename "$dir"): $summary"
    grep -E '^\s+[0-9]+ - ' "$log" | sed 's/^/    /'
    # A sanitizer report in a child process (hookbusd) need not fail its test, so
    # any report anywhere in the output counts as a failure too.
    reports=$(grep -c -E '^(==[0-9]+==ERROR|WARNING: ThreadSanitizer|.*runtime error:)' \
        "$log")
    if [ "$reports" -gt 0 ]; then
        echo "sanitize: $(basename "$dir"): $reports sanitizer reports in $log"
        failed=$((failed + 1))
    fi
}

for kind in $kinds; do
    case $kind in
    asan)
        flags="-fsanitize=address,undefined -fno-omit-frame-pointer"
        flags="$flags -fno-sanitize-recover=undefined"
        if configure_and_build "$root/build-asan" "$flags"; then
            ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
            UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
            HOOKBUS_TEST_SLACK_MS=1000 \
                run_ctest "$root/build-asan" -E "$asan_skip"
        else
            echo "sanitize: build-asan: build failed"
            failed=$((failed + 1))
        fi
        ;;
    tsan)
        if configure_and_build "$root/build-tsan" "-fsanitize=thread -g"; then
            TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$root/tests/tsan.supp" \
                run_ctest "$root/build-tsan" -R "$tsan_tests"
        else
            echo "sanitize: build-tsan: build failed"
            failed=$((failed + 1))
        fi
        ;;
    *)
        echo "usage: $0 [asan|tsan]..." >&2
        exit 2
        ;;
    esac
done

echo "sanitize: $passed passed, $failed failed"
[ $failed -eq 0 ]
