"""The grader runs as a real subprocess: no credentials in its environment, stopped when the
lease is lost or the time is up, and its whole process group goes with it."""

from __future__ import annotations

import os
import sys
import time

import pytest
from platform_testkit import make_submission
from submissions.grader_subprocess import _supervise, grader_command, grader_environment


def test_the_grader_gets_no_credentials(monkeypatch, settings):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres:secret@db/arena")
    monkeypatch.setenv("ARENA_BROKER_URL", "redis://:secret@broker:6379/0")
    monkeypatch.setenv("SECRET_KEY", "do-not-leak")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "do-not-leak")
    env = grader_environment()
    assert not {"DATABASE_URL", "ARENA_BROKER_URL", "SECRET_KEY", "AWS_SECRET_ACCESS_KEY"} & set(
        env
    )
    assert "secret" not in " ".join(env.values()).lower()
    assert env["ARENA_HOME"] == str(settings.ARENA_HOME)


def test_the_command_names_the_bundle_the_upload_and_the_sandbox(
    mentee_a, assignment, settings, tmp_path
):  # type: ignore[no-untyped-def]
    settings.ARENA_SANDBOX = "bwrap"
    submission = make_submission(mentee_a, assignment)
    command = grader_command(submission, tmp_path / "submission.py")
    assert command[:4] == [sys.executable, "-m", "grader", "grade"]
    assert command[command.index("--assignment") + 1] == str(assignment.bundle_path)
    assert command[command.index("--sandbox") + 1] == "bwrap"
    assert command[command.index("--gpus") + 1] == "none"  # not a GPU bundle
    assert "--json" in command


def sleeper(pid_file) -> list[str]:  # type: ignore[no-untyped-def]
    """A parent that starts a child in its group and sleeps: both must be gone afterwards."""
    code = (
        "import subprocess, sys, time; "
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
        f"open({str(pid_file)!r}, 'w').write(str(child.pid)); time.sleep(60)"
    )
    return [sys.executable, "-c", code]


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie still answers kill(0); it is dead for our purpose once its state says so.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] == "Z"


def wait_for(path, seconds: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not path.exists() or not path.read_text():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_a_lost_lease_stops_the_grader_and_its_children(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.ARENA_GRADING_LEASE = 4  # heartbeat every second
    pid_file = tmp_path / "child.pid"
    beats: list[float] = []

    def keep_alive() -> bool:
        beats.append(time.monotonic())
        return pid_file.exists() and len(beats) < 2

    started = time.monotonic()
    run = _supervise(sleeper(pid_file), keep_alive)
    assert run.lease_lost and run.exit_code is None
    assert time.monotonic() - started < 10
    wait_for(pid_file)
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while not gone(child):
        assert time.monotonic() < deadline, "the grader's child survived"
        time.sleep(0.05)


def test_the_grading_timeout_stops_the_grader(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.ARENA_GRADING_LEASE = 4
    settings.ARENA_GRADING_TIMEOUT = 2
    run = _supervise(sleeper(tmp_path / "child.pid"), lambda: True)
    assert run.timed_out and not run.lease_lost and run.duration_s < 8


def test_a_finished_grader_returns_its_output(settings):  # type: ignore[no-untyped-def]
    command = [sys.executable, "-c", "import sys; print('{}'); sys.stderr.write('note')"]
    run = _supervise(command, lambda: pytest.fail("no heartbeat needed for a quick run"))
    assert (run.exit_code, run.stdout.strip(), run.stderr) == (0, "{}", "note")
