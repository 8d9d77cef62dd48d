"""The channel end to end without a sandbox: the real harness server on a thread, the real
trusted side, a real socket and shared-memory file. Fast checks of every operation and of
the trusted side's validation of what comes back."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from grader.harness.arena_harness import wire
from grader.harness.arena_harness.server import Server
from grader.protocol import Channel, ChannelClosed, NonFinite, ProtocolViolation, ShapeMismatch

SUBMISSION = """
import torch
from torch import nn

def add(a, b):
    return a + b

def pair(x):
    return x.sum(), x * 2

def nan(x):
    return x * float("nan")

def boom(x):
    raise ValueError("secret 12345")

def not_a_tensor(x):
    return {"a": 1}

def build_model():
    return nn.Sequential(nn.Flatten(), nn.Linear(4, 3))
"""
WINDOW = (1 << 16, 1 << 16)


@pytest.fixture
def channel(tmp_path: Path) -> Iterator[Channel]:
    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / "submission.py").write_text(SUBMISSION)
    ipc = tmp_path / "ipc"
    ipc.mkdir()
    channel = Channel(ipc, 1 << 17)

    def harness() -> None:
        import mmap
        import os

        sock = socket.socket(socket.AF_UNIX)
        sock.connect(str(ipc / wire.SOCKET_NAME))
        fd = os.open(ipc / wire.SHM_NAME, os.O_RDWR)
        shm = mmap.mmap(fd, 0)
        os.close(fd)
        try:
            Server(sock, shm, submission).serve()
        except (ConnectionError, OSError):
            pass
        finally:
            sock.close()

    thread = threading.Thread(target=harness, daemon=True)
    thread.start()
    channel.accept(lambda: True, timeout=10)
    yield channel
    channel.close()
    thread.join(5)


def call(channel: Channel, function: str, *arrays: np.ndarray):
    args, offset = [], 0
    for array in arrays:
        args.append({"tensor": channel.write_array(array, offset), "as": "torch"})
        offset += 1024
    return channel.request(
        {"op": "call", "function": function, "args": args}, window=WINDOW, timeout=10
    )


def load(channel: Channel, **extra) -> None:
    reply = channel.request(
        {"op": "load", "entry": "submission.py", **extra}, window=WINDOW, timeout=30
    )
    assert reply.ok, reply.message


def test_it_calls_a_function_and_reads_the_result(channel: Channel) -> None:
    load(channel)
    a, b = np.arange(6, dtype=np.float32).reshape(2, 3), np.ones((2, 3), np.float32)
    reply = call(channel, "add", a, b)
    assert reply.ok
    np.testing.assert_array_equal(channel.read_array(reply.tensors[0], (2, 3)), a + b)


def test_it_returns_tuples_and_scalars(channel: Channel) -> None:
    load(channel)
    reply = call(channel, "pair", np.ones(3, np.float32))
    assert [t.shape for t in reply.tensors] == [(), (3,)]
    assert channel.read_array(reply.tensors[0], ()) == 3.0


def test_it_refuses_an_output_of_the_wrong_shape(channel: Channel) -> None:
    load(channel)
    reply = call(channel, "add", np.ones(3, np.float32), np.ones(3, np.float32))
    with pytest.raises(ShapeMismatch):
        channel.read_array(reply.tensors[0], (4,))


def test_it_refuses_nan_outputs(channel: Channel) -> None:
    load(channel)
    reply = call(channel, "nan", np.ones(3, np.float32))
    with pytest.raises(NonFinite):
        channel.read_array(reply.tensors[0], (3,))


def test_an_exception_becomes_a_status_with_its_type_only(channel: Channel) -> None:
    load(channel)
    reply = call(channel, "boom", np.ones(3, np.float32))
    assert reply.status == wire.EXCEPTION
    assert reply.message == "raised ValueError" and "12345" not in reply.message


def test_a_missing_function_is_an_interface_error(channel: Channel) -> None:
    load(channel)
    assert call(channel, "nowhere", np.ones(1, np.float32)).status == wire.INTERFACE


def test_a_result_that_is_no_tensor_is_refused(channel: Channel) -> None:
    load(channel)
    assert call(channel, "not_a_tensor", np.ones(1, np.float32)).status == wire.BAD_OUTPUT


def test_it_builds_a_model_and_reports_params_and_macs(channel: Channel, tmp_path: Path) -> None:
    import torch
    from safetensors.torch import save_file

    save_file(
        {"1.weight": torch.ones(3, 4), "1.bias": torch.zeros(3)},
        str(tmp_path / "submission" / "w.safetensors"),
    )
    load(channel, builder="build_model", weights="w.safetensors")
    table = channel.read_array(
        channel.request({"op": "params"}, window=WINDOW, timeout=10).tensors[0], finite=False
    )
    assert table.tolist() == [[2, 3, 4, 0, 0, 0, 0, 0, 0], [1, 3, 0, 0, 0, 0, 0, 0, 0]]
    macs = channel.request({"op": "macs", "input_shape": [1, 1, 2, 2]}, window=WINDOW, timeout=10)
    assert channel.read_array(macs.tensors[0], (1,)).tolist() == [12]
    spec = channel.write_array(np.ones((5, 1, 2, 2), np.float32), 0)
    reply = channel.request({"op": "infer", "input": spec}, window=WINDOW, timeout=10)
    np.testing.assert_allclose(channel.read_array(reply.tensors[0], (5, 3)), 4.0)


def test_weights_that_do_not_fit_are_a_weights_error(channel: Channel, tmp_path: Path) -> None:
    import torch
    from safetensors.torch import save_file

    save_file({"1.weight": torch.ones(2, 2)}, str(tmp_path / "submission" / "w.safetensors"))
    reply = channel.request(
        {
            "op": "load",
            "entry": "submission.py",
            "builder": "build_model",
            "weights": "w.safetensors",
        },
        window=WINDOW,
        timeout=30,
    )
    assert reply.status == wire.WEIGHTS


def test_garbage_on_the_socket_is_a_protocol_violation(tmp_path: Path) -> None:
    channel = Channel(tmp_path, 4096)
    peer = socket.socket(socket.AF_UNIX)
    peer.connect(str(tmp_path / wire.SOCKET_NAME))
    peer.sendall(b"\x00" * wire.HEADER.size)
    with pytest.raises(ProtocolViolation):
        channel.accept(lambda: True, timeout=5)
    peer.close()
    channel.close()


def test_a_hang_up_is_reported_as_closed(tmp_path: Path) -> None:
    channel = Channel(tmp_path, 4096)
    peer = socket.socket(socket.AF_UNIX)
    peer.connect(str(tmp_path / wire.SOCKET_NAME))
    peer.sendall(wire.encode_frame(wire.HELLO, wire.OK, 0))
    channel.accept(lambda: True, timeout=5)
    peer.close()
    with pytest.raises(ChannelClosed):
        channel.request({"op": "params"}, window=(0, 4096), timeout=5)
    channel.close()


def test_a_second_connection_is_refused(tmp_path: Path) -> None:
    channel = Channel(tmp_path, 4096)
    first = socket.socket(socket.AF_UNIX)
    first.connect(str(tmp_path / wire.SOCKET_NAME))
    first.sendall(wire.encode_frame(wire.HELLO, wire.OK, 0))
    channel.accept(lambda: True, timeout=5)
    second = socket.socket(socket.AF_UNIX)
    with pytest.raises(OSError):
        second.connect(str(tmp_path / wire.SOCKET_NAME))
    first.close()
    channel.close()
