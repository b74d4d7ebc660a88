#!/usr/bin/python3
"""Publishes COUNT fire-and-forget events named NAME, each padded to about
PAD_BYTES, so that a hook that stops reading overflows the broker's high-water
mark quickly. Prints how many the broker acknowledged.

    emit_many.py NAME COUNT PAD_BYTES
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "bindings", "python", "src"))
import hookbus  # noqa: E402


def main():
    name, count, pad = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    with hookbus.Emitter() as emitter:
        for i in range(count):
            emitter.emit(name, {"i": i, "pad": "x" * pad})
    print(count)


if __name__ == "__main__":
    main()
