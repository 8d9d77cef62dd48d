"""A broker outage loses nothing and fails no upload: the database row is the outbox, and the
dispatcher sends what the broker has not accepted within seconds of its return, and everything
queued again when the broker came back empty (a crash without persistence)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import redis
from fault_kit import OwnRedis, rows
from platform_testkit import REFERENCE_SOLUTION, SMOKE_SLUG, UPLOADS
from stack import ApiUser, running_stack, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.bwrap, pytest.mark.services, pytest.mark.timeout(600)]


def test_uploads_during_a_broker_outage_answer_201_and_are_graded_once_it_returns(
    tmp_path: Path,
) -> None:
    broker = OwnRedis(tmp_path / "redis")
    broker.start()
    try:
        with running_stack(tmp_path, services=True, broker_url=broker.url) as stack:
            stack.start_worker()
            alice = ApiUser(stack, "mentee1", "mentee-demo")
            broker.stop()

            started = time.monotonic()
            ids = [alice.submit(SMOKE_SLUG, REFERENCE_SOLUTION) for _ in range(3)]  # 201 each
            assert time.monotonic() - started < 15, "an upload waited on the dead broker"
            stored = rows(
                stack,
                "SELECT status, dispatched_at IS NULL FROM submissions_submission "
                "WHERE id = ANY(%s)",
                ids,
            )
            assert stored == [("queued", True)] * 3  # rows and files stored, not yet sent
            time.sleep(5)  # the dispatcher's rounds meanwhile fail quietly and keep them

            broker.start()
            (returned_at,) = rows(stack, "SELECT now()")[0]
            finals = [alice.wait_final(submission, seconds=300) for submission in ids]
            assert [(f["status"], f["score"]) for f in finals] == [("scored", 100.0)] * 3
            delays = rows(
                stack,
                "SELECT EXTRACT(EPOCH FROM dispatched_at - %s) FROM submissions_submission "
                "WHERE id = ANY(%s)",
                returned_at,
                ids,
            )
            print("dispatched after the broker returned, s:", [float(d) for (d,) in delays])
            assert all(0 <= float(delay) < 10 for (delay,) in delays), delays
    finally:
        broker.stop()


def test_messages_a_crashed_broker_lost_are_sent_again_as_soon_as_it_returns(
    tmp_path: Path,
) -> None:
    broker = OwnRedis(tmp_path / "redis")
    broker.start()
    try:
        with running_stack(tmp_path, services=True, broker_url=broker.url) as stack:
            stack.start_worker()
            alice = ApiUser(stack, "mentee1", "mentee-demo")
            busy = alice.submit(SMOKE_SLUG, UPLOADS / "slow_solution.py", name="submission.py")
            alice.wait_status(busy, "running", seconds=120)
            # The worker prefetches one message; the next one waits in Redis itself.
            prefetched = alice.submit(SMOKE_SLUG, REFERENCE_SOLUTION)
            waiting = alice.submit(SMOKE_SLUG, REFERENCE_SOLUTION)
            messages = redis.Redis(port=broker.port)
            wait_until(lambda: messages.llen("cpu") >= 1, 30, "a message to wait in Redis")

            broker.stop()  # a crash without persistence: the waiting message is gone
            broker.start()
            started = time.monotonic()
            final = alice.wait_final(waiting, seconds=180)  # not after the 900 s resend delay
            assert (final["status"], final["score"]) == ("scored", 100.0)
            print(f"graded {time.monotonic() - started:.1f} s after the broker came back")
            assert alice.wait_final(busy)["status"] == "scored"
            assert alice.wait_final(prefetched)["status"] == "scored"
            assert "the broker restarted" in (stack.home / "dispatcher.log").read_text()
    finally:
        broker.stop()
