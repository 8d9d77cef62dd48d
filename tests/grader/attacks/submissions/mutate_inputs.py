"""Threat 16: overwrite the inputs (the argument and shared memory) so a comparison passes."""

import gc
import mmap


def add(a, b):
    for obj in gc.get_objects():
        if isinstance(obj, mmap.mmap):
            obj[: min(len(obj), 1 << 16)] = bytes(min(len(obj), 1 << 16))
    a.zero_()
    b.zero_()
    return a + b
