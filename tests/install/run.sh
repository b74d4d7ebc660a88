#!/usr/bin/env bash
# Installs the build into a scratch prefix, builds a program outside the tree with
# find_package(hookbus), and runs it against a real hookbusd from that prefix.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${HOOKBUS_BUILD_DIR:-$root/build}
scratch=$(mktemp -d /tmp/hookbus-install.XXXXXX)
broker=""
cleanup() {
    [ -n "$broker" ] && kill "$broker" 2>/dev/null && wait "$broker" 2>/dev/null
    rm -rf "$scratch"
}
trap cleanup EXIT

cmake --install "$build" --prefix "$scratch/prefix" >/dev/null
cmake -S "$root/tests/install" -B "$scratch/build" \
    -DCMAKE_PREFIX_PATH="$scratch/prefix" >/dev/null
cmake --build "$scratch/build" >/dev/null

mkdir -m 0700 "$scratch/run"
"$scratch/prefix/bin/hookbusd" --dir "$scratch/run" --log-level warning &
broker=$!
export LD_LIBRARY_PATH="$scratch/prefix/lib:$scratch/prefix/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
for _ in $(seq 50); do
    [ -S "$scratch/run/emit" ] && break
    sleep 0.1
done
status=$("$scratch/build/consumer" "ipc://$scratch/run/emit")
if [ "$status" = ok ]; then
    echo "install: 1 passed, 0 failed"
else
    echo "install: consumer got '$status' from the installed hookbusd"
    echo "install: 0 passed, 1 failed"
    exit 1
fi
