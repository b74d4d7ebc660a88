#!/usr/bin/env bash
# Runs the soak test (tests/load/soak_test.cpp) for SECONDS, default 600, against the
# build in $HOOKBUS_BUILD_DIR (default build/). CI runs it for 120 s through ctest
# (label `load`); use this for a longer run: tests/load/soak.sh 3600
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${HOOKBUS_BUILD_DIR:-$PWD/build}
seconds=${1:-600}
case $seconds in
    '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;;
esac
cmake --build "$build" --target soak_test >/dev/null
HOOKBUS_SOAK_SECONDS=$seconds exec "$build/tests/soak_test"
