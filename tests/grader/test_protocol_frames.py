"""The trusted side's parser of harness frames: anything malformed, oversized or out of
bounds is refused before a byte of tensor data is read."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from grader.harness.arena_harness import wire
from grader.protocol import ProtocolViolation, parse_header, parse_tensor

WINDOW = (4096, 4096)


def header(**fields: int | bytes) -> bytes:
    values = {
        "magic": wire.MAGIC,
        "version": wire.VERSION,
        "type": wire.RESULT,
        "status": wire.OK,
        "n": 0,
        "msg": 0,
        "reserved": 0,
        "seq": 1,
        **fields,
    }
    return wire.HEADER.pack(
        values["magic"],
        values["version"],
        values["type"],
        values["status"],
        values["n"],
        values["msg"],
        values["reserved"],
        values["seq"],
    )


def tensor(
    code: int = 1,
    shape: tuple[int, ...] = (2, 3),
    offset: int = 4096,
    nbytes: int | None = None,
    ndim: int | None = None,
) -> bytes:
    dims = tuple(shape) + (0,) * (wire.MAX_NDIM - len(shape))
    size = int(np.prod(shape)) * wire.DTYPES.get(code, np.dtype("f4")).itemsize
    return wire.TENSOR.pack(
        code,
        len(shape) if ndim is None else ndim,
        *dims,
        offset,
        size if nbytes is None else nbytes,
    )


def test_it_reads_a_well_formed_header() -> None:
    assert parse_header(header(n=2, msg=5, seq=9)) == (wire.RESULT, wire.OK, 2, 5, 9)


@pytest.mark.parametrize(
    "fields",
    [
        {"magic": b"EVIL"},
        {"version": 2},
        {"type": 9},
        {"status": 200},
        {"reserved": 1},
        {"n": wire.MAX_TENSORS + 1},
        {"msg": wire.MAX_MESSAGE + 1},
    ],
    ids=["magic", "version", "type", "status", "reserved", "too-many-tensors", "long-message"],
)
def test_it_rejects_a_malformed_header(fields: dict) -> None:
    with pytest.raises(ProtocolViolation):
        parse_header(header(**fields))


def test_it_rejects_a_short_header() -> None:
    with pytest.raises(ProtocolViolation):
        parse_header(header()[:-1])


def test_it_reads_a_tensor_inside_the_window() -> None:
    ref = parse_tensor(tensor(shape=(2, 3)), WINDOW)
    assert (ref.shape, ref.dtype, ref.offset, ref.nbytes) == ((2, 3), np.dtype("<f4"), 4096, 24)


def test_it_reads_a_zero_dimensional_tensor() -> None:
    assert parse_tensor(tensor(shape=()), WINDOW).shape == ()


@pytest.mark.parametrize(
    "frame",
    [
        tensor(code=0),
        tensor(code=42),  # dtypes off the allow-list
        tensor(ndim=9),  # too many dimensions
        tensor(shape=(2, 3), ndim=1),  # sizes left after ndim
        tensor(nbytes=25),  # bytes do not match the shape
        tensor(offset=0),  # before the output window
        tensor(shape=(1024, 2)),  # past the end of the window
        tensor(offset=4097, shape=(1,), code=4, nbytes=8),  # misaligned int64
        tensor(shape=(2**40, 2**40), nbytes=0),  # absurd sizes
    ],
    ids=["dtype-0", "dtype-42", "ndim", "padding", "nbytes", "before", "after", "align", "huge"],
)
def test_it_rejects_a_bad_tensor_descriptor(frame: bytes) -> None:
    with pytest.raises(ProtocolViolation):
        parse_tensor(frame, WINDOW)


def test_it_rejects_negative_dimensions() -> None:
    dims = (-1, 4) + (0,) * 6
    frame = wire.TENSOR.pack(1, 2, *dims, 4096, 16)
    with pytest.raises(ProtocolViolation):
        parse_tensor(frame, WINDOW)


def test_the_harness_encoder_and_the_trusted_parser_agree() -> None:
    frame = wire.encode_frame(
        wire.RESULT, wire.EXCEPTION, 7, "raised ValueError", ((4, (3,), 4096, 24),)
    )
    kind, status, n, msg_len, seq = parse_header(frame[: wire.HEADER.size])
    assert (kind, status, n, seq) == (wire.RESULT, wire.EXCEPTION, 1, 7)
    body = frame[wire.HEADER.size :]
    assert body[:msg_len] == b"raised ValueError"
    ref = parse_tensor(body[msg_len:], WINDOW)
    assert (ref.shape, ref.dtype) == ((3,), np.dtype("<i8"))


def test_the_message_field_is_capped_by_the_encoder() -> None:
    frame = wire.encode_frame(wire.RESULT, wire.EXCEPTION, 1, "x" * 10_000)
    assert struct.unpack_from("<H", frame, 8)[0] == wire.MAX_MESSAGE
