# Shell helpers shared by examples/run_all.sh and tests/cross/run.sh. Source it after
# setting $cli (the hookbus CLI) and $python (an interpreter with the json module).

# wait_for SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds.
wait_for() {
    local tries=$(($1 * 10))
    shift
    while ! "$@" 2>/dev/null; do
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || return 1
        sleep 0.1
    done
}

# live_hooks NAME...: true when the broker's stats list every NAME as live.
live_hooks() {
    "$cli" stats 2>/dev/null | "$python" -c '
import json, sys
live = {h["hook"] for h in json.load(sys.stdin)["hooks"] if h["live"]}
sys.exit(0 if set(sys.argv[1:]) <= live else 1)' "$@"
}
