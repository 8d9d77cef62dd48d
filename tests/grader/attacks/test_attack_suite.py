"""The attack suite: hostile submissions graded end to end through grade() in a real sandbox.

One row per threat of threat-model.md. Every attack must end contained: the expected status
and error kind, no "ESCAPED" marker (each attack prints one when it gets through), nothing
hidden or secret in the report, the worker's processes and files untouched, nothing left behind.
Attacks run with the hidden logs shown (so a marker printed in the hidden stage is seen),
except the ones that try to leak hidden inputs, which run as a mentee would see them.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import socket
import subprocess
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.report import LOG_CAP_BYTES, Report
from grader.stages.config import HARNESS_DIR

HERE = Path(__file__).resolve().parent
SUBMISSIONS = HERE / "submissions"
BUNDLES = HERE.parent / "bundles"
CANARIES = ("7342.8125", "7342.81", "HIDDEN-INPUT")  # the attack bundle's planted hidden value
HOST_PWNED = Path(tempfile.gettempdir()) / "arena-attack-pickle-ran-on-host"
REPO = HERE.parents[2]


def speed(report: Report):
    return next(c for c in report.checks if c.name.endswith("/speed"))


def metric(report: Report, name: str) -> float:
    return float(report.metrics[name])


def add_check(report: Report):
    return next(c for c in report.checks if c.name == "add")


@dataclass
class HostService:
    """A real TCP service on the worker's loopback, and whether anyone reached it."""

    port: int
    reached: list[bytes]


@dataclass(frozen=True)
class Attack:
    name: str
    bundle: str
    status: str
    kind: str | None
    check: Callable[[Report], None] = lambda report: None
    show_hidden_logs: bool = True


def _full_marks(report: Report) -> None:
    assert report.score == 100.0, report.checks


def _no_marks(report: Report) -> None:
    assert report.score == 0.0 and not add_check(report).passed


def _slow_is_slow(report: Report) -> None:
    # 20 ms a query of 32 images: at most 1600 images/s, whatever the patched clocks say.
    assert metric(report, "throughput_ips") < 1600


def _cache_caught(report: Report) -> None:
    assert speed(report).points == 0.0 and "cached" in speed(report).message


def _no_speed_for_garbage(report: Report) -> None:
    assert metric(report, "accuracy") < 0.9 and speed(report).points == 0.0


def _flood_capped(report: Report) -> None:
    assert len(report.logs) <= LOG_CAP_BYTES + 200
    _full_marks(report)


def _write_blocked(report: Report) -> None:
    for path in (
        HARNESS_DIR / "pwned.py",
        REPO / "pwned.txt",
        Path("/pwned.txt"),
        REPO / ".venv" / "pwned.txt",
        Path("/etc/pwned.txt"),
    ):
        assert not path.exists(), f"{path} was written by a submission"
    assert "pwned" not in (HARNESS_DIR / "arena_harness" / "server.py").read_text()
    _full_marks(report)


def _pickle_never_ran(report: Report) -> None:
    assert not HOST_PWNED.exists()


def _no_exit_code(report: Report) -> None:
    assert report.error is not None and "174" not in report.error.message


ATTACKS = [
    Attack("network", "fx-attacks", "scored", None, _full_marks),
    Attack("read_labels", "fx-attacks", "scored", None, _full_marks),
    Attack("proc_snoop", "fx-attacks", "scored", None, _full_marks),
    Attack("env_secrets", "fx-attacks", "scored", None, _full_marks),
    Attack("docker_socket", "fx-attacks", "scored", None, _full_marks),
    Attack("write_outside", "fx-attacks", "scored", None, _write_blocked),
    Attack("leaked_fds", "fx-attacks", "scored", None, _full_marks),
    # Killing everything it can see kills its own sandbox: a crash, and nothing outside.
    Attack("kill_trusted", "fx-attacks", "failed", "crash"),
    Attack("fork_bomb", "fx-attacks", "scored", None, _full_marks),
    Attack("memory_bomb", "fx-attacks", "failed", "memory"),
    Attack("disk_fill", "fx-attacks", "scored", None, _full_marks),
    Attack("shm_fill", "fx-attacks", "scored", None, _full_marks),
    Attack("infinite_loop", "fx-attacks", "failed", "timeout"),
    Attack("sleep_forever", "fx-attacks", "failed", "timeout"),
    Attack("output_flood", "fx-attacks", "scored", None, _flood_capped),
    Attack("forged_results", "fx-attacks", "scored", None, _no_marks),
    Attack("gc_snoop", "fx-attacks", "scored", None, _no_marks),
    Attack("mutate_inputs", "fx-attacks", "scored", None, _no_marks),
    Attack("channel_forgery", "fx-attacks", "failed", "protocol"),
    Attack("print_hidden", "fx-attacks", "scored", None, _full_marks, show_hidden_logs=False),
    Attack("exception_leak", "fx-attacks", "scored", None, _no_marks, show_hidden_logs=False),
    Attack(
        "exit_code_leak", "fx-attacks", "failed", "crash", _no_exit_code, show_hidden_logs=False
    ),
    Attack("syntax_error", "fx-attacks", "rejected", "syntax"),
    Attack("zip_slip", "fx-attacks", "rejected", "invalid_archive"),
    Attack("model_patch_clock", "fx-model", "scored", None, _slow_is_slow),
    Attack("model_precompute", "fx-model", "scored", None),
    Attack("model_answer_cache", "fx-model", "scored", None, _cache_caught),
    Attack("model_lazy_outputs", "fx-model", "scored", None, _no_speed_for_garbage),
    Attack("model_checked_only", "fx-model", "scored", None, _no_speed_for_garbage),
    Attack("model_fast_garbage", "fx-model", "scored", None, _no_speed_for_garbage),
    Attack("model_pickle_weights", "fx-model-pt", "failed", "forbidden", _pickle_never_ran),
]


class _PickleBomb:
    """Unpickling this runs a shell command: on the host it would leave HOST_PWNED behind."""

    def __reduce__(self):
        return (os.system, (f"touch {HOST_PWNED}; echo ESCAPED: the pickle ran",))


def build_submission(attack: Attack, folder: Path, host_port: int) -> Path:
    """The upload of an attack: a .py file, or a folder with the weights the bundle expects."""
    source = SUBMISSIONS / f"{attack.name}.py"
    if attack.name == "network":  # aim it at the worker's real service
        text = source.read_text().replace("HOST_PORT = 47123", f"HOST_PORT = {host_port}")
        source = folder / "submission.py"
        source.write_text(text)
        return source
    if attack.name == "syntax_error":  # written here: a broken file in the tree upsets linters
        source = folder / "submission.py"
        source.write_text("def add(a, b)\n    return a + b\n")
        return source
    if attack.name == "zip_slip":
        upload = folder / "upload.zip"
        with zipfile.ZipFile(upload, "w") as archive:
            archive.writestr("submission.py", "def add(a, b):\n    return a + b\n")
            archive.writestr("../../escaped.py", "print('ESCAPED')\n")
        return upload
    if not attack.bundle.startswith("fx-model"):
        return source
    upload = folder / "upload"
    upload.mkdir()
    shutil.copy(source, upload / "submission.py")
    weights = BUNDLES / "fx-model" / "solution" / "model.safetensors"
    if attack.bundle == "fx-model-pt":
        with (upload / "model.pt").open("wb") as handle:
            pickle.dump({"1.weight": _PickleBomb()}, handle)
    else:
        shutil.copy(weights, upload / "model.safetensors")
    return upload


@pytest.fixture(scope="module")
def host_listener() -> Iterator[HostService]:
    """A service on the worker's loopback that no submission may reach (threat 1)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))  # a free port: parallel runs on a shared machine do not clash
    server.listen(8)
    server.settimeout(0.2)
    reached: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            reached.append(b"connected")
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield HostService(server.getsockname()[1], reached)
    stop.set()
    thread.join()
    server.close()


@pytest.fixture(scope="module")
def sentinel() -> Iterator[subprocess.Popen]:
    """A worker-side process that a submission must not be able to kill or trace (threat 7)."""
    process = subprocess.Popen(["sleep", "600"])
    yield process
    process.kill()
    process.wait()


def processes_mentioning(folder: Path) -> list[int]:
    """Processes whose command line names ``folder`` (this run's sandboxes bind paths in it).

    The machine is shared: other runs' sandboxes may be alive, so only this run's count.
    """
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if str(folder).encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.slow
@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
def test_it_contains_the_attack(
    attack: Attack,
    grade_with,
    host_listener,
    sentinel,
    fake_secret,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    upload = build_submission(attack, tmp_path, host_listener.port)
    # The grader's and the sandbox's temporary files go to a folder of this test alone (which
    # the sandbox user can traverse, like /tmp), so leftovers can be checked exactly.
    private_tmp = Path(tempfile.mkdtemp(prefix="arena-attack-"))
    private_tmp.chmod(0o755)
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    report = grade_with(attack.bundle, upload, show_hidden_logs=attack.show_hidden_logs)
    text = json.dumps(report.to_dict())

    assert (report.status, report.error and report.error.kind) == (attack.status, attack.kind), (
        text[:2000]
    )
    assert "ESCAPED" not in text, report.logs[:4000]
    assert fake_secret[1] not in text
    assert not any(canary in text for canary in CANARIES), text[:2000]
    attack.check(report)
    # The worker is unharmed and nothing is left behind.
    assert sentinel.poll() is None, "a submission killed a worker process"
    assert host_listener.reached == [], "a submission reached a service on the worker"
    assert processes_mentioning(private_tmp) == [], "sandboxed processes outlived their run"
    leftovers = list(private_tmp.iterdir())
    private_tmp.rmdir() if not leftovers else None
    assert leftovers == [], "a run left files behind"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["network", "proc_snoop", "read_labels"])
def test_the_attacks_bite_without_a_sandbox(
    name: str, host_listener, arena_home: Path, tmp_path: Path, monkeypatch
) -> None:
    """The same submissions under the `none` backend get through: the suite tests something."""
    from grader.grading import GradeOptions, grade

    monkeypatch.setenv("ARENA_HOME", str(arena_home))
    attack = next(a for a in ATTACKS if a.name == name)
    upload = build_submission(attack, tmp_path, host_listener.port)
    report = grade(
        BUNDLES / attack.bundle, upload, GradeOptions(sandbox="none", show_hidden_logs=True)
    )
    assert "ESCAPED" in report.logs
