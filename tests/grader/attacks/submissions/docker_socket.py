"""Threat 6: the Docker socket."""

import os
import socket

for path in ("/var/run/docker.sock", "/run/docker.sock"):
    if os.path.exists(path):
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(path)
            print(f"ESCAPED: connected to {path}")
        except OSError:
            pass


def add(a, b):
    return a + b
