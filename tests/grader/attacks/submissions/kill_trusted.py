"""Threat 7: kill or trace every other process (the worker, the trusted timer)."""

import ctypes
import os
import signal

me = os.getpid()
for pid in range(1, 70000):
    if pid != me:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
libc = ctypes.CDLL(None, use_errno=True)
for pid in (1, os.getppid()):
    if libc.ptrace(16, pid, None, None) == 0:  # PTRACE_ATTACH
        print(f"ESCAPED: traced pid {pid}")


def add(a, b):
    return a + b
