"""``python -m arena_harness --ipc DIR --submission DIR``: connect, then serve until bye."""

from __future__ import annotations

import argparse
import mmap
import os
import socket
from pathlib import Path

from .server import Server
from .wire import SHM_NAME, SOCKET_NAME


def main() -> None:
    parser = argparse.ArgumentParser(prog="arena_harness")
    parser.add_argument("--ipc", type=Path, default=Path("/arena/ipc"))
    parser.add_argument("--submission", type=Path, default=Path("/arena/submission"))
    parser.add_argument("--inputs", type=Path, default=Path("/arena/inputs"))
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(str(args.ipc / SOCKET_NAME))
    fd = os.open(args.ipc / SHM_NAME, os.O_RDWR | os.O_NOFOLLOW)
    shm = mmap.mmap(fd, 0)
    os.close(fd)
    try:
        Server(sock, shm, args.submission, args.inputs).serve()
    except ConnectionError:
        pass  # the trusted side hung up: nothing left to do
    finally:
        sock.close()


if __name__ == "__main__":
    main()
