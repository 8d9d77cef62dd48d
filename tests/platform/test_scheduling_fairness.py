"""Fair scheduling: a mentee's fourth queued run does not starve another's first (a message is
a turn in its queue: the worker grades the run the fair order puts first), and assignments go
to queues by cost class so short ones never wait behind week 4. Real database, real pipeline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from platform_testkit import make_submission
from submissions import pipeline
from submissions.fairness import fair_order
from submissions.models import Status
from submissions.queue import CPU_LONG, CPU_SHORT, GPU, queue_of


def waiting(owner, assignment, minutes_ago: float, **fields):  # type: ignore[no-untyped-def]
    at = timezone.now() - timedelta(minutes=minutes_ago)
    return make_submission(
        owner, assignment, queue=CPU_SHORT, queued_at=at, enqueued_at=at, created_at=at, **fields
    )


def test_another_mentees_first_run_goes_before_a_mentees_later_ones(  # type: ignore[no-untyped-def]
    mentee_a, mentee_b, assignment
):
    alice = [waiting(mentee_a, assignment, minutes_ago=10 - i) for i in range(4)]
    bob = waiting(mentee_b, assignment, minutes_ago=1)  # uploaded after all of Alice's
    order = [row.pk for row in fair_order(CPU_SHORT)]
    assert order == [alice[0].pk, bob.pk, alice[1].pk, alice[2].pk, alice[3].pk]


def test_a_mentee_being_graded_yields_the_next_turn(mentee_a, mentee_b, assignment):  # type: ignore[no-untyped-def]
    running = waiting(mentee_a, assignment, minutes_ago=10)
    assert pipeline.claim(running.pk).pk == running.pk
    alice_next = waiting(mentee_a, assignment, minutes_ago=9)
    bob = waiting(mentee_b, assignment, minutes_ago=1)
    # The message of Alice's second run arrives first; it grades Bob's run in its place.
    claimed = pipeline.claim(alice_next.pk)
    assert claimed is not None and claimed.pk == bob.pk
    # Bob's own message, arriving later, is still a turn: Alice's run gets it.
    claimed = pipeline.claim(bob.pk)
    assert claimed is not None and claimed.pk == alice_next.pk
    assert pipeline.claim(bob.pk) is None  # a duplicate finds nothing left


def test_a_run_waiting_out_a_retry_back_off_does_not_take_a_turn(  # type: ignore[no-untyped-def]
    mentee_a, mentee_b, assignment
):
    backing_off = waiting(mentee_a, assignment, minutes_ago=10)
    backing_off.enqueued_at = timezone.now() + timedelta(minutes=5)
    backing_off.save(update_fields=["enqueued_at"])
    bob = waiting(mentee_b, assignment, minutes_ago=1)
    claimed = pipeline.claim(backing_off.pk)
    assert claimed is not None and claimed.pk == bob.pk
    backing_off.refresh_from_db()
    assert backing_off.status == Status.QUEUED


def test_every_waiting_run_is_graded_once_whatever_the_message_order(  # type: ignore[no-untyped-def]
    mentee_a, mentee_b, assignment
):
    rows = [waiting(mentee_a, assignment, minutes_ago=5 - i) for i in range(3)]
    rows.append(waiting(mentee_b, assignment, minutes_ago=0.5))
    graded = []
    for message in reversed(rows):  # the broker delivers in any order; one turn each
        claimed = pipeline.claim(message.pk)
        assert claimed is not None
        graded.append(claimed.pk)
        claimed.status = Status.SCORED  # finish it as record() would
        claimed.save(update_fields=["status"])
    assert sorted(graded) == sorted(row.pk for row in rows)


@pytest.mark.parametrize(
    ("limits", "gpu", "queue"),
    [
        ({"wall_seconds": 120}, False, CPU_SHORT),  # week 1
        ({"wall_seconds": 180}, False, CPU_SHORT),  # week 2
        ({"wall_seconds": 900}, False, CPU_LONG),  # week 4
        ({}, False, CPU_SHORT),
        ({"wall_seconds": 120}, True, GPU),
    ],
)
def test_assignments_go_to_the_queue_of_their_cost_class(assignment, limits, gpu, queue):  # type: ignore[no-untyped-def]
    assignment.limits, assignment.gpu = limits, gpu
    assert queue_of(assignment) == queue


def test_an_upload_waits_on_its_cost_class(mentee_a, assignment, settings):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile
    from platform_testkit import REFERENCE_SOLUTION
    from submissions.services import create_submission

    settings.ARENA_SHORT_WALL_SECONDS = 10  # the smoke bundle's 60 s budget is long now
    upload = SimpleUploadedFile("submission.py", REFERENCE_SOLUTION.read_bytes())
    assert create_submission(mentee_a, assignment, upload).queue == CPU_LONG
