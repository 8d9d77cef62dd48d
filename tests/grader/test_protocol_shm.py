"""The trusted side's shared memory and shapes tables, without a sandbox (threat 42).

A sandbox can shrink the shared-memory file at any moment: reading through a mapping would
then kill the grader with SIGBUS, reading through the descriptor ends in ProtocolViolation.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from grader.harness.arena_harness import wire
from grader.protocol import (
    Channel,
    DtypeMismatch,
    ProtocolViolation,
    SharedMemory,
    TensorRef,
    check_shape_table,
)


def test_a_shrunk_file_is_a_protocol_violation_not_a_sigbus(tmp_path: Path) -> None:
    shm = SharedMemory(tmp_path / "arena.shm", 1 << 16)
    shm.write(memoryview(np.arange(16, dtype=np.float32).view(np.uint8)), 4096)
    os.truncate(tmp_path / "arena.shm", 100)  # what a hostile harness does
    with pytest.raises(ProtocolViolation, match="shrunk"):
        shm.read_into(memoryview(bytearray(64)), 4096)
    shm.close()


def test_writing_after_a_shrink_grows_the_file_again(tmp_path: Path) -> None:
    shm = SharedMemory(tmp_path / "arena.shm", 1 << 16)
    os.truncate(tmp_path / "arena.shm", 0)
    shm.write(memoryview(b"abcd"), 8192)
    back = bytearray(4)
    shm.read_into(memoryview(back), 8192)
    assert bytes(back) == b"abcd"
    shm.close()


def test_read_array_refuses_a_dtype_class_the_caller_does_not_accept(tmp_path: Path) -> None:
    ipc = tmp_path / "ipc"
    ipc.mkdir()
    channel = Channel(ipc, 1 << 16)
    try:
        spec = channel.write_array(np.array([True, False]), 0)
        ref = TensorRef(np.dtype("?"), (2,), spec["offset"], spec["nbytes"])
        with pytest.raises(DtypeMismatch, match="boolean result"):
            channel.read_array(ref, (2,), kinds="iuf")
        assert channel.read_array(ref, (2,), kinds="biuf").tolist() == [True, False]
    finally:
        channel.close()


def table(*rows: tuple[int, ...]) -> np.ndarray:
    out = np.zeros((len(rows), wire.MAX_NDIM + 1), dtype=np.int64)
    for i, shape in enumerate(rows):
        out[i, 0] = len(shape)
        out[i, 1 : 1 + len(shape)] = shape
    return out


def test_a_sane_table_passes() -> None:
    assert check_shape_table(table((8, 1, 3, 3), (8,), ())).shape == (3, 9)


@pytest.mark.parametrize(
    "bad",
    [
        table((1 << 32, 1 << 32)),  # the int64 product wraps to 0
        table((1 << 31, 1 << 31)),  # 2**62 values: past the per-tensor cap
        table((-4, 2)),
        table((1 << 33,)),
        table((3,)).astype(np.float64),
        table((3,)).astype(bool),
        np.zeros((2, 5), dtype=np.int64),
    ],
)
def test_an_overflowing_or_malformed_table_is_a_protocol_violation(bad: np.ndarray) -> None:
    with pytest.raises(ProtocolViolation):
        check_shape_table(bad)
