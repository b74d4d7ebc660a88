#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions run through wait_for and the EXIT trap
# The cross-language end-to-end test: a real hookbusd, a Python hook and a Node
# hook answering the same event name, and the C++ emitter of `hookbus emit --wait`
# asking. Checks that the first answer wins across languages, that `abort` and
# extra fields arrive intact, that the losing hook hears accepted=false, and that
# both hooks report the exact gap when made to lag behind a small --hwm.
#
# Uses $HOOKBUSD and $HOOKBUS_CLI, else the binaries in ${HOOKBUS_BUILD_DIR:-build}.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${HOOKBUS_BUILD_DIR:-$root/build}
hookbusd=${HOOKBUSD:-$build/src/hookbusd}
cli=${HOOKBUS_CLI:-$build/src/hookbus}
python=/usr/bin/python3
questions=20       # emit --wait rounds
flood=300          # fire-and-forget events sent while the hooks do not read
pad=16384          # bytes of padding per flood event, to fill socket buffers fast
hooks=(py-cross node-cross)

work=$(mktemp -d /tmp/hookbus-cross.XXXXXX)
export HOOKBUS_DIR=$work/bus
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
    if [ "${failed:-1}" -eq 0 ] && [ -z "${KEEP_LOGS:-}" ]; then
        rm -rf "$work"
    else
        echo "logs kept in $work"
    fi
}
trap cleanup EXIT

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
finish() {
    echo "cross: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
}

# wait_for and live_hooks, shared with examples/run_all.sh.
# shellcheck source=../lib/stats.sh
. "$root/tests/lib/stats.sh"

# count_kind KIND: true when both reports hold at least $want records of KIND.
count_kind() {
    local hook
    for hook in "${hooks[@]}"; do
        local seen
        seen=$(grep -c "\"kind\": *\"$1\"" "$work/$hook.jsonl" 2>/dev/null)
        [ "${seen:-0}" -ge "$want" ] || return 1
    done
}

# reports_have PATTERN: true when both hook reports contain PATTERN.
reports_have() {
    local hook
    for hook in "${hooks[@]}"; do
        grep -q "$1" "$work/$hook.jsonl" 2>/dev/null || return 1
    done
}

for binary in "$hookbusd" "$cli"; do
    [ -x "$binary" ] && continue
    fail "missing $binary (build first, or set HOOKBUSD and HOOKBUS_CLI)"
    finish
done
[ -d "$root/bindings/node/node_modules" ] ||
    { fail "bindings/node/node_modules is missing: run npm ci there"; finish; }

# ---- broker and hooks ----------------------------------------------------------

"$hookbusd" --hwm 8 --log-level warning 2>"$work/broker.log" &
pids+=($!)
wait_for 10 "$cli" stats >/dev/null || { fail "hookbusd did not start"; finish; }

"$python" "$here/py_hook.py" py-cross "$work/py-cross.jsonl" "$work/pause" \
    2>"$work/py-cross.log" &
pids+=($!)
node "$here/node_hook.mjs" node-cross "$work/node-cross.jsonl" "$work/pause" \
    2>"$work/node-cross.log" &
pids+=($!)
if wait_for 15 live_hooks "${hooks[@]}"; then
    pass "a Python hook and a Node hook are live for cross.ask"
else
    fail "the hooks never became live (see $work/*.log)"
    finish
fi

# ---- first answer wins, fields intact, losers told -----------------------------

for n in $(seq "$questions"); do
    payload=$("$python" -c "import sys; sys.path.insert(0, '$here')
from expected import payload_for; print(payload_for($n))")
    "$cli" emit cross.ask "$payload" --wait --timeout 5s \
        >"$work/emit.$n.out" 2>>"$work/emit.err"
    echo $? >"$work/emit.$n.rc"
done
want=$questions
wait_for 10 count_kind reply || echo "     (not every hook reported $questions replies)"
while read -r line; do
    case "$line" in
    PASS*) pass "${line#PASS }" ;;
    FAIL*) fail "${line#FAIL }" ;;
    *) echo "$line" ;;
    esac
done < <("$python" "$here/check.py" answers "$work" "$questions" "${hooks[@]}")

# ---- lag: both hooks stop reading, the broker drops, both report the gap -------

touch "$work/pause"
want=1
wait_for 10 count_kind paused || fail "the hooks did not pause"
"$python" "$here/emit_many.py" cross.flood "$flood" "$pad" >/dev/null ||
    fail "could not emit the flood"
rm -f "$work/pause"
# Loss before a silence shows only with the next event of that name: emit small
# sentinels until both hooks have received one (a dropped sentinel is itself counted).
emitted=$flood
for _ in $(seq 50); do
    "$cli" emit cross.flood '{"sentinel":true}' >/dev/null && emitted=$((emitted + 1))
    wait_for 1 reports_have '"sentinel": *true' && break
done
wait_for 5 "$python" "$here/check.py" settled "$work" "$emitted" "${hooks[@]}" ||
    echo "     (the hooks did not account for all $emitted flood events)"
while read -r line; do
    case "$line" in
    PASS*) pass "${line#PASS }" ;;
    FAIL*) fail "${line#FAIL }" ;;
    *) echo "$line" ;;
    esac
done < <("$python" "$here/check.py" lag "$work" "$emitted" "${hooks[@]}")

finish
