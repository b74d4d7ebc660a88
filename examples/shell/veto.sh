#!/bin/sh
# A hook in plain shell, run once per event by `hookbus hook`: the event's JSON payload
# arrives on stdin, and what this prints (a JSON object) is the answer. It vetoes any
# capture whose payload mentions a path under secrets/.
payload=$(cat)
case "$payload" in
*'"secrets/'*) echo '{"abort":"refusing to capture a file under secrets/"}' ;;
*) echo '{"abort":"","checked_by":"shell"}' ;;
esac
