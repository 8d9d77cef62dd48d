"""A killed worker's run is re-queued by the dispatcher on its own schedule, not by a task
waiting in the queues behind gradings: while another worker is busy grading, the run is back
in the queue within two dispatcher rounds of its lease expiring and graded again within 30 s."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fault_kit import OwnRedis, rows
from platform_testkit import SMOKE_SLUG, UPLOADS
from stack import ApiUser, running_stack, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.bwrap, pytest.mark.services, pytest.mark.timeout(600)]

LEASE_S = 4
SLOW = UPLOADS / "slow_solution.py"  # sleeps 8 s at import


def state(stack, submission: int) -> tuple[str, int, datetime | None, datetime | None]:  # type: ignore[no-untyped-def]
    return rows(
        stack,
        "SELECT status, attempt, heartbeat_at, started_at FROM submissions_submission "
        "WHERE id = %s",
        submission,
    )[0]


def requeued_or_reclaimed(stack, submission: int) -> bool:  # type: ignore[no-untyped-def]
    status, attempt, _, _ = state(stack, submission)
    return status != "running" or attempt >= 2


def test_a_killed_workers_run_is_graded_again_within_30_s_of_its_lease_expiring(
    tmp_path: Path,
) -> None:
    broker = OwnRedis(tmp_path / "redis")
    broker.start()
    try:
        with running_stack(
            tmp_path, services=True, broker_url=broker.url, lease_s=LEASE_S
        ) as stack:
            alice = ApiUser(stack, "mentee1", "mentee-demo")
            victim_worker = stack.start_worker()
            victim = alice.submit(SMOKE_SLUG, SLOW, name="submission.py")
            alice.wait_status(victim, "running", seconds=120)
            stack.start_worker()
            busy = alice.submit(SMOKE_SLUG, SLOW, name="submission.py")
            alice.wait_status(busy, "running", seconds=120)  # the survivor is now grading

            stack.kill_worker(victim_worker)
            stack.start_worker()  # the replacement, while the survivor stays busy
            _, _, last_heartbeat, _ = state(stack, victim)
            expired = last_heartbeat + timedelta(seconds=LEASE_S)
            # Re-queued, or already claimed again by the replacement (the queued window can be
            # shorter than one poll): either way attempt 2's start bounds the re-queue time.
            wait_until(lambda: requeued_or_reclaimed(stack, victim), 60, "the run re-queued")
            (requeued_at,) = rows(stack, "SELECT now()")[0]

            final = alice.wait_final(victim, seconds=240)
            _, attempt, _, restarted = state(stack, victim)
            assert (final["status"], final["score"], attempt) == ("scored", 100.0, 2), final
            assert alice.wait_final(busy)["status"] == "scored"
            requeue_s = (min(requeued_at, restarted) - expired).total_seconds()
            regrade_s = (restarted - expired).total_seconds()
            print(
                f"lease expired -> re-queued {requeue_s:.1f} s, -> graded again {regrade_s:.1f} s"
            )
            assert requeue_s < 2 * 2 + 1  # two dispatcher rounds at most
            assert regrade_s < 30
            time.sleep(3)  # a duplicate message must not grade it a third time
            assert state(stack, victim)[1] == 2
    finally:
        broker.stop()
