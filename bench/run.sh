#!/usr/bin/env bash
# Builds hookbus-bench with hookbusd and the hookbus CLI, then runs every case:
# `bench/run.sh [hookbus-bench all flags]`. Prints the markdown table on stdout; raw
# samples go to bench/results/<time>/ and the latency plot to
# docs/benchmarks-latency.png.
#   HOOKBUS_BENCH_BUILD  build directory (default build-bench/, RelWithDebInfo); an
#                        existing one keeps its configuration, bench switched on
#   HOOKBUS_BENCH_BIN    use this hookbus-bench and build nothing
#   HOOKBUS_CMAKE_ARGS   extra flags for a fresh configure
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${HOOKBUS_BENCH_BUILD:-$root/build-bench}
bin=${HOOKBUS_BENCH_BIN:-}

configure() {
    if [[ ! -f "$build/CMakeCache.txt" ]]; then
        # shellcheck disable=SC2086  # HOOKBUS_CMAKE_ARGS is a list of flags
        cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
            -DHOOKBUS_BUILD_BENCH=ON -DHOOKBUS_BUILD_TESTS=OFF \
            -DHOOKBUS_BUILD_EXAMPLES=OFF -DHOOKBUS_INSTALL=OFF ${HOOKBUS_CMAKE_ARGS:-}
    elif ! grep -q '^HOOKBUS_BUILD_BENCH:BOOL=ON' "$build/CMakeCache.txt"; then
        cmake -S "$root" -B "$build" -DHOOKBUS_BUILD_BENCH=ON
    fi
}

if [[ -z "$bin" ]]; then
    configure >&2
    cmake --build "$build" --target hookbus-bench -j "${JOBS:-2}" >&2
    bin=$build/bench/hookbus-bench
fi

exec "$bin" all "$@"
