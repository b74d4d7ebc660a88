#!/usr/bin/env bash
# Installs the dependencies, builds hookbus, starts a broker and a hook written in
# shell that vetoes captures of secrets/, then emits two events and shows the
# answers. The broker and hook keep running for you to try (Ctrl-C stops them);
# --once stops them right after the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${HOOKBUS_BUILD_DIR:-$root/build}

./scripts/deps.sh
cmake -S "$root" -B "$build" -DHOOKBUS_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target hookbusd hookbus_cli >/dev/null
echo "built $build/src/hookbusd and $build/src/hookbus"

export HOOKBUS_DIR=$(mktemp -d /tmp/hookbus-demo.XXXXXX)
hookbus=$build/src/hookbus
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$HOOKBUS_DIR"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

"$build/src/hookbusd" --log-level notice &
pids+=($!)
"$hookbus" hook capture --name shell-guard -- "$root/examples/shell/veto.sh" &
pids+=($!)

# The hook counts once the broker has confirmed it; poll the broker's stats for it.
for _ in $(seq 50); do
    "$hookbus" stats 2>/dev/null | grep -q '"shell-guard"' && break
    sleep 0.1
done

show() {
    echo
    echo "\$ hookbus emit capture '$1' --wait"
    local code=0
    "$hookbus" emit capture "$1" --wait --timeout 2s || code=$?
    echo "(exit code $code: 0 allowed, 1 vetoed)"
}
show '{"path":"notes/todo.md"}'
show '{"path":"secrets/api-key.txt"}'

[ "${1:-}" = "--once" ] && exit 0
echo
echo "The broker and the hook are still running. In another terminal:"
echo "  export HOOKBUS_DIR=$HOOKBUS_DIR"
echo "  $hookbus emit capture '{\"path\":\"secrets/x\"}' --wait"
echo "  $hookbus tail"
echo "Ctrl-C stops them."
wait
