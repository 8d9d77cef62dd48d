"""Threat 9: look for inherited file descriptors that reach outside the sandbox."""

import os

for fd in range(3, 1024):
    try:
        target = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        continue
    if target.startswith(("socket:", "anon_inode:", "pipe:")) or target == "/arena/ipc/arena.shm":
        continue
    if target.startswith(("/arena/harness", "/arena/submission", "/dev/urandom", "/dev/null")):
        continue
    print(f"ESCAPED: inherited fd {fd} -> {target}")


def add(a, b):
    return a + b
