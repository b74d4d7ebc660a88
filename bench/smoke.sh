#!/usr/bin/env bash
# CI smoke test: runs every case for about a second, once, unpinned. Exits non-zero
# only when a case produced no figures (it never asserts on a time or a rate); cases
# whose client binding is not built are skipped. Reuses the main build directory
# ($HOOKBUS_BUILD_DIR, else build/) when one exists, else builds like run.sh.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
if [[ -z "${HOOKBUS_BENCH_BIN:-}" && -z "${HOOKBUS_BENCH_BUILD:-}" ]]; then
    main=${HOOKBUS_BUILD_DIR:-$root/build}
    if [[ -f "$main/CMakeCache.txt" ]]; then export HOOKBUS_BENCH_BUILD=$main; fi
fi
exec "$root/bench/run.sh" --smoke "$@"
