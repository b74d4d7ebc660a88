#!/usr/bin/python3
"""The Python side of the cross-language test: a hook answering `cross.ask` (the
reply of expected.py, echoing the payload text it received) and receiving
`cross.flood`. Every reply's verdict, every flood event and every Lagged go to a
JSON-lines report. While the pause file exists the hook stops reading events,
so that the broker has to drop for it.

    py_hook.py NAME REPORT PAUSE_FILE
"""

import json
import os
import random
import signal
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "bindings", "python", "src"))
sys.path.insert(0, here)
import hookbus  # noqa: E402
from expected import reply_for  # noqa: E402

# A small client-side queue, so that a paused hook loses events quickly.
CLIENT_HWM = 4


def main():
    name, report_path, pause_path = sys.argv[1:4]
    report = open(report_path, "a", buffering=1, encoding="utf-8")

    def write(**record):
        report.write(json.dumps(record, ensure_ascii=False) + "\n")

    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    hook = hookbus.Hook(name, ["cross.ask", "cross.flood"], hwm=CLIENT_HWM)
    if not hook.wait_ready(10):
        write(kind="error", what="no hello_ok within 10 s")
        return 1
    write(kind="ready")
    paused = False
    while not stopping:
        if os.path.exists(pause_path):
            if not paused:
                write(kind="paused")
                paused = True
            time.sleep(0.02)
            continue
        if paused:
            write(kind="resumed")
            paused = False
        try:
            event = hook.next(timeout=0.1)
        except hookbus.Lagged as lag:
            write(kind="lagged", name=lag.name, missed=lag.missed,
                  restarted=lag.restarted)
            continue
        if event is None:
            continue
        if event.name == "cross.flood":
            write(kind="event", name=event.name, seq=event.seq,
                  sentinel=bool(event.payload.get("sentinel")))
            continue
        n = event.payload["n"]
        # A little jitter so that either language may answer first.
        time.sleep(random.uniform(0, 0.015))
        accepted = hook.reply(event, dict(reply_for(name, n), echo=event.payload_json))
        write(kind="reply", id=event.id, n=n, hook=name, accepted=accepted)
    hook.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
