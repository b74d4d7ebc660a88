#!/usr/bin/env bash
# Installs the dependencies, builds hookbus and runs every test suite: C++ (ctest,
# then the load tests), Python (pytest), Node (node --test), the cross-language and
# example smoke tests, the benchmark smoke run, fuzzing and the sanitizer builds.
# Every suite runs even when an earlier one failed; the exit code is non-zero when
# any did. README.md and .ci/run both call this.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${HOOKBUS_BUILD_DIR:-$root/build}
jobs=$(nproc)

./scripts/deps.sh || exit 1

passed=0
failed=0
failures=()
suite() {  # suite NAME COMMAND...: runs one suite and records its verdict
    local name=$1
    shift
    echo
    echo "=== $name ==="
    if "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        failures+=("$name")
    fi
}

build_all() {
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DHOOKBUS_BUILD_BENCH=ON >/dev/null &&
        cmake --build "$build" -j "$jobs"
}
if ! suite build build_all; then
    echo "build failed; nothing else can run"
    echo "suites: $passed passed, $failed failed"
    exit 1
fi
export HOOKBUSD=$build/src/hookbusd
export HOOKBUS_CLI=$build/src/hookbus

suite ctest ctest --test-dir "$build" --output-on-failure -j 2 -LE load
suite load ctest --test-dir "$build" --output-on-failure -L load

if [ -d bindings/python/tests ]; then
    suite python /usr/bin/python3 -m pytest -q -p no:cacheprovider bindings/python/tests
fi
if [ -f bindings/node/package.json ]; then
    node_suite() { (cd bindings/node && npm ci --no-audit --no-fund --silent && npm test); }
    suite node node_suite
fi
for extra in tests/install/run.sh tests/cross/run.sh examples/run_all.sh bench/smoke.sh; do
    [ -x "$extra" ] && suite "$extra" "./$extra"
done
# Hostile input and memory safety: a minute of libFuzzer per target, then the whole
# suite under AddressSanitizer+UBSan and the threaded tests under ThreadSanitizer.
suite fuzz ./tests/fuzz/run.sh 60
suite sanitize ./tests/sanitize.sh

echo
[ "$failed" -eq 0 ] || echo "failed suites: ${failures[*]}"
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
