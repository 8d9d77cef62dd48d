"""Resource exhaustion is contained in both real sandboxes (threat model rows 21-26)."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Callable

from grader.sandbox import PYTHON_PLACEHOLDER, Limits, RunResult, Sandbox, SandboxSpec

PythonRunner = Callable[..., RunResult]


def _leftovers(marker: str) -> list[str]:
    """Host processes, and containers (running or not), whose command line carries `marker`."""
    listing = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, check=True, text=True)
    containers = subprocess.run(
        ["docker", "ps", "--all", "--no-trunc", "--format", "{{.ID}} {{.Command}}"],
        capture_output=True,
        check=False,
        text=True,
    )
    lines = listing.stdout.splitlines() + containers.stdout.splitlines()
    return [line for line in lines if marker in line]


def test_it_contains_a_fork_bomb(run_py: PythonRunner) -> None:
    marker = f"arena-forkbomb-{uuid.uuid4().hex}"
    result = run_py(
        f"""
        import os, sys, time
        children = 0
        while True:
            try:
                pid = os.fork()
            except OSError:
                break
            if pid == 0:
                os.execv("/bin/sleep", ["/bin/sleep", "600", {marker!r}])
            children += 1
        print(children, flush=True)
        """,
        pids=32,
        wall_seconds=20,
    )
    assert result.exit_code == 0, result.stderr
    assert int(result.stdout) < 32
    assert _leftovers(marker) == []  # the orphaned sleepers were killed at teardown


def test_it_reports_a_memory_bomb_as_oom(run_py: PythonRunner) -> None:
    result = run_py(
        """
        blocks = []
        for _ in range(100):
            blocks.append(bytearray(32 * 1024 * 1024))
        print("survived")
        """,
        memory_mb=256,
    )
    assert result.oom_killed
    assert result.exit_code is not None and result.exit_code < 0
    assert b"survived" not in result.stdout


def test_it_caps_the_scratch_disk(run_py: PythonRunner) -> None:
    report = _fill(run_py, "/scratch/fill", scratch_mb=16)
    assert report["error"] in ("ENOSPC", "EFBIG")
    assert report["written"] <= 16 * 1024 * 1024


def test_it_caps_dev_shm(run_py: PythonRunner) -> None:
    report = _fill(run_py, "/dev/shm/fill", shm_mb=16)
    assert report["error"] in ("ENOSPC", "EFBIG")
    assert report["written"] <= 16 * 1024 * 1024


def test_it_caps_the_size_of_one_file(run_py: PythonRunner) -> None:
    report = _fill(run_py, "/scratch/big", scratch_mb=64, file_size_mb=4)
    assert report["error"] == "EFBIG"
    assert report["written"] <= 4 * 1024 * 1024


def _fill(run_py: PythonRunner, path: str, **limits: int) -> dict:
    result = run_py(
        f"""
        import errno, json, signal
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of dying
        written, error = 0, None
        with open({path!r}, "wb", buffering=0) as handle:
            try:
                for _ in range(200):
                    written += handle.write(b"x" * 1024 * 1024)
            except OSError as exc:
                error = errno.errorcode[exc.errno]
        print(json.dumps({{"written": written, "error": error}}))
        """,
        memory_mb=512,
        **limits,
    )
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_it_kills_an_infinite_loop_and_its_whole_tree(run_py: PythonRunner) -> None:
    marker = f"arena-loop-{uuid.uuid4().hex}"
    result = run_py(
        f"""
        import subprocess, sys
        for _ in range(3):
            subprocess.Popen(["/bin/sleep", "600", {marker!r}], start_new_session=True)
        print("spawned", flush=True)
        while True:
            pass
        """,
        wall_seconds=3,
    )
    assert result.timed_out
    assert b"spawned" in result.stdout
    assert 3 <= result.duration_s < 10
    assert _leftovers(marker) == []


def test_it_stops_a_process_over_its_cpu_time(run_py: PythonRunner) -> None:
    result = run_py("while True:\n    pass\n", cpu_seconds=1, wall_seconds=20)
    assert result.cpu_limited
    assert not result.timed_out
    assert result.exit_code is not None and result.exit_code < 0


def test_it_stops_a_run_over_its_total_cpu_time_across_processes(run_py: PythonRunner) -> None:
    """Each child stays under its own RLIMIT_CPU; only the run's total crosses the limit."""
    result = run_py(
        """
        import subprocess, sys
        burn = "import time\\nend = time.process_time() + 0.7\\nwhile time.process_time() < end: pass"
        for i in range(12):
            subprocess.run([sys.executable, "-c", burn], check=True)
            print(i, flush=True)
        print("finished", flush=True)
        """,
        cpu_seconds=2,
        wall_seconds=30,
    )
    assert result.cpu_limited
    assert not result.timed_out
    # About 2 / 0.7 children ran (the watchdog polls): far from all 12.
    assert b"finished" not in result.stdout
    assert len(result.stdout.splitlines()) <= 4


def test_it_caps_an_output_flood(run_py: PythonRunner) -> None:
    result = run_py(
        """
        import sys
        chunk = "y" * 65536
        for _ in range(200):
            sys.stdout.write(chunk)
            sys.stderr.write(chunk)
        print("done", file=sys.stderr)
        """,
        output_bytes=1000,
    )
    assert result.exit_code == 0
    assert len(result.stdout) == 1000 and len(result.stderr) == 1000
    assert result.output_truncated


def test_it_sets_the_rlimits(run_py: PythonRunner) -> None:
    result = run_py(
        """
        import json, resource
        names = ["RLIMIT_CPU", "RLIMIT_FSIZE", "RLIMIT_NOFILE", "RLIMIT_CORE"]
        print(json.dumps({n: resource.getrlimit(getattr(resource, n)) for n in names}))
        """,
        cpu_seconds=77,
        file_size_mb=5,
        open_files=99,
    )
    limits = json.loads(result.stdout)
    assert limits["RLIMIT_CPU"][0] == 77
    assert limits["RLIMIT_FSIZE"] == [5 * 1024 * 1024] * 2
    assert limits["RLIMIT_NOFILE"] == [99, 99]
    assert limits["RLIMIT_CORE"] == [0, 0]


def test_it_can_be_killed_from_outside(sandbox: Sandbox) -> None:
    marker = f"arena-kill-{uuid.uuid4().hex}"
    spec = SandboxSpec(argv=[PYTHON_PLACEHOLDER, "-c", "import time; time.sleep(60)", marker])
    with sandbox.open(spec) as process:
        assert process.poll() is None
        process.kill()
        result = process.wait()
    assert result.exit_code is not None and result.exit_code < 0
    assert not result.timed_out
    assert _leftovers(marker) == []


def test_it_enforces_the_wall_clock_while_nobody_waits(sandbox: Sandbox) -> None:
    spec = SandboxSpec(
        argv=[PYTHON_PLACEHOLDER, "-c", "import time; time.sleep(60)"],
        limits=Limits(wall_seconds=1),
    )
    with sandbox.open(spec) as process:
        deadline = time.monotonic() + 15
        while process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert process.poll() is not None
        result = process.wait()
    assert result.timed_out and result.duration_s < 10
