"""What a dead worker leaves behind is swept by the next run (threat model row 19).

A worker killed with SIGKILL cannot remove its run's temporary directory; the next bwrap run
removes it once it is old and no live run holds its lock. Fresh, live or foreign entries stay.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.sandbox import PYTHON_PLACEHOLDER, Sandbox, SandboxSpec
from grader.sandbox.run_files import (
    RUN_DIR_PREFIX,
    STALE_AFTER_S,
    RunFiles,
    sweep_stale_run_dirs,
)

REPO = Path(__file__).resolve().parents[2]


def _age(path: Path, seconds: float) -> None:
    """Make `path` look `seconds` old (its mtime is what the sweep reads)."""
    then = time.time() - seconds
    os.utime(path, (then, then), follow_symlinks=False)


def _leftover(parent: Path) -> Path:
    """A run directory as a dead run leaves it: /etc files, a staging point, no lock held."""
    root = Path(tempfile.mkdtemp(prefix=RUN_DIR_PREFIX, dir=parent))
    (root / "etc").mkdir()
    (root / "etc" / "passwd").write_text("arena-sandbox:x:1000:1000::/scratch:/bin/false\n")
    (root / "stage1").mkdir()
    return root


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A /tmp-like directory of our own that the sandbox user can walk into."""
    path = Path(tempfile.mkdtemp(prefix="arena-cleanup-test-"))
    path.chmod(0o755)
    yield path
    subprocess.run(["rm", "-rf", "--one-file-system", str(path)], check=True)


def test_it_removes_a_stale_run_directory_and_keeps_a_fresh_one(tmp_path: Path) -> None:
    stale, fresh = _leftover(tmp_path), _leftover(tmp_path)
    _age(stale, STALE_AFTER_S + 60)
    assert sweep_stale_run_dirs(tmp_path) == [stale]
    assert not stale.exists()
    assert (fresh / "etc" / "passwd").is_file()


def test_it_keeps_an_old_directory_of_a_live_run(tmp_path: Path) -> None:
    live = RunFiles(None, parent=tmp_path)
    try:
        _age(live.root, STALE_AFTER_S * 10)  # a long training run
        assert sweep_stale_run_dirs(tmp_path) == []
        assert (live.etc / "passwd").is_file()
    finally:
        live.remove()
    assert not live.root.exists()


def test_it_touches_nothing_but_our_run_directories(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep").write_text("precious")
    link = tmp_path / f"{RUN_DIR_PREFIX}abcd1234"
    link.symlink_to(victim)
    other = tmp_path / f"{RUN_DIR_PREFIX}not-one-of-ours"
    other.mkdir()
    for path in (link, other, victim):
        _age(path, STALE_AFTER_S + 60)
    assert sweep_stale_run_dirs(tmp_path) == []
    assert (victim / "keep").read_text() == "precious"
    assert link.is_symlink() and other.is_dir()


@pytest.mark.bwrap
@pytest.mark.slow
@pytest.mark.timeout(120)
def test_the_next_run_sweeps_what_a_killed_worker_left(
    bwrap_sandbox: Sandbox, shared_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker_code = (
        "import sys, time\n"
        "from grader.sandbox import get_sandbox, SandboxSpec, PYTHON_PLACEHOLDER\n"
        "spec = SandboxSpec(argv=[PYTHON_PLACEHOLDER, '-c', 'import time; time.sleep(60)'])\n"
        "with get_sandbox('bwrap').open(spec):\n"
        "    print('running', flush=True)\n"
        "    time.sleep(60)\n"
    )
    worker = subprocess.Popen(
        [sys.executable, "-c", worker_code],
        cwd=REPO,
        env={**os.environ, "TMPDIR": str(shared_tmp)},
        stdout=subprocess.PIPE,
    )
    assert worker.stdout is not None and worker.stdout.readline() == b"running\n"
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    (left,) = shared_tmp.glob(RUN_DIR_PREFIX + "*")
    assert (left / "etc" / "passwd").is_file()

    monkeypatch.setattr(tempfile, "tempdir", str(shared_tmp))  # this worker's temp directory
    spec = SandboxSpec(argv=[PYTHON_PLACEHOLDER, "-c", "print('next')"])
    assert bwrap_sandbox.run(spec).stdout == b"next\n"
    assert left.exists()  # still fresh: a run could be setting up in it
    _age(left, STALE_AFTER_S + 60)
    assert bwrap_sandbox.run(spec).stdout == b"next\n"
    assert list(shared_tmp.iterdir()) == []
