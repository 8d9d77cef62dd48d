"""The worker's next grader process starts when a grading ends (submissions/warm_grader.py):
the next grading runs in it, with the same report, and one started under other settings is
never used. The real grader in bubblewrap, called as the worker calls it."""

from __future__ import annotations

import json

import pytest
from platform_testkit import make_submission
from submissions.grader_subprocess import run_grader
from submissions.reports import parse_report
from submissions.warm_grader import WarmGrader, warm_grader

pytestmark = [pytest.mark.bwrap, pytest.mark.slow]


@pytest.fixture
def taken(monkeypatch):  # type: ignore[no-untyped-def]
    """The pids of the waiting processes the worker took for its gradings (None: cold)."""
    pids: list[int | None] = []
    take = WarmGrader.take

    def recording(self, command, env, cwd):  # type: ignore[no-untyped-def]
        process = take(self, command, env, cwd)
        pids.append(None if process is None else process.pid)
        return process

    monkeypatch.setattr(WarmGrader, "take", recording)
    return pids


def test_the_next_grading_runs_in_the_process_started_after_the_last(
    mentee_a, assignment, settings, taken
):  # type: ignore[no-untyped-def]
    settings.ARENA_SANDBOX = "bwrap"
    settings.ARENA_WARM_GRADER = True
    reports = []
    waiting = []
    for _ in range(2):
        run = run_grader(make_submission(mentee_a, assignment), keep_alive=lambda: True)
        assert run.exit_code == 0, run.stderr[-2000:]
        reports.append(parse_report(run.stdout).data)
        assert warm_grader()._waiting is not None
        waiting.append(warm_grader()._waiting.process.pid)
    assert taken == [None, waiting[0]]  # the first cold, the second in the waiting process
    first, second = reports
    assert first["status"] == second["status"] == "scored"
    assert first["score"] == second["score"]
    assert [c["passed"] for c in first["checks"]] == [c["passed"] for c in second["checks"]]
    # What the next one prepares for: this bundle's first stage, and how many stages share it.
    recorded = json.loads(warm_grader().key_file().read_text())
    assert recorded["key"]["backend"] == "bwrap" and recorded["stages"] >= 1


def test_a_waiting_grader_started_under_other_settings_is_not_used(
    mentee_a, assignment, settings, taken, tmp_path
):  # type: ignore[no-untyped-def]
    settings.ARENA_SANDBOX = "bwrap"
    settings.ARENA_WARM_GRADER = True
    run_grader(make_submission(mentee_a, assignment), keep_alive=lambda: True)
    stale = warm_grader()._waiting
    assert stale is not None
    settings.ARENA_HOME = tmp_path / "elsewhere"  # its environment no longer matches
    run = run_grader(make_submission(mentee_a, assignment), keep_alive=lambda: True)
    assert run.exit_code == 0, run.stderr[-2000:]
    assert parse_report(run.stdout).data["status"] == "scored"
    assert taken == [None, None]
    assert stale.process.poll() is not None  # discarded, not left waiting


def test_without_the_setting_no_grader_waits(mentee_a, assignment, settings, taken):  # type: ignore[no-untyped-def]
    settings.ARENA_SANDBOX = "bwrap"
    settings.ARENA_WARM_GRADER = False
    run = run_grader(make_submission(mentee_a, assignment), keep_alive=lambda: True)
    assert run.exit_code == 0, run.stderr[-2000:]
    assert warm_grader()._waiting is None and taken == []
