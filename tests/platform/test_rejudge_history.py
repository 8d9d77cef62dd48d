"""Rejudging by bundle version, by assignment and one at a time: the board recomputes from
the new reports, every earlier report stays in the history with what graded it, a double click
rejudges once, and a rejudge never costs a mentee an upload.

Reports come through the real pipeline (claim, record) on the real database; the grader's
output is the JSON it prints (as in test_pipeline.py).
"""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.urls import reverse
from leaderboards.services import leaderboard
from platform_testkit import make_submission
from submissions import pipeline
from submissions.grader_subprocess import GraderRun
from submissions.history import judgings
from submissions.models import GradingReport, Status, Submission
from submissions.queue import queue_of
from submissions.rejudge import outdated, rejudge_assignment, rejudge_one, rejudge_outdated
from submissions.services import quota_left
from submissions.versions import grader_version

OLD_BUNDLE = "a" * 64
NEW_BUNDLE = "b" * 64


def grade_with(submission: Submission, score: float | None, status: str = "scored") -> None:
    """One worker attempt whose grader printed this report."""
    error = None if status == "scored" else {"kind": "syntax", "message": "Line 1 is not Python."}
    stdout = json.dumps(
        {
            "status": status,
            "score": score,
            "checks": [],
            "metrics": {},
            "error": error,
            "logs": "",
            "timings": {"total_s": 1.0},
        }
    )
    claimed = pipeline.claim(submission.pk)
    assert claimed is not None and claimed.pk == submission.pk
    assert pipeline.record(claimed, GraderRun(0, stdout, "", 1.0)) == status


def queued_row(owner, assignment):  # type: ignore[no-untyped-def]
    return make_submission(owner, assignment, queue=queue_of(assignment))


@pytest.fixture
def graded_course(assignment, mentee_a, mentee_b):  # type: ignore[no-untyped-def]
    """Alice scored 100 and Bob 60 under the old bundle; then the bundle changed (as
    seed_course leaves it: a new hash and the notice for mentors)."""
    type(assignment).objects.filter(pk=assignment.pk).update(bundle_hash=OLD_BUNDLE)
    assignment.refresh_from_db()
    alice = queued_row(mentee_a, assignment)
    bob = queued_row(mentee_b, assignment)
    grade_with(alice, 100.0)
    grade_with(bob, 60.0)
    type(assignment).objects.filter(pk=assignment.pk).update(
        bundle_hash=NEW_BUNDLE, bundle_update_pending=True
    )
    assignment.refresh_from_db()
    return assignment, alice, bob


def board(assignment, viewer) -> list[tuple[str, float]]:  # type: ignore[no-untyped-def]
    return [(row["user"], row["score"]) for row in leaderboard(assignment, False, viewer) or []]


def test_it_names_the_bundle_and_grader_version_of_every_report(graded_course):  # type: ignore[no-untyped-def]
    _, alice, _ = graded_course
    alice.refresh_from_db()
    assert (alice.bundle_hash, alice.grader_version) == (OLD_BUNDLE, grader_version())
    (report,) = judgings(alice)
    assert (report.judging, report.bundle_hash, report.status, report.score) == (
        1,
        OLD_BUNDLE,
        "scored",
        100.0,
    )
    assert report.grader_version.startswith("0.") and "+" in report.grader_version


def test_rejudge_by_version_recomputes_the_board_and_keeps_the_history(  # type: ignore[no-untyped-def]
    graded_course, mentor, django_capture_on_commit_callbacks
):
    assignment, alice, bob = graded_course
    assert board(assignment, mentor) == [("alice", 100.0), ("bob", 60.0)]
    assert set(outdated(assignment).values_list("pk", flat=True)) == {alice.pk, bob.pk}

    with django_capture_on_commit_callbacks(execute=False) as sent:
        assert rejudge_outdated(assignment) == 2
    assert len(sent) == 2  # one grading message each
    assignment.refresh_from_db()
    assert assignment.bundle_update_pending is False
    # While the rejudge waits, the standing reports keep both on the board.
    assert board(assignment, mentor) == [("alice", 100.0), ("bob", 60.0)]
    assert rejudge_outdated(assignment) == 0  # a second click finds nothing left to do

    grade_with(alice, 40.0)  # the fixed bundle is stricter
    grade_with(bob, 70.0)
    assert board(assignment, mentor) == [("bob", 70.0), ("alice", 40.0)]
    history = judgings(Submission.objects.get(pk=alice.pk))
    assert [(r.judging, r.bundle_hash, r.score, r.origin) for r in history] == [
        (2, NEW_BUNDLE, 40.0, "rejudge"),
        (1, OLD_BUNDLE, 100.0, "worker"),
    ]
    assert not outdated(assignment).exists()


def test_a_double_click_rejudges_once(graded_course, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    _, alice, _ = graded_course
    alice.refresh_from_db()
    seen = alice.judging
    with django_capture_on_commit_callbacks(execute=False) as sent:
        assert rejudge_one(alice, seen_judging=seen) is True
        assert rejudge_one(alice, seen_judging=seen) is False  # still queued
    grade_with(alice, 90.0)
    # The same form sent again after the rejudge finished: the judging it names is gone.
    assert rejudge_one(alice, seen_judging=seen) is False
    assert len(sent) == 1
    assert Submission.objects.get(pk=alice.pk).judging == seen + 1


def test_rejudge_all_is_idempotent_for_the_page_that_asked(graded_course):  # type: ignore[no-untyped-def]
    from django.utils import timezone

    assignment, alice, bob = graded_course
    drawn_at = timezone.now()
    assert rejudge_assignment(assignment, queued_before=drawn_at) == 2
    grade_with(alice, 50.0)
    grade_with(bob, 50.0)
    assert rejudge_assignment(assignment, queued_before=drawn_at) == 0  # the form resent
    assert rejudge_assignment(assignment) == 2  # a new request


def test_a_rejudge_never_costs_the_mentee_an_upload(assignment, mentee_a):  # type: ignore[no-untyped-def]
    before = quota_left(mentee_a, assignment)
    refused = queued_row(mentee_a, assignment)
    grade_with(refused, None, status="rejected")
    assert quota_left(mentee_a, assignment) == before  # a rejected upload is free
    assert rejudge_one(refused) is True
    grade_with(refused, 100.0)  # the fixed bundle accepts it
    assert quota_left(mentee_a, assignment) == before
    assert GradingReport.objects.filter(submission=refused).count() == 2


def test_mentors_rejudge_from_the_dashboard_and_mentees_cannot(  # type: ignore[no-untyped-def]
    graded_course, mentor, mentee_a, client
):
    assignment, alice, _ = graded_course
    url = reverse("dashboard:rejudge-assignment", args=[assignment.slug])
    client.force_login(mentee_a)
    assert client.post(url, {"scope": "outdated"}).status_code == 403
    assert Submission.objects.get(pk=alice.pk).status == Status.SCORED

    client.force_login(mentor)
    page = client.get(reverse("dashboard:index")).content.decode()
    assert 'data-outdated="2"' in page and "bundle updated: rejudge?" in page
    assert client.post(url, {"scope": "sideways"}).status_code == 302  # a clear error, no change
    assert Submission.objects.get(pk=alice.pk).status == Status.SCORED
    response = client.post(url, {"scope": "outdated"}, follow=True)
    assert (
        "2 submissions graded by an older bundle version queued again" in response.content.decode()
    )
    assert Submission.objects.filter(status=Status.QUEUED).count() == 2


def test_the_history_shows_to_mentors_only(graded_course, mentor, mentee_a, client):  # type: ignore[no-untyped-def]
    _, alice, _ = graded_course
    url = reverse("portal:result", args=[alice.pk])
    client.force_login(mentee_a)
    assert "Judging history" not in client.get(url).content.decode()
    client.force_login(mentor)
    page = client.get(url).content.decode()
    assert "Judging history" in page and OLD_BUNDLE[:12] in page and 'data-judging="1"' in page


def test_the_management_command_rejudges_what_an_older_bundle_graded(graded_course, capsys):  # type: ignore[no-untyped-def]
    assignment, _, _ = graded_course
    call_command("rejudge", "--outdated", "--assignment", assignment.slug)
    assert "2 submissions queued again." in capsys.readouterr().out
    call_command("rejudge", "--outdated")
    assert "0 submissions queued again." in capsys.readouterr().out
    with pytest.raises(Exception, match="no assignment 'nope'"):
        call_command("rejudge", "--assignment", "nope")


def test_a_rejudge_in_flight_does_not_block_the_mentees_uploads(graded_course, mentee_a):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile
    from platform_testkit import REFERENCE_SOLUTION
    from submissions.services import create_submission

    assignment, alice, _ = graded_course
    type(assignment).objects.filter(pk=assignment.pk).update(max_in_flight=1)
    assignment.refresh_from_db()
    assert rejudge_one(alice) is True  # queued again by a mentor
    upload = SimpleUploadedFile("submission.py", REFERENCE_SOLUTION.read_bytes())
    assert create_submission(mentee_a, assignment, upload).status == Status.QUEUED


def test_a_changed_bundle_on_restart_offers_the_rejudge_that_answers_it(  # type: ignore[no-untyped-def]
    tmp_path, settings, mentee_a, mentor
):
    """End to end on the catalogue: seed, grade, edit the bundle, seed again (as a restart
    does), then the outdated rejudge re-grades under the new hash and clears the notice."""
    import io
    import shutil

    from courses.models import Assignment
    from platform_testkit import BUNDLES, SMOKE_SLUG

    root = tmp_path / "assignments"
    shutil.copytree(BUNDLES / SMOKE_SLUG, root / SMOKE_SLUG)
    settings.ARENA_ASSIGNMENTS = root
    call_command("seed_course", assignments=root, stdout=io.StringIO())
    assignment = Assignment.objects.get(slug=SMOKE_SLUG)
    graded = queued_row(mentee_a, assignment)
    grade_with(graded, 80.0)
    first_hash = assignment.bundle_hash

    readme = root / SMOKE_SLUG / "README.md"
    readme.write_text(readme.read_text() + "\nA fix to the statement.\n")
    call_command("seed_course", assignments=root, stdout=io.StringIO())
    assignment.refresh_from_db()
    assert assignment.bundle_update_pending and assignment.bundle_hash != first_hash
    assert list(outdated(assignment)) == [graded]

    assert rejudge_outdated(assignment) == 1
    grade_with(Submission.objects.get(pk=graded.pk), 90.0)
    assignment.refresh_from_db()
    assert not assignment.bundle_update_pending
    assert [r.bundle_hash for r in judgings(graded)] == [assignment.bundle_hash, first_hash]
    assert board(assignment, mentor) == [("alice", 90.0)]
