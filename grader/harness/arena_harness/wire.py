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
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

SOCKET_NAME = "arena.sock"  # in the IPC folder, bound at /arena/ipc
SHM_NAME = "arena.shm"
# What a spare harness (``--spare``) waits for on stdin before it connects.
SPARE_GO = b"go\n"
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


# -- requests (trusted -> sandbox) ----------------------------------------------------------
# The trusted side builds every request from one of these; ``payload()`` is the JSON object
# sent. ``seq``, ``out_offset`` and ``out_capacity`` are added by the channel.

Spec = dict[str, Any]  # a tensor placed in shm: dtype code, shape, offset (Channel.write_array)


@dataclass(frozen=True)
class Request:
    op: ClassVar[str]

    def payload(self) -> dict[str, Any]:
        return {"op": self.op, **self.fields()}

    def fields(self) -> dict[str, Any]:
        return {}


# How a weights file's tensors are matched to the built model's (the one rule, read by both
# sides: Weights.fields() writes it, Weights.from_request() reads it in the harness):
#   "name":  the mentee's upload (a submission path), by state-dict key; ``strict`` false lets
#            it leave out tensors the builder loaded from /arena/pretrained.
#   "order": a stage input written by the trusted side, tensor by tensor in the model's order.
#   "role":  a stage input, matched by each tensor's role in the traced graph (param_mapping),
#            so that another module layout of the same network fits.
WEIGHT_MAPPINGS = ("name", "order", "role")


@dataclass(frozen=True)
class Weights:
    file: str
    mapping: str = "name"
    strict: bool = True

    def __post_init__(self) -> None:
        if self.mapping not in WEIGHT_MAPPINGS:
            raise ValueError(f"unknown weight mapping {self.mapping!r}")

    @property
    def from_inputs(self) -> bool:
        """Whether the file is a stage input (the trusted side's), not the mentee's upload."""
        return self.mapping != "name"

    def fields(self) -> dict[str, Any]:
        return {"weights": self.file, "weights_mode": self.mapping, "weights_strict": self.strict}

    @classmethod
    def from_request(cls, request: dict[str, Any]) -> Weights | None:
        file = request.get("weights")
        if not file:
            return None
        mapping = request.get("weights_mode") or "name"
        return cls(str(file), str(mapping), bool(request.get("weights_strict", True)))


@dataclass(frozen=True)
class Model:
    """What the harness builds: the builder, its keyword arguments and the weights it gets."""

    builder: str
    builder_kwargs: dict[str, Any] = field(default_factory=dict)
    weights: Weights | None = None

    def fields(self) -> dict[str, Any]:
        out = {"builder": self.builder, "builder_kwargs": dict(self.builder_kwargs)}
        return {**out, **(self.weights.fields() if self.weights else {})}


@dataclass(frozen=True)
class Load(Request):
    """Import the entry module (once per stage) and, with ``model``, build it and load weights."""

    op: ClassVar[str] = "load"
    entry: str
    device: str = "cpu"
    import_seconds: float = 0.0  # 0: no import deadline of its own (the stage's wall clock)
    model: Model | None = None

    def fields(self) -> dict[str, Any]:
        out: dict[str, Any] = {"entry": self.entry, "device": self.device}
        if self.import_seconds:
            out["import_seconds"] = self.import_seconds
        return {**out, **(self.model.fields() if self.model else {})}


@dataclass(frozen=True)
class Call(Request):
    """Call a function of the entry module; ``audit`` names forbidden operators to record."""

    op: ClassVar[str] = "call"
    function: str
    args: tuple[Spec, ...] = ()
    kwargs: dict[str, Spec] = field(default_factory=dict)
    audit: tuple[str, ...] = ()

    def fields(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "function": self.function,
            "args": list(self.args),
            "kwargs": dict(self.kwargs),
        }
        return {**out, **({"audit": list(self.audit)} if self.audit else {})}


@dataclass(frozen=True)
class Audit(Request):
    """Which of ``forbidden`` the calls of ``function`` used (one flag each)."""

    op: ClassVar[str] = "audit"
    function: str
    forbidden: tuple[str, ...]

    def fields(self) -> dict[str, Any]:
        return {"function": self.function, "forbidden": list(self.forbidden)}


@dataclass(frozen=True)
class Infer(Request):
    op: ClassVar[str] = "infer"
    input: Spec

    def fields(self) -> dict[str, Any]:
        return {"input": self.input}


@dataclass(frozen=True)
class Params(Request):
    """The built model's parameter shapes table."""

    op: ClassVar[str] = "params"


@dataclass(frozen=True)
class Macs(Request):
    """The harness's MAC count for one input of ``input_shape`` (a claim, never trusted)."""

    op: ClassVar[str] = "macs"
    input_shape: tuple[int, ...]

    def fields(self) -> dict[str, Any]:
        return {"input_shape": list(self.input_shape)}


@dataclass(frozen=True)
class Train(Request):
    """Build the model (seeded by ``budget``) and train it on batches the trusted side feeds."""

    op: ClassVar[str] = "train"
    builder: str
    builder_kwargs: dict[str, Any]
    budget: dict[str, Any]

    def fields(self) -> dict[str, Any]:
        return {
            "builder": self.builder,
            "builder_kwargs": dict(self.builder_kwargs),
            "budget": dict(self.budget),
        }


@dataclass(frozen=True)
class Batch(Request):
    op: ClassVar[str] = "batch"
    images: Spec
    labels: Spec

    def fields(self) -> dict[str, Any]:
        return {"images": self.images, "labels": self.labels}


@dataclass(frozen=True)
class End(Request):
    """No more batches: the training call returns its state."""

    op: ClassVar[str] = "end"


@dataclass(frozen=True)
class Recalibrate(Request):
    """Recompute the trained model's batch-norm running statistics on ``images`` (training
    images already handed out, no labels), ``batch_size`` at a time, and return its state.

    Sent after the train request's state came back; the trusted side keeps that state's
    weights and takes only the statistics from this reply (grader.kinds.train.recalibration).
    """

    op: ClassVar[str] = "recalibrate"
    images: Spec
    batch_size: int

    def fields(self) -> dict[str, Any]:
        return {"images": self.images, "batch_size": self.batch_size}
