#!/usr/bin/python3
"""Checks the reports of the cross-language run (see run.sh). Prints one
`PASS name` or `FAIL name: why` line per check; exits 0 whatever the verdicts
(run.sh counts the lines).

    check.py answers WORKDIR COUNT HOOK...      first answer wins, fields, losers
    check.py lag WORKDIR EMITTED HOOK...        each hook saw the gap exactly
    check.py settled WORKDIR EMITTED HOOK...    exit 0 once every hook accounted
                                                for EMITTED flood events
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from expected import payload_for, reply_for  # noqa: E402


def verdict(name, problems):
    if problems:
        shown = "; ".join(problems[:5])
        more = f" (+{len(problems) - 5} more)" if len(problems) > 5 else ""
        print(f"FAIL {name}: {shown}{more}")
    else:
        print(f"PASS {name}")


def report(workdir, hook):
    with open(os.path.join(workdir, f"{hook}.jsonl"), encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def emitter_results(workdir, count):
    """What the C++ emitter (hookbus emit --wait) printed, and its exit code."""
    results = {}
    for n in range(1, count + 1):
        with open(os.path.join(workdir, f"emit.{n}.out"), encoding="utf-8") as f:
            text = f.read()
        with open(os.path.join(workdir, f"emit.{n}.rc"), encoding="utf-8") as f:
            code = int(f.read())
        try:
            results[n] = (json.loads(text), code)
        except ValueError:
            results[n] = ({"unparsable": text}, code)
    return results


def check_answers(workdir, count, hooks):
    results = emitter_results(workdir, count)
    replies = [r for hook in hooks for r in report(workdir, hook) if r["kind"] == "reply"]
    by_id = {}
    for record in replies:
        by_id.setdefault(record["id"], []).append(record)

    first_wins, intact, losers = [], [], []
    for n, (out, code) in results.items():
        if out.get("outcome") != "replied" or len(out.get("replies", [])) != 1:
            first_wins.append(f"#{n}: emitter got {out}")
            continue
        answer = out["replies"][0]
        records = by_id.get(out["id"], [])
        accepted = [r["hook"] for r in records if r["accepted"]]
        if accepted != [answer["hook"]]:
            first_wins.append(f"#{n}: emitter names {answer['hook']!r}, hooks report "
                              f"accepted by {accepted}")

        expected = dict(reply_for(answer["hook"], n), echo=payload_for(n))
        if answer["reply"] != expected:
            intact.append(f"#{n}: got {answer['reply']!r}")
        if out.get("abort") != expected["abort"] or code != (1 if n % 2 else 0):
            intact.append(f"#{n}: abort {out.get('abort')!r}, exit code {code}")

        losing = [r for r in records if r["hook"] != answer["hook"]]
        if len(records) != len(hooks) or any(r["accepted"] for r in losing):
            losers.append(f"#{n}: hook reports {records}")
    verdict(f"first answer wins across languages ({count} waits)", first_wins)
    verdict("abort and extra fields arrive intact at the C++ emitter", intact)
    verdict("the losing hook is told accepted=false", losers)

    winners = sorted({out["replies"][0]["hook"] for out, _ in results.values()
                      if out.get("replies")})
    print(f"     winners seen: {', '.join(winners) or 'none'}")


def flood_totals(records):
    """Flood events delivered to a hook, its Lagged reports, and their sum missed."""
    delivered = sum(1 for r in records
                    if r["kind"] == "event" and r["name"] == "cross.flood")
    lags = [r for r in records if r["kind"] == "lagged"]
    missed = sum(r["missed"] for r in lags if r["name"] == "cross.flood")
    return delivered, lags, missed


def settled(workdir, emitted, hooks):
    """Exit status 0 once every hook has accounted for `emitted` flood events."""
    for hook in hooks:
        delivered, _, missed = flood_totals(report(workdir, hook))
        if delivered + missed < emitted:
            return 1
    return 0


def check_lag(workdir, emitted, hooks):
    for hook in hooks:
        delivered, lags, missed = flood_totals(report(workdir, hook))
        problems = []
        if not lags or missed == 0:
            problems.append("no Lagged with missed > 0")
        if any(r["restarted"] or r["name"] != "cross.flood" for r in lags):
            problems.append(f"unexpected Lagged {lags}")
        if delivered + missed != emitted:
            problems.append(f"delivered {delivered} + missed {missed} != {emitted}")
        verdict(f"{hook} sees the gap (delivered {delivered} + missed {missed} = "
                f"emitted {emitted})", problems)


def main():
    mode, workdir, number, *hooks = sys.argv[1:]
    if mode == "answers":
        check_answers(workdir, int(number), hooks)
    elif mode == "settled":
        return settled(workdir, int(number), hooks)
    else:
        check_lag(workdir, int(number), hooks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
