"""Worker-side faults end at once in the right status and message, and drop nothing:
a worker without its database refuses to start (the message waits in the broker), a full
disk is named as such (not `worker_lost` minutes later), damaged stored bytes are never graded."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from fault_kit import CuttableLink, OwnRedis, rows
from platform_testkit import REFERENCE_SOLUTION, SMOKE_SLUG
from stack import ApiUser, Stack, free_port, running_stack, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.bwrap, pytest.mark.services, pytest.mark.timeout(600)]


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    broker = OwnRedis(tmp_path / "redis")
    broker.start()
    try:
        with running_stack(tmp_path, services=True, broker_url=broker.url) as running:
            running.env["TEST_BROKER_PORT"] = str(broker.port)
            yield running
    finally:
        broker.stop()


def outcome(stack: Stack, submission: int) -> tuple[str, int, str, str]:
    return rows(
        stack,
        "SELECT status, attempt, error_kind, error_message FROM submissions_submission "
        "WHERE id = %s",
        submission,
    )[0]


def waiting_messages(stack: Stack) -> int:
    return int(redis.Redis(port=int(stack.env["TEST_BROKER_PORT"])).llen("cpu"))


def test_a_worker_that_cannot_reach_the_database_refuses_to_start_and_drops_nothing(
    stack: Stack,
) -> None:
    alice = ApiUser(stack, "mentee1", "mentee-demo")
    submission = alice.submit(SMOKE_SLUG, REFERENCE_SOLUTION)
    wait_until(lambda: waiting_messages(stack) >= 1, 20, "the message to reach the broker")

    good_database = stack.env["DATABASE_URL"]
    stack.env["DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere"
    try:
        blind = stack.start_worker()
    finally:
        stack.env["DATABASE_URL"] = good_database
    assert blind.wait(timeout=120) != 0
    log = (stack.home / "worker0.log").read_text(errors="replace")
    assert "cannot reach the database" in log
    assert waiting_messages(stack) >= 1  # not consumed, so not lost
    assert outcome(stack, submission)[:2] == ("queued", 0)

    stack.start_worker()
    final = alice.wait_final(submission, seconds=240)
    assert (final["status"], final["score"]) == ("scored", 100.0)


@pytest.fixture
def full_disk(stack: Stack) -> Iterator[Path]:
    """The worker's grading folder on a 64 KiB tmpfs, filled to the last byte."""
    folder = stack.home / "run" / "grading"
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], check=False
    )
    if mounted.returncode != 0:
        pytest.fail("a full disk is simulated with a 64 KiB tmpfs: run the tests as root (CI does)")
    try:
        fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT)
        try:
            while os.write(fd, b"\0" * 4096):
                pass
        except OSError:  # ENOSPC: full
            pass
        finally:
            os.close(fd)
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_full_disk_on_the_worker_ends_in_error_with_that_cause_at_once(
    stack: Stack, full_disk: Path
) -> None:
    alice = ApiUser(stack, "mentee1", "mentee-demo")
    stack.start_worker()
    started = time.monotonic()
    submission = alice.submit(SMOKE_SLUG, REFERENCE_SOLUTION)
    final = alice.wait_final(submission, seconds=120)
    elapsed = time.monotonic() - started
    status, attempt, kind, message = outcome(stack, submission)
    print(f"full disk: {status}/{kind} after {elapsed:.1f} s, {attempt} attempts: {message}")
    assert final["status"] == "error"
    assert kind == "worker" and "disk is full" in message
    assert attempt == 3  # each attempt ended at once, none waited for its lease
    assert elapsed < 60


def test_stored_bytes_that_no_longer_match_their_sha256_are_never_graded(stack: Stack) -> None:
    alice = ApiUser(stack, "mentee1", "mentee-demo")
    submission = alice.submit(SMOKE_SLUG, REFERENCE_SOLUTION)  # no worker yet: it waits
    (stored,) = rows(stack, "SELECT file FROM submissions_submission WHERE id = %s", submission)[
        0:1
    ]
    path = stack.home / "uploads" / stored[0]
    os.truncate(path, path.stat().st_size // 2)  # as a crash or a full disk leaves it

    stack.start_worker()
    final = alice.wait_final(submission, seconds=120)
    _, attempt, kind, message = outcome(stack, submission)
    assert (final["status"], kind, attempt) == ("error", "storage", 1)
    assert "sha256" in message and "upload it again" in message


def test_a_worker_that_loses_the_database_mid_life_keeps_the_message_until_it_returns(
    stack: Stack,
) -> None:
    link = CuttableLink()
    good_database = stack.env["DATABASE_URL"]
    stack.env["DATABASE_URL"] = good_database.replace(":5432/", f":{link.port}/")
    try:
        stack.start_worker()  # reaches the database through the link, then loses it
    finally:
        stack.env["DATABASE_URL"] = good_database
    try:
        wait_until(lambda: "ready" in (stack.home / "worker0.log").read_text(), 120, "ready")
        link.cut()
        alice = ApiUser(stack, "mentee1", "mentee-demo")
        submission = alice.submit(SMOKE_SLUG, REFERENCE_SOLUTION)
        wait_until(
            lambda: "database unavailable" in (stack.home / "worker0.log").read_text(),
            60,
            "the worker to meet the cut",
        )
        time.sleep(6)  # at least one retry meets the cut too
        assert outcome(stack, submission)[:2] == ("queued", 0)
        link.restore()
        final = alice.wait_final(submission, seconds=120)
        assert (final["status"], final["score"]) == ("scored", 100.0)
    finally:
        link.close()
