"""The schedule with the real processes (gunicorn, PostgreSQL, Redis, a Celery worker, the
dispatcher; a broker of the test's own): a syntax error is answered `rejected` by the upload
request itself, a waiting run reports its queue position, and one worker grades a mentee's two
runs and another's one in the fair order (the other mentee's first run goes second, not last)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fault_kit import OwnRedis, rows
from platform_testkit import REFERENCE_SOLUTION, SMOKE_SLUG, UPLOADS
from stack import ApiUser, running_stack

pytestmark = [pytest.mark.slow, pytest.mark.bwrap, pytest.mark.services, pytest.mark.timeout(900)]


def test_one_worker_grades_in_the_fair_order_and_reports_queue_positions(tmp_path: Path) -> None:
    broker = OwnRedis(tmp_path / "redis")
    broker.start()
    try:
        _graded_fairly(tmp_path, broker.url)
    finally:
        broker.stop()


def _graded_fairly(tmp_path: Path, broker_url: str) -> None:
    with running_stack(tmp_path, services=True, broker_url=broker_url) as stack:
        alice = ApiUser(stack, "mentee1", "mentee-demo")
        bob = ApiUser(stack, "mentee2", "mentee-demo")

        started = time.monotonic()
        broken = alice.submit(SMOKE_SLUG, UPLOADS / "syntax_error.py", name="submission.py")
        verdict = alice.get(f"submissions/{broken}/").json()  # no worker runs yet
        print(f"syntax error: rejected {time.monotonic() - started:.2f} s after the upload began")
        assert (verdict["status"], verdict["error"]["kind"]) == ("rejected", "syntax")

        alices = [alice.submit(SMOKE_SLUG, REFERENCE_SOLUTION) for _ in range(2)]
        bobs = bob.submit(SMOKE_SLUG, REFERENCE_SOLUTION)
        positions = {
            "bob": bob.get(f"submissions/{bobs}/").json()["queue"]["position"],
            "alice's second": alice.get(f"submissions/{alices[1]}/").json()["queue"]["position"],
        }
        assert positions == {"bob": 2, "alice's second": 3}

        stack.start_worker()
        assert alice.wait_final(alices[0], seconds=300)["status"] == "scored"
        second = alice.get(f"submissions/{alices[1]}/").json()
        if second["status"] == "queued":  # timed by the grading already done
            assert second["queue"]["estimated_start"] is not None, second["queue"]
        finals = [alice.wait_final(i, seconds=300) for i in alices] + [bob.wait_final(bobs, 300)]
        assert [f["status"] for f in finals] == ["scored"] * 3
        order = rows(
            stack,
            "SELECT id FROM submissions_submission WHERE id = ANY(%s) ORDER BY started_at",
            [*alices, bobs],
        )
        assert [row[0] for row in order] == [alices[0], bobs, alices[1]]
        history = rows(
            stack,
            "SELECT origin, status FROM submissions_gradingreport WHERE submission_id = %s",
            broken,
        )
        assert history == [("upload", "rejected")]
