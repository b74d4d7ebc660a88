#!/usr/bin/env bash
# Smoke-tests every example against a real broker: each scenario starts what it
# needs, checks what the example did (exit codes, output, files), and stops its
# processes. Prints one PASS/FAIL line per scenario and a summary line; exits
# non-zero when any failed. CI runs it from scripts/test.sh.
#
# Uses $HOOKBUSD and $HOOKBUS_CLI, else the binaries in ${HOOKBUS_BUILD_DIR:-build};
# the C++ example is looked for next to them (<build>/examples/cpp).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=${HOOKBUS_BUILD_DIR:-$root/build}
hookbusd=${HOOKBUSD:-$build/src/hookbusd}
cli=${HOOKBUS_CLI:-$build/src/hookbus}
if [ -n "${HOOKBUS_BUILD_DIR:-}" ] || [ -z "${HOOKBUSD:-}" ]; then
    agent_loop=$build/examples/cpp/hookbus_agent_loop
else
    agent_loop=$(dirname "$hookbusd")/../examples/cpp/hookbus_agent_loop
fi
python=/usr/bin/python3

work=$(mktemp -d /tmp/hookbus-examples.XXXXXX)
export HOOKBUS_DIR=$work/bus
broker_pid=
scenario_pids=()

# stop PID...: asks each process to stop, then waits for it.
stop() {
    local pid
    for pid in "$@"; do kill "$pid" 2>/dev/null; done
    for pid in "$@"; do wait "$pid" 2>/dev/null; done
}
cleanup() {
    stop "${scenario_pids[@]}" $broker_pid
    if [ "${failed:-1}" -eq 0 ] && [ -z "${KEEP_LOGS:-}" ]; then
        rm -rf "$work"
    else
        echo "logs kept in $work"
    fi
}
trap cleanup EXIT

passed=0
failed=0
summary() { echo "examples: $passed passed, $failed failed"; }

# wait_for and live_hooks, shared with tests/cross/run.sh.
# shellcheck source=../tests/lib/stats.sh
. "$root/tests/lib/stats.sh"

# subscribed TOPIC: true when someone subscribed to TOPIC ("" is everything).
subscribed() {
    "$cli" stats | "$python" -c '
import json, sys
sys.exit(0 if json.load(sys.stdin)["subscriptions"].get(sys.argv[1], 0) > 0 else 1)
' "$1"
}

# await_hook NAME: waits up to 10 s for hook NAME to be live, or says it is not.
await_hook() {
    wait_for 10 live_hooks "$1" && return 0
    echo "     $1 never became live"
    return 1
}

# spawn LOG COMMAND...: starts COMMAND in the background for the current scenario.
spawn() {
    local log=$1
    shift
    "$@" >"$work/$log" 2>&1 &
    scenario_pids+=($!)
}

# expect_exit CODE COMMAND...: runs COMMAND (output to $work/last.out) and checks
# its exit code.
expect_exit() {
    local want=$1 code=0
    shift
    "$@" >"$work/last.out" 2>&1 || code=$?
    if [ "$code" -ne "$want" ]; then
        echo "     $* exited $code, expected $want: $(head -c 300 "$work/last.out")"
        return 1
    fi
}

# expect_output REGEX...: each extended REGEX must match a line of $work/last.out.
expect_output() {
    local pattern
    for pattern in "$@"; do
        grep -Eq -- "$pattern" "$work/last.out" && continue
        echo "     no line matches /$pattern/ in:"
        sed 's/^/       /' "$work/last.out"
        return 1
    done
}

# scenario NAME FUNCTION: runs one scenario, stops what it started, records it.
scenario() {
    local name=$1 ok=0
    scenario_pids=()
    "$2" || ok=1
    stop "${scenario_pids[@]}"
    scenario_pids=()
    if [ "$ok" -eq 0 ]; then
        passed=$((passed + 1))
        echo "PASS $name"
    else
        failed=$((failed + 1))
        echo "FAIL $name (logs in $work)"
    fi
}

# ---- scenarios -------------------------------------------------------------------

three_hooks_all_closed() {
    expect_exit 0 env HOOKBUSD="$hookbusd" HOOKBUS_CLI="$cli" "$here/policies/run.sh" &&
        expect_output "^3 of 3 hooks answer 'pre_capture'" \
            '^feature branch: exit 0, allowed \(decided by hook, 3 answers\)' \
            '^main with a key: exit 1, vetoed \(decided by hook, 3 answers\)' \
            'veto from secrets: credential-like' 'veto from policy: no captures on main' \
            '^slow audit +: exit 1, vetoed \(decided by policy, 2 answers\)' \
            'missing: audit \(timed_out\)' '^audit log: 3 events'
}

python_veto_hook() {
    spawn py-veto.log "$python" "$here/python/veto_hook.py" --name py-veto 'secrets/**'
    await_hook py-veto || return 1
    expect_exit 1 "$cli" emit capture '{"path":"secrets/a"}' --wait --timeout 2s &&
        expect_output '"hook":"py-veto"' 'protected by rule' &&
        expect_exit 0 "$cli" emit capture '{"path":"notes/a.md"}' --wait --timeout 2s &&
        expect_output '"outcome":"replied"' '"abort":""'
}

python_async_emitter() {
    spawn py-veto.log "$python" "$here/python/veto_hook.py" --name py-veto
    await_hook py-veto || return 1
    expect_exit 0 "$python" "$here/python/async_emitter.py" \
        README.md secrets/api-key.txt src/main.cpp secrets/deep/er.pem &&
        expect_output '^asking about 4 paths at once' \
            '^README.md: allowed by py-veto$' '^src/main.cpp: allowed by py-veto$' \
            '^secrets/api-key.txt: vetoed by py-veto' '^secrets/deep/er.pem: vetoed by' \
            '^4 answers in'
}

node_audit_hook() {
    local audit=$work/audit.jsonl
    spawn audit.log node "$here/node/audit_hook.mjs" "$audit"
    if ! wait_for 10 subscribed ""; then
        echo "     the audit listener never subscribed"
        return 1
    fi
    expect_exit 0 "$cli" emit deploy '{"env":"prod","who":"ana"}' &&
        expect_exit 0 "$cli" emit capture '{"path":"a.txt"}' &&
        expect_exit 0 "$cli" emit merge '"just a string"' || return 1
    # A listener is no hook: an emitter that waits is told nobody answers.
    expect_exit 4 "$cli" emit deploy '{"env":"dev"}' --wait --timeout 1s || return 1
    if ! wait_for 5 test "$(wc -l <"$audit" 2>/dev/null)" -ge 3; then
        echo "     $audit has $(wc -l <"$audit" 2>/dev/null) lines, expected 3"
        return 1
    fi
    "$python" - "$audit" <<'PY'
import json, sys
lines = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
got = [(l["name"], l["payload"], l["awaited"]) for l in lines]
want = [("deploy", {"env": "prod", "who": "ana"}, False),
        ("capture", {"path": "a.txt"}, False), ("merge", "just a string", False)]
if got != want:
    print(f"     audit lines {got} != {want}")
    sys.exit(1)
PY
}

node_veto_hook() {
    spawn node-veto.log node "$here/node/veto_hook.mjs"
    await_hook node-veto || return 1
    expect_exit 1 "$cli" emit capture '{"path":"app/.env"}' --wait --timeout 2s &&
        expect_output '"hook":"node-veto"' 'matches' &&
        expect_exit 1 "$cli" emit capture '{"path":"secrets/a"}' --wait --timeout 2s &&
        expect_exit 0 "$cli" emit capture '{"path":"app/env.md"}' --wait --timeout 2s &&
        expect_output '"checkedBy":"node-veto"'
}

shell_veto_hook() {
    spawn shell-guard.log "$cli" hook capture --name shell-guard -- "$here/shell/veto.sh"
    await_hook shell-guard || return 1
    expect_exit 1 "$cli" emit capture '{"path":"secrets/key"}' --wait --timeout 2s &&
        expect_output '"hook":"shell-guard"' 'under secrets/' &&
        expect_exit 0 "$cli" emit capture '{"path":"notes/a"}' --wait --timeout 2s &&
        expect_output '"checked_by":"shell"'
}

cpp_agent_loop() {
    [ -x "$agent_loop" ] ||
        { echo "     missing $agent_loop (build target hookbus_agent_loop)"; return 1; }
    # No hook at all: every step goes ahead.
    expect_exit 0 "$agent_loop" README.md secrets/a.pem &&
        expect_output '^agent: capture secrets/a.pem: go \(no hook answers it\)' \
            '^agent: 4 steps done, 0 skipped' || return 1
    # A guard on capture: the secret is skipped with the guard's reason.
    spawn shell-guard.log "$cli" hook capture --name shell-guard -- "$here/shell/veto.sh"
    await_hook shell-guard || return 1
    expect_exit 0 "$agent_loop" README.md secrets/a.pem src/main.cpp &&
        expect_output '^agent: plan: go' \
            '^agent: capture README.md: go \(allowed by shell-guard\)' \
            '^agent: capture secrets/a.pem: SKIPPED \(vetoed by shell-guard: refusing' \
            '^agent: capture src/main.cpp: go' '^agent: merge: go' \
            '^agent: 4 steps done, 1 skipped'
}

# ---- main -------------------------------------------------------------------------

for binary in "$hookbusd" "$cli"; do
    if [ ! -x "$binary" ]; then
        echo "missing $binary: build first, or set HOOKBUSD and HOOKBUS_CLI"
        failed=1
        summary
        exit 1
    fi
done
[ -d "$root/bindings/node/node_modules" ] ||
    echo "warning: no bindings/node/node_modules (npm ci there): Node examples fail"

"$hookbusd" --log-level info 2>"$work/broker.log" &
broker_pid=$!
if ! wait_for 10 "$cli" stats >/dev/null; then
    echo "hookbusd did not start: $(cat "$work/broker.log")"
    failed=1
    summary
    exit 1
fi

scenario "python/veto_hook.py vetoes secrets/**" python_veto_hook
scenario "python/async_emitter.py keeps several waits in flight" python_async_emitter
scenario "node/audit_hook.mjs appends every event, never answers" node_audit_hook
scenario "node/veto_hook.mjs vetoes .env and secrets/" node_veto_hook
scenario "shell/veto.sh through hookbus hook" shell_veto_hook
scenario "cpp/hookbus_agent_loop honours vetoes" cpp_agent_loop
scenario "policies/run.sh: three hooks, three languages, all + closed" three_hooks_all_closed

summary
[ "$failed" -eq 0 ]
