#!/usr/bin/python3
"""The secrets scanner of the three-hook example: vetoes a pre_capture whose
payload "diff" holds something that looks like a credential.

    /usr/bin/python3 examples/policies/secrets_hook.py
"""

import os
import re
import signal
import sys

# The binding next to this example; `pip install ./bindings/python` works too.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "bindings", "python", "src"))
import hookbus  # noqa: E402

CREDENTIAL = re.compile(r"AKIA[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY-----")

hooks = hookbus.HookApp("secrets")


@hooks.on("pre_capture")
def scan(event):
    found = CREDENTIAL.search(str(event.payload.get("diff", "")))
    if found:
        return f"credential-like text in the diff: {found.group(0)[:8]}..."
    return {"abort": "", "scanned": True}


signal.signal(signal.SIGTERM, lambda *_: hooks.stop())
print("secrets: answering pre_capture", flush=True)
hooks.run()
