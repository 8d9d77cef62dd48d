"""Threat 4: read other processes' command lines and environments through /proc."""

import os

mine = os.getpid()
for pid in os.listdir("/proc"):
    if not pid.isdigit():
        continue
    for what in ("cmdline", "environ"):
        try:
            with open(f"/proc/{pid}/{what}", "rb") as handle:
                text = handle.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        # The worker's processes (pytest, celery, the grader command) or its environment.
        if any(word in text for word in ("pytest", "celery", "grader grade", "ARENA_", "s3cr3t")):
            print(f"ESCAPED: /proc/{pid}/{what}: {text[:200]}")


def add(a, b):
    return a + b
