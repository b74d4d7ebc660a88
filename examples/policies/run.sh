#!/usr/bin/env bash
# Three hooks in three languages answer one event, pre_capture, and the emitter
# waits for all of them with the failure policy closed:
#   secrets (Python)  vetoes a diff that holds a credential
#   policy  (Node)    vetoes a capture on a protected branch
#   audit   (shell)   logs every payload and allows; "slow" makes it miss the deadline
# It starts its own hookbusd in a temporary directory, emits three events and
# prints each verdict, then stops everything it started.
#
#     examples/policies/run.sh        (after cmake --build build)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${HOOKBUS_BUILD_DIR:-$root/build}
hookbusd=${HOOKBUSD:-$build/src/hookbusd}
cli=${HOOKBUS_CLI:-$build/src/hookbus}

work=$(mktemp -d /tmp/hookbus-policies.XXXXXX)
export HOOKBUS_DIR=$work/bus AUDIT_LOG=$work/audit.log
pids=()
cleanup() {
    kill "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

"$hookbusd" --log-level warning --policy pre_capture=all \
    --on-failure pre_capture=closed >"$work/hookbusd.log" 2>&1 &
pids+=($!)
/usr/bin/python3 "$here/secrets_hook.py" >"$work/secrets.log" 2>&1 &
pids+=($!)
node "$here/policy_hook.mjs" >"$work/policy.log" 2>&1 &
pids+=($!)
"$cli" hook pre_capture --name audit -- sh "$here/audit_hook.sh" >"$work/audit.out" 2>&1 &
pids+=($!)

# The slow joiner's cure: emit only once all three are registered and subscribed.
"$cli" wait pre_capture --hooks 3 --timeout 20s

# ask LABEL PAYLOAD: emits pre_capture under the broker's defaults for the name
# (all, closed) and prints the exit code and the verdict.
ask() {
    local code=0
    "$cli" emit pre_capture "$2" --wait --timeout 2s >"$work/out.json" || code=$?
    /usr/bin/python3 - "$1" "$code" "$work/out.json" <<'PY'
import json, sys
label, code, path = sys.argv[1], sys.argv[2], sys.argv[3]
out = json.load(open(path))
print(f"{label}: exit {code}, {out['verdict']} (decided by {out['decided_by']}, "
      f"{len(out['replies'])} answers)")
for veto in out["vetoes"]:
    print(f"  veto from {veto['hook'] or 'policy'}: {veto['reason']}")
for gone in out["missing"]:
    print(f"  missing: {gone['hook']} ({gone['why']})")
PY
}

ask "feature branch" '{"branch":"feature/x","diff":"+ print(1)"}'
ask "main with a key" '{"branch":"main","diff":"+ key = AKIAABCDEFGHIJKLMNOP"}'
ask "slow audit     " '{"branch":"feature/y","diff":"+ x","slow":true}'
echo "audit log: $(wc -l <"$AUDIT_LOG") events"
