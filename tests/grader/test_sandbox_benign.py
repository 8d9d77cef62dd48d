"""Benign controls: a correct program runs normally inside both real sandboxes."""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path

from grader.sandbox import Mount, RunResult, grant_sandbox_access

PythonRunner = Callable[..., RunResult]


def test_it_runs_torch_with_threads_and_dataloader_workers(run_py: PythonRunner) -> None:
    result = run_py(
        """
        import json, torch
        from torch.utils.data import DataLoader, TensorDataset
        torch.set_num_threads(2)
        total = torch.ones(3).sum().item()
        data = TensorDataset(torch.arange(64, dtype=torch.float32).reshape(16, 4))
        # Worker processes hand batches over through /dev/shm.
        batches = [b[0].sum().item() for b in DataLoader(data, batch_size=4, num_workers=2)]
        print(json.dumps({"total": total, "threads": torch.get_num_threads(),
                          "batches": sum(batches)}))
        """,
        env={"OMP_NUM_THREADS": "2"},
        wall_seconds=120,
    )
    assert result.exit_code == 0, result.stderr.decode(errors="replace")[-2000:]
    report = json.loads(result.stdout)
    assert report == {"total": 3.0, "threads": 2, "batches": float(sum(range(64)))}


def test_it_feeds_stdin(run_py: PythonRunner) -> None:
    result = run_py("import sys; print(sys.stdin.read()[::-1])", stdin=b"abc")
    assert result.stdout == b"cba\n"


def test_it_reads_mounted_inputs(run_py: PythonRunner, tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "data.txt").write_text("hello")
    grant_sandbox_access(inputs)
    result = run_py(
        "print(open('/arena/inputs/data.txt').read())",
        mounts=(Mount(inputs, "/arena/inputs"),),
    )
    assert result.stdout == b"hello\n"


def _serve_once(listener: socket.socket) -> None:
    """Accept one connection and answer its 5 bytes reversed."""
    listener.settimeout(60)
    connection, _ = listener.accept()
    with connection:
        connection.sendall(connection.recv(5)[::-1])


def test_it_talks_over_the_ipc_socket_and_shared_file(run_py: PythonRunner, tmp_path: Path) -> None:
    """The trusted side listens on a Unix socket in /arena/ipc; the sandbox connects to it."""
    ipc = tmp_path / "ipc"
    ipc.mkdir()
    shm = ipc / "shm"
    shm.write_bytes(bytes(16))
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(str(ipc / "sock"))
        listener.listen(1)
        grant_sandbox_access(ipc, writable=True)
        server = threading.Thread(target=_serve_once, args=(listener,), daemon=True)
        server.start()
        result = run_py(
            """
            import socket
            with open("/arena/ipc/shm", "r+b") as handle:
                handle.write(b"from-sandbox")
            client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            client.connect("/arena/ipc/sock")
            client.sendall(b"hello")
            print(client.recv(5).decode())
            """,
            mounts=(Mount(ipc, "/arena/ipc", writable=True),),
        )
        server.join(5)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == b"olleh\n"
    assert shm.read_bytes().startswith(b"from-sandbox")
    assert os.stat(shm).st_size == 16
