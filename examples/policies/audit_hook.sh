#!/bin/sh
# The audit logger of the three-hook example, run by `hookbus hook` once per
# event: it appends the payload to $AUDIT_LOG and allows. A payload asking for
# "slow" makes it take 5 s, longer than the emitter waits, to show what
# --on-failure closed does with a missing answer.
#
#     hookbus hook pre_capture --name audit -- sh examples/policies/audit_hook.sh
payload=$(cat)
printf '%s %s\n' "$HOOKBUS_EVENT_ID" "$payload" >>"${AUDIT_LOG:-/dev/null}"
case $payload in
*'"slow"'*) sleep 5 ;;
esac
echo '{"abort":"","logged":true}'
