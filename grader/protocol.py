"""The trusted side of the harness channel: a listening Unix socket and a shared-memory file.

Everything the sandbox sends is parsed here with fixed sizes and caps: a 16-byte header, a
capped message, fixed tensor descriptors pointing into the part of shared memory the request
allowed. Nothing is unpickled, imported or executed; a frame that breaks a rule ends the run
as ``ProtocolViolation`` (the mentee's code tampered with the channel).

The trusted side never maps the shared-memory file (threat 42): the sandbox can truncate it at
any moment, and touching a mapped page past the end of a shrunk file kills the reader with
SIGBUS. It reads and writes through its own descriptor with ``pread``/``pwrite`` instead: a
shrunk file gives a short read, which ends the run as a ``ProtocolViolation``.
"""

from __future__ import annotations

import os
import select
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from grader.harness.arena_harness import wire
from grader.harness.arena_harness.wire import SHM_NAME, SOCKET_NAME

MAX_DIM = 1 << 31
# A shapes table row (a parameter or state tensor) holds at most this many values: far above
# any real model, far below where int64 products overflow.
MAX_TENSOR_VALUES = 1 << 40


class ChannelError(Exception):
    """The sandbox side did not answer as the protocol requires."""


class ProtocolViolation(ChannelError):
    """A malformed, oversized or out-of-bounds frame."""


class ChannelClosed(ChannelError):
    """The sandbox process hung up (it exited, crashed or was killed)."""


class QueryTimeout(ChannelError):
    """No answer before the deadline."""


@dataclass(frozen=True)
class TensorRef:
    dtype: np.dtype
    shape: tuple[int, ...]
    offset: int
    nbytes: int


@dataclass(frozen=True)
class Reply:
    status: int
    message: str
    tensors: tuple[TensorRef, ...]

    @property
    def ok(self) -> bool:
        return self.status == wire.OK

    @property
    def status_name(self) -> str:
        return wire.STATUS_NAMES[self.status]


def parse_header(data: bytes) -> tuple[int, int, int, int, int]:
    """(type, status, n_tensors, message length, seq) of a header, or ProtocolViolation."""
    if len(data) != wire.HEADER.size:
        raise ProtocolViolation("short header")
    magic, version, msg_type, status, n_tensors, msg_len, reserved, seq = wire.HEADER.unpack(data)
    if magic != wire.MAGIC or version != wire.VERSION or reserved != 0:
        raise ProtocolViolation("bad magic or version")
    if msg_type not in (wire.HELLO, wire.RESULT):
        raise ProtocolViolation(f"unknown message type {msg_type}")
    if status not in wire.STATUS_NAMES:
        raise ProtocolViolation(f"unknown status {status}")
    if n_tensors > wire.MAX_TENSORS or msg_len > wire.MAX_MESSAGE:
        raise ProtocolViolation("too many tensors or too long a message")
    return msg_type, status, n_tensors, msg_len, seq


def parse_tensor(data: bytes, window: tuple[int, int]) -> TensorRef:
    """A tensor descriptor that must lie inside ``window`` = (offset, capacity) of shm."""
    code, ndim, *rest = wire.TENSOR.unpack(data)
    dims, offset, nbytes = rest[: wire.MAX_NDIM], rest[wire.MAX_NDIM], rest[wire.MAX_NDIM + 1]
    if code not in wire.DTYPES:
        raise ProtocolViolation(f"dtype code {code} is not allowed")
    if ndim > wire.MAX_NDIM or any(d != 0 for d in dims[ndim:]):
        raise ProtocolViolation("bad number of dimensions")
    shape = tuple(dims[:ndim])
    if any(d < 0 or d > MAX_DIM for d in shape):
        raise ProtocolViolation("dimension out of range")
    dtype = wire.DTYPES[code]
    if nbytes != int(np.prod(shape, dtype=object)) * dtype.itemsize:
        raise ProtocolViolation("byte length does not match shape and dtype")
    start, capacity = window
    if offset < start or offset + nbytes > start + capacity or offset % dtype.itemsize:
        raise ProtocolViolation("tensor outside the output window")
    return TensorRef(dtype, shape, offset, nbytes)


def check_shape_table(table: np.ndarray) -> np.ndarray:
    """A (rows, 9) table of integers: ndim in 0..8, then that many sizes, zeros after.

    Sizes and the values per row are bounded so no later product overflows int64 (an
    overflowing table could otherwise "match" a short state vector and crash a reshape).
    """
    if table.dtype.kind not in "iu" or table.ndim != 2 or table.shape[1] != wire.MAX_NDIM + 1:
        raise ProtocolViolation("a shapes table must be a (rows, 9) table of integers")
    table = table.astype(np.int64)
    ndims, sizes = table[:, 0], table[:, 1:]
    used = np.arange(wire.MAX_NDIM)[None, :] < ndims[:, None]
    if (ndims < 0).any() or (ndims > wire.MAX_NDIM).any():
        raise ProtocolViolation("a shapes table row has a bad number of dimensions")
    if (sizes < 0).any() or (sizes > MAX_DIM).any() or (sizes[~used] != 0).any():
        raise ProtocolViolation("a shapes table holds a size out of range")
    for row in table.tolist():  # Python integers: these products cannot overflow
        values = 1
        for size in row[1 : 1 + row[0]]:
            values *= size
        if values > MAX_TENSOR_VALUES:
            raise ProtocolViolation("a shapes table names a tensor of more than 2**40 values")
    return table


class SharedMemory:
    """The shared-memory file, reached through its descriptor only (never mapped here)."""

    def __init__(self, path: Path, size: int) -> None:
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        self.fd = os.open(path, flags, 0o600)
        self.size = size
        os.ftruncate(self.fd, size)

    def write(self, data: memoryview, offset: int) -> None:
        done = 0
        while done < len(data):  # pwrite past a shrunk end just grows the file again
            done += os.pwrite(self.fd, data[done:], offset + done)

    def read_into(self, buffer: memoryview, offset: int) -> None:
        """Fill ``buffer`` from ``offset``; a file the sandbox shrank is a protocol violation."""
        if os.fstat(self.fd).st_size < offset + len(buffer):
            raise ProtocolViolation("the shared-memory file was shrunk by the sandbox")
        done = 0
        while done < len(buffer):
            got = os.preadv(self.fd, [buffer[done:]], offset + done)
            if got == 0:  # shrunk between the size check and the read
                raise ProtocolViolation("the shared-memory file was shrunk by the sandbox")
            done += got

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class Channel:
    """One harness connection: created before the sandbox starts, closed after it ends."""

    def __init__(self, ipc_dir: Path, shm_bytes: int) -> None:
        self.ipc_dir = ipc_dir
        self.shm_bytes = wire.align(max(shm_bytes, 4096))
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(ipc_dir / SOCKET_NAME))
        self.listener.listen(1)
        self.shm = SharedMemory(ipc_dir / SHM_NAME, self.shm_bytes)
        self.conn: socket.socket | None = None
        self.seq = 0

    def resize(self, shm_bytes: int) -> None:
        """A spare's channel (``grader/stages/spares.py``) takes its stage's size at the claim,
        before the harness maps the file (it maps only after the go line)."""
        assert self.conn is None, "before accept()"
        self.shm_bytes = wire.align(max(shm_bytes, 4096))
        self.shm.size = self.shm_bytes
        os.ftruncate(self.shm.fd, self.shm_bytes)

    def accept(self, alive: Callable[[], bool], timeout: float) -> None:
        """Wait for the harness to connect and say hello; ``alive`` is polled meanwhile."""
        deadline = time.monotonic() + timeout
        while self.conn is None:
            if not alive():
                raise ChannelClosed("the sandbox exited before the harness connected")
            if time.monotonic() > deadline:
                raise QueryTimeout("the harness did not connect in time")
            ready, _, _ = select.select([self.listener], [], [], 0.05)
            if ready:
                self.conn, _ = self.listener.accept()
        self.listener.close()  # one connection only: mentee code cannot open a second one
        reply = self.read_reply(
            expected_seq=0, window=(0, 0), deadline=deadline, msg_type=wire.HELLO
        )
        if not reply.ok:
            raise ProtocolViolation("the harness did not say hello")

    # -- shared memory ---------------------------------------------------------------------
    def write_array(self, array: np.ndarray, offset: int) -> dict[str, Any]:
        """Copy ``array`` into shm at ``offset``; return the spec the harness reads it by."""
        array = np.asarray(array, order="C")  # ascontiguousarray would make 0-d arrays 1-d
        if array.dtype not in wire.DTYPE_CODES:
            array = array.astype(array.dtype.newbyteorder("<"))
        if offset + array.nbytes > self.shm_bytes:
            raise ValueError(f"{array.nbytes} bytes do not fit shm at offset {offset}")
        self.shm.write(_bytes_of(array), offset)
        return {
            "dtype": wire.DTYPE_CODES[array.dtype],
            "shape": list(array.shape),
            "offset": offset,
            "nbytes": array.nbytes,
        }

    def read_array(
        self,
        ref: TensorRef,
        expected_shape: tuple[int, ...] | None = None,
        *,
        finite: bool = True,
        kinds: str = "biuf",
    ) -> np.ndarray:
        """A private copy of a reply tensor, checked for shape, dtype class and finiteness.

        ``kinds``: the numpy dtype kinds the caller accepts (``"f"``: floating only); any other
        is a ``DtypeMismatch``, so boolean logits never reach a metric.
        """
        if expected_shape is not None and ref.shape != tuple(expected_shape):
            raise ShapeMismatch(ref.shape, tuple(expected_shape))
        if ref.dtype.kind not in kinds:
            raise DtypeMismatch(ref.dtype, kinds)
        array = np.empty(ref.shape, dtype=ref.dtype)
        if ref.nbytes:
            self.shm.read_into(_bytes_of(array), ref.offset)
        if finite and array.dtype.kind == "f" and not np.isfinite(array).all():
            raise NonFinite(ref.shape)
        return array

    # -- messages --------------------------------------------------------------------------
    def request(self, payload: dict[str, Any], *, window: tuple[int, int], timeout: float) -> Reply:
        self.send(payload, window=window)
        return self.receive(window=window, timeout=timeout)

    def send(self, payload: dict[str, Any], *, window: tuple[int, int]) -> None:
        assert self.conn is not None, "accept() first"
        self.seq += 1
        try:
            wire.send_request(
                self.conn,
                {**payload, "seq": self.seq, "out_offset": window[0], "out_capacity": window[1]},
            )
        except OSError as exc:
            raise ChannelClosed(f"channel broke: {exc.strerror}") from None

    def receive(self, *, window: tuple[int, int], timeout: float) -> Reply:
        return self.read_reply(self.seq, window, time.monotonic() + timeout, wire.RESULT)

    def read_reply(
        self, expected_seq: int, window: tuple[int, int], deadline: float, msg_type: int
    ) -> Reply:
        header = self._recv(wire.HEADER.size, deadline)
        kind, status, n_tensors, msg_len, seq = parse_header(header)
        if kind != msg_type or seq != expected_seq:
            raise ProtocolViolation("reply out of sequence")
        message = self._recv(msg_len, deadline).decode("utf-8", "replace") if msg_len else ""
        tensors = tuple(
            parse_tensor(self._recv(wire.TENSOR.size, deadline), window) for _ in range(n_tensors)
        )
        return Reply(status, _printable(message), tensors)

    def _recv(self, size: int, deadline: float) -> bytes:
        assert self.conn is not None
        data = bytearray()
        while len(data) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise QueryTimeout("no answer before the deadline")
            self.conn.settimeout(remaining)
            try:
                chunk = self.conn.recv(size - len(data))
            except TimeoutError:
                raise QueryTimeout("no answer before the deadline") from None
            except OSError as exc:
                raise ChannelClosed(f"channel broke: {exc.strerror}") from None
            if not chunk:
                raise ChannelClosed("the harness hung up")
            data += chunk
        return bytes(data)

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.settimeout(0.2)
                wire.send_request(self.conn, {"op": "bye"})
            except OSError:
                pass
            self.conn.close()
            self.conn = None
        self.listener.close()
        self.shm.close()


class ShapeMismatch(ChannelError):
    def __init__(self, got: tuple[int, ...], want: tuple[int, ...]) -> None:
        super().__init__(f"shape {list(got)} instead of {list(want)}")
        self.got, self.want = got, want


_KIND_WORDS = {"b": "boolean", "i": "integer", "u": "integer", "f": "floating-point"}


class DtypeMismatch(ChannelError):
    """A result of a dtype class the caller does not accept (bool logits, say)."""

    def __init__(self, got: np.dtype, kinds: str) -> None:
        wanted = sorted({_KIND_WORDS[k] for k in kinds})
        super().__init__(
            f"a {_KIND_WORDS.get(got.kind, got.kind)} result where "
            f"{' or '.join(wanted)} values are expected"
        )
        self.got, self.kinds = got, kinds


class NonFinite(ChannelError):
    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__(f"an output of shape {list(shape)} holds NaN or infinity")


def _bytes_of(array: np.ndarray) -> memoryview:
    """The bytes of a C-contiguous array, writable when the array is."""
    # numpy's stubs do not declare the buffer protocol of an array.
    return memoryview(array.reshape(-1).view(np.uint8))  # type: ignore[arg-type]


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else " " for ch in text)
