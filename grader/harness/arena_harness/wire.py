"""The byte layout between the harness and the trusted side (version 1).

Sandbox -> trusted: a fixed 16-byte header, a UTF-8 message of at most ``MAX_MESSAGE`` bytes
and ``n_tensors`` fixed 88-byte tensor descriptors; tensor bytes live in the shared-memory file.
Trusted -> sandbox: a 4-byte length and a JSON object (the trusted side writes it; the
harness reads it). The trusted side parses the sandbox's frames in ``grader.protocol``.
"""

from __future__ import annotations

import json
import socket
import struct

import numpy as np

SOCKET_NAME = "arena.sock"  # in the IPC folder, bound at /arena/ipc
SHM_NAME = "arena.shm"
MAGIC = b"DDAR"
VERSION = 1
HEADER = struct.Struct("<4sBBBBHHI")  # magic, version, type, status, n_tensors, msg len, 0, seq
TENSOR = struct.Struct("<BB6x8qQQ")  # dtype code, ndim, shape[8], offset, nbytes
MAX_NDIM = 8
MAX_TENSORS = 16
MAX_MESSAGE = 1024
MAX_REQUEST = 1 << 20
ALIGN = 64

# Message types.
HELLO = 1
RESULT = 2

# Status codes: coarse on purpose, so a reply cannot carry hidden data (threat 20).
OK = 0
INTERFACE = 1  # a required function, builder or attribute is missing or not callable
EXCEPTION = 2  # mentee code raised
WEIGHTS = 3  # the weights file is missing, unreadable or does not fit the model
BAD_OUTPUT = 4  # a result is not a tensor/array/number, or of a refused dtype
OUTPUT_TOO_LARGE = 5
SYNTAX = 6  # the entry module does not compile
UNSAFE_WEIGHTS = 7  # the weights file holds a pickle that weights_only refuses
BAD_REQUEST = 8  # the harness could not understand the trusted side (a grader bug)
BUDGET = 9  # training overran its budget
STATUS_NAMES = {
    OK: "ok",
    INTERFACE: "interface",
    EXCEPTION: "exception",
    WEIGHTS: "weights",
    BAD_OUTPUT: "bad_output",
    OUTPUT_TOO_LARGE: "output_too_large",
    SYNTAX: "syntax",
    UNSAFE_WEIGHTS: "unsafe_weights",
    BAD_REQUEST: "bad_request",
    BUDGET: "budget",
}

DTYPES: dict[int, np.dtype] = {
    1: np.dtype("<f4"),
    2: np.dtype("<f8"),
    3: np.dtype("<f2"),
    4: np.dtype("<i8"),
    5: np.dtype("<i4"),
    6: np.dtype("u1"),
    7: np.dtype("?"),
    8: np.dtype("<i2"),
    9: np.dtype("i1"),
}
DTYPE_CODES = {dtype: code for code, dtype in DTYPES.items()}


def align(offset: int) -> int:
    return (offset + ALIGN - 1) // ALIGN * ALIGN


def encode_frame(
    msg_type: int,
    status: int,
    seq: int,
    message: str = "",
    tensors: tuple[tuple[int, tuple[int, ...], int, int], ...] = (),
) -> bytes:
    """``tensors``: (dtype code, shape, offset, nbytes) of arrays already written to shm."""
    text = message.encode("utf-8", "replace")[:MAX_MESSAGE]
    parts = [HEADER.pack(MAGIC, VERSION, msg_type, status, len(tensors), len(text), 0, seq), text]
    for code, shape, offset, nbytes in tensors:
        padded = tuple(shape) + (0,) * (MAX_NDIM - len(shape))
        parts.append(TENSOR.pack(code, len(shape), *padded, offset, nbytes))
    return b"".join(parts)


def recv_exact(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            raise ConnectionError("the other side closed the channel")
        chunks += chunk
    return bytes(chunks)


def send_request(sock: socket.socket, request: dict) -> None:
    body = json.dumps(request).encode()
    sock.sendall(struct.pack("<I", len(body)) + body)


def recv_request(sock: socket.socket) -> dict:
    (size,) = struct.unpack("<I", recv_exact(sock, 4))
    if size > MAX_REQUEST:
        raise ValueError("request too large")
    request = json.loads(recv_exact(sock, size))
    if not isinstance(request, dict):
        raise TypeError("request must be an object")
    return request


def tensor_view(shm: memoryview, spec: dict) -> np.ndarray:
    """A numpy view of a tensor the trusted side placed in shm (described by ``spec``)."""
    dtype = DTYPES[int(spec["dtype"])]
    shape = tuple(int(s) for s in spec["shape"])
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    return np.frombuffer(shm, dtype=dtype, count=count, offset=int(spec["offset"])).reshape(shape)
