"""A broker outage loses nothing and fails no upload: the database row is the outbox, and the
dispatcher sends what the broker has not accepted within seconds of its return."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fault_kit import OwnRedis, rows
from platform_testkit import REFERENCE_SOLUTION, SMOKE_SLUG
from stack import ApiUser, running_stack

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
