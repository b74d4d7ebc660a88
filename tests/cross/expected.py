"""The reply each cross-language hook sends for question number `n`, shared by the
Python hook and the checker (the Node hook builds the same object in
node_hook.mjs). Odd questions are vetoed; every reply carries extra fields of
several JSON types that must reach the C++ emitter unchanged."""


def reply_for(hook, n):
    return {
        "abort": f"vetoed by {hook}: ünïcödé ✋ #{n}" if n % 2 else "",
        "n": n,
        "hook": hook,
        "nested": {"list": [1, 2.5, {"deep": [None, True, False]}], "empty": {}},
        "text": "héllo wörld, 日本語 🚀 \"quoted\" \\ back\tslash",
        "number": -12345.678,
        "big": 9007199254740991,
    }


def payload_for(n):
    """The JSON text the emitter sends for question `n`."""
    return '{"n": %d, "note": "größe 😀", "nested": {"k": [true, null]}}' % n
