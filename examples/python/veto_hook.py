#!/usr/bin/python3
"""A hook that vetoes captures of protected files.

It answers every `capture` event: when the payload's "path" matches one of the
rules it replies with an `abort` reason, so the emitter skips the capture;
otherwise it replies with an empty `abort` so the emitter need not wait for its
deadline. Rules are path globs (`*` stays within a directory, `**` crosses
directories) or, with a `re:` prefix, regular expressions searched in the path.

    /usr/bin/python3 examples/python/veto_hook.py 'secrets/**' 're:\\.env$'
"""

import argparse
import logging
import os
import re
import signal
import sys
import threading

# Run from a checkout without installing: use the binding next to this example.
# An installed `hookbus` package (pip install ./bindings/python) works as well.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "bindings", "python", "src"))
import hookbus  # noqa: E402

DEFAULT_RULES = "secrets/**"


def glob_to_regex(glob):
    """Translate a path glob into an anchored regular expression."""
    parts = []
    i = 0
    while i < len(glob):
        if glob.startswith("**", i):
            parts.append(".*")
            i += 2
        elif glob[i] == "*":
            parts.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            parts.append("[^/]")
            i += 1
        else:
            parts.append(re.escape(glob[i]))
            i += 1
    return re.compile("".join(parts) + r"\Z")


def compile_rule(rule):
    """A rule is a glob matched against the whole path, or `re:REGEX`."""
    if rule.startswith("re:"):
        return rule, re.compile(rule[3:]).search
    return rule, glob_to_regex(rule).match


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rules", nargs="*",
                        help="path globs, or re:REGEX (default: $VETO_RULES, "
                             f"comma-separated, else {DEFAULT_RULES!r})")
    parser.add_argument("--name", default="py-veto", help="this hook's name")
    parser.add_argument("--event", default="capture", help="the event to guard")
    args = parser.parse_args()
    if not args.rules:
        args.rules = os.environ.get("VETO_RULES", DEFAULT_RULES).split(",")
    return args


def main():
    args = parse_args()
    # The binding logs nothing unless asked; show handler errors on stderr.
    logging.basicConfig(format="%(name)s: %(levelname)s: %(message)s")
    rules = [compile_rule(rule) for rule in args.rules if rule]
    hooks = hookbus.HookApp(args.name)

    @hooks.on(args.event)
    def check(event):
        payload = event.payload
        path = payload.get("path") if isinstance(payload, dict) else None
        if not isinstance(path, str):
            return {"abort": "", "checked_by": args.name, "note": "no path"}
        for text, matches in rules:
            if matches(path):
                print(f"{args.name}: refused {path} (rule {text})", flush=True)
                return f"{path} is protected by rule {text!r}"
        print(f"{args.name}: allowed {path}", flush=True)
        return {"abort": "", "checked_by": args.name}

    @hooks.on_lagged
    def lagged(lag):
        print(f"{args.name}: {lag}", file=sys.stderr, flush=True)

    def announce_when_live():
        if hooks.wait_ready(10):
            print(f"{args.name}: live for '{args.event}', refusing paths matching "
                  f"{', '.join(text for text, _ in rules)}", flush=True)

    # SIGTERM stops the loop like Ctrl-C does, so the hook says bye on its way out.
    signal.signal(signal.SIGTERM, lambda *_: hooks.stop())
    threading.Thread(target=announce_when_live, daemon=True).start()
    try:
        hooks.run()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
