"""Threat 23: fill scratch, /tmp and home; the cap must hold and the worker's disk stay free."""

import os

for folder in ("/scratch", "/tmp", os.path.expanduser("~")):
    written = 0
    try:
        with open(os.path.join(folder, "fill.bin"), "wb") as handle:
            while written < 4 << 30:
                handle.write(b"\0" * (1 << 20))
                handle.flush()
                written += 1 << 20
    except OSError:
        pass
    if written >= 1 << 30:
        print(f"ESCAPED: wrote {written >> 20} MB into {folder}")


def add(a, b):
    return a + b
