"""Runs the grader as a subprocess with a minimal environment, keeping a heartbeat while it runs.

The worker process holds the database credentials; the grader does not get them (no DATABASE_URL,
no broker URL, no SECRET_KEY), and it is never imported here.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from submissions.fetch import GradingInputs, grading_inputs
from submissions.models import Submission
from submissions.storage import StoredUploadCorrupt, file_sha256
from submissions.warm_grader import job_of, start_grader, warm_grader

# Variables the grader may need; everything else (credentials above all) stays behind.
_PASSED_THROUGH = (
    "PATH",
    "LANG",
    "LC_ALL",
    "TZ",
    "DOCKER_HOST",
    "DOCKER_CERT_PATH",
    "DOCKER_TLS_VERIFY",
    "CUDA_VISIBLE_DEVICES",
    # A containerised worker's scratch on a host folder the Docker engine can bind from.
    "TMPDIR",
    "ARENA_DOCKER_HOST_PATHS",
)
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class GraderRun:
    exit_code: int | None  # None: stopped by us (timeout or lost lease)
    stdout: str
    stderr: str
    duration_s: float
    timed_out: bool = False
    lease_lost: bool = False


def grader_command(
    submission: Submission, staged: Path, inputs: GradingInputs | None = None
) -> list[str]:
    assignment = submission.assignment
    bundle = inputs.bundle if inputs is not None else assignment.bundle_path
    extra = inputs.grader_arguments() if inputs is not None else []
    return [
        sys.executable,
        "-m",
        "grader",
        "grade",
        "--assignment",
        str(bundle),
        "--submission",
        str(staged),
        "--json",
        "--hidden-logs-apart",  # kept for mentors (dashboard), never shown to mentees
        "--sandbox",
        settings.ARENA_SANDBOX,
        "--gpus",
        settings.ARENA_GPUS if assignment.gpu else "none",
        *extra,
    ]


def grader_environment() -> dict[str, str]:
    env = {name: os.environ[name] for name in _PASSED_THROUGH if name in os.environ}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    env.setdefault("LANG", "C.UTF-8")
    env.update(
        HOME=str(settings.ARENA_HOME / "run" / "grader-home"),
        PYTHONPATH=str(settings.REPO_ROOT),
        PYTHONUNBUFFERED="1",
        ARENA_HOME=str(settings.ARENA_HOME),
        ARENA_ASSIGNMENTS=str(settings.ARENA_ASSIGNMENTS),
        ARENA_RUNNER_IMAGE=settings.ARENA_RUNNER_IMAGE,
    )
    return env


def run_grader(submission: Submission, keep_alive: Callable[[], bool]) -> GraderRun:
    """Grades a copy of the upload. ``keep_alive`` is called every few seconds to renew the
    lease; when it returns False another worker owns the row and this run is stopped."""
    work_root = settings.ARENA_HOME / "run" / "grading"
    work_root.mkdir(parents=True, exist_ok=True)
    (settings.ARENA_HOME / "run" / "grader-home").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"{submission.pk}-", dir=work_root) as work:
        # Local files on the web's machine, else fetched by SHA-256 from its internal API.
        inputs = grading_inputs(submission)
        staged = _stage_upload(submission, Path(work), inputs.upload)
        return _supervise(grader_command(submission, staged, inputs), keep_alive)


def _stage_upload(submission: Submission, work: Path, source_path: Path) -> Path:
    """The upload under its own name when that name is plain (the grader may key on it)."""
    name = Path(submission.original_filename).name
    if not _SAFE_NAME.match(name):
        name = f"submission{submission.extension}"
    staged = work / name
    with source_path.open("rb") as source, staged.open("wb") as target:
        shutil.copyfileobj(source, target)
    # The copy is what gets graded: it must be the mentee's bytes, not a damaged store.
    if file_sha256(staged) != submission.sha256:
        raise StoredUploadCorrupt(
            f"the stored upload of submission {submission.pk} does not match its sha256 "
            f"{submission.sha256}; the mentee must upload it again"
        )
    os.chmod(work, 0o755)
    os.chmod(staged, 0o644)
    return staged


def _supervise(command: list[str], keep_alive: Callable[[], bool]) -> GraderRun:
    env = grader_environment()
    run = _supervise_one(command, env, keep_alive)
    if job_of(command) is not None:
        # The next grading's process starts now, while this worker records the verdict (not
        # after a soft time limit or a shutdown: those raise past this line).
        warm_grader().start(env, settings.REPO_ROOT, _die_with_parent)
    return run


def _supervise_one(
    command: list[str], env: dict[str, str], keep_alive: Callable[[], bool]
) -> GraderRun:
    interval = max(1.0, settings.ARENA_GRADING_LEASE / 4)
    started = time.monotonic()
    job = job_of(command)
    process = (
        warm_grader().take(command, env, settings.REPO_ROOT)
        if job is not None and settings.ARENA_WARM_GRADER
        else None
    )
    if process is None:
        job = None  # a cold start: the command line carries the job
        process = start_grader(
            command, env, settings.REPO_ROOT, _die_with_parent, stdin=subprocess.DEVNULL
        )
    chunks: tuple[str, str] | None = None
    try:
        while chunks is None:
            try:
                # The warm grader's job goes in on the first call (then its stdin closes).
                chunks = process.communicate(input=job, timeout=interval)
                job = None
            except subprocess.TimeoutExpired:
                job = None
                elapsed = time.monotonic() - started
                if elapsed > settings.ARENA_GRADING_TIMEOUT:
                    return _stopped(process, started, timed_out=True)
                if not keep_alive():
                    return _stopped(process, started, lease_lost=True)
    except BaseException:
        # Soft time limit or shutdown: never leave a grader (and its sandbox) behind.
        _kill_group(process)
        raise
    stdout, stderr = chunks
    return GraderRun(process.returncode, stdout, stderr, time.monotonic() - started)


def _stopped(
    process: subprocess.Popen[str],
    started: float,
    *,
    timed_out: bool = False,
    lease_lost: bool = False,
) -> GraderRun:
    _kill_group(process)
    stdout, stderr = process.communicate()
    return GraderRun(
        None, stdout, stderr, time.monotonic() - started, timed_out=timed_out, lease_lost=lease_lost
    )


def _kill_group(process: subprocess.Popen[str]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def _die_with_parent() -> None:
    """If the worker is killed (SIGKILL, OOM), its grader goes too instead of grading on unseen."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
