"""A worker SIGKILLed in the middle of grading loses nothing: after its lease runs out the
submission is graded again by a new worker and exactly one report stands."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from platform_testkit import SMOKE_SLUG, UPLOADS
from stack import ApiUser, running_stack, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.bwrap, pytest.mark.services, pytest.mark.timeout(600)]


def graders_running(home: Path) -> list[int]:
    """Processes still working on this stack's uploads (grader, sandbox, submission)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "grader" in cmdline and str(home) in cmdline:
            found.append(int(proc.name))
    return found


def test_a_killed_worker_is_replaced_and_exactly_one_report_stands(tmp_path: Path) -> None:
    with running_stack(tmp_path, services=True, lease_s=4) as stack:
        first = stack.start_worker()
        alice = ApiUser(stack, "mentee1", "mentee-demo")
        submission = alice.submit(SMOKE_SLUG, UPLOADS / "slow_solution.py", name="submission.py")
        alice.wait_status(submission, "running", seconds=120)
        time.sleep(3)  # well inside the grader's run: the solution sleeps 8 s at import

        stack.kill_worker(first)
        wait_until(lambda: not graders_running(tmp_path), 30, "the orphaned grader to die")
        assert alice.get(f"submissions/{submission}/").json()["status"] == "running"

        stack.start_worker()
        final = alice.wait_final(submission, seconds=240)
        assert (final["status"], final["score"]) == ("scored", 100.0), final
        assert final["attempt"] == 2
        board = alice.get(f"assignments/{SMOKE_SLUG}/leaderboard/").json()["public"]
        assert [(row["user"], row["submission_id"]) for row in board] == [("mentee1", submission)]
        time.sleep(6)  # duplicate deliveries (sweep, redelivery) must not grade it again
        again = alice.get(f"submissions/{submission}/").json()
        assert (again["attempt"], again["finished_at"]) == (2, final["finished_at"])
