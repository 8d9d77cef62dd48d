"""Threats 23 and 42: fill the host's disk through the writable IPC directory.

/arena/ipc holds the channel's socket and shared-memory file; any new file there would land on
the worker's disk past the scratch cap. Tries to create files of 600 MB in total and a
directory, and to replace the socket.
"""

import os

WROTE = 0
for index in range(6):
    try:
        with open(f"/arena/ipc/fill{index}", "wb") as handle:
            for _ in range(100):
                handle.write(b"\0" * (1 << 20))
                WROTE += 1 << 20
    except OSError:
        break
for attempt in (
    lambda: os.mkdir("/arena/ipc/dir"),
    lambda: os.rename("/arena/ipc/shm", "/arena/ipc/x"),
):
    try:
        attempt()
        print("ESCAPED: changed the IPC directory")
    except OSError:
        pass
if WROTE:
    print(f"ESCAPED: wrote {WROTE} bytes into /arena/ipc")


def add(a, b):
    return a + b
