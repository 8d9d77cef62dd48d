"""Course set-up from the dashboard: each setting saved, audited and kept by a restart; uploads
follow the schedule (opening, deadline, extensions, late policy, runs in flight)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from courses.late_policy import LatePolicy, days_late, penalised
from courses.models import Assignment, AuditEvent, DeadlineExtension, LateMark
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from leaderboards.services import leaderboard, update_entry
from platform_testkit import BUNDLES, REFERENCE_SOLUTION, make_submission
from submissions.models import Status, Submission
from submissions.services import SubmissionRefused, create_submission

FORMAT = "%Y-%m-%dT%H:%M"


def upload(user, assignment) -> Submission:  # type: ignore[no-untyped-def]
    return create_submission(
        user, assignment, SimpleUploadedFile("submission.py", REFERENCE_SOLUTION.read_bytes())
    )


def graded(submission: Submission, score: float) -> Submission:
    """What the worker leaves once the grader scored the run (the grading is not under test)."""
    submission.status, submission.score = Status.SCORED, score
    submission.report = {"status": "scored", "score": score, "metrics": {}, "checks": []}
    submission.finished_at = timezone.now()
    submission.save()
    update_entry(submission.assignment, submission.owner)
    return submission


def as_client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def minute(delta: timedelta) -> str:
    return (timezone.now() + delta).strftime(FORMAT)


def settings_form(assignment: Assignment, **changes: object) -> dict[str, object]:
    """The settings form as the page fills it in, with ``changes`` typed over it."""
    data: dict[str, object] = {
        "published": "on" if assignment.published else "",
        "public": "on" if assignment.public else "",
        "opens_at": assignment.opens_at.strftime(FORMAT) if assignment.opens_at else "",
        "deadline": assignment.deadline.strftime(FORMAT) if assignment.deadline else "",
        "late_policy": assignment.late_policy,
        "late_penalty_percent": assignment.late_penalty_percent,
        "daily_quota": assignment.daily_quota,
        "max_in_flight": assignment.max_in_flight,
        "max_selected": assignment.max_selected,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_each_setting_is_saved_audited_and_survives_a_seed_course_rerun(mentor, assignment):  # type: ignore[no-untyped-def]
    opens, deadline = minute(-timedelta(days=3)), minute(timedelta(days=4))
    form = settings_form(
        assignment,
        published="",
        public="",
        opens_at=opens,
        deadline=deadline,
        late_policy="penalty",
        late_penalty_percent="15",
        daily_quota="4",
        max_in_flight="1",
        max_selected="3",
    )
    response = as_client(mentor).post(f"/dashboard/assignments/{assignment.slug}/settings/", form)
    assert response.status_code == 302

    call_command("seed_course", assignments=BUNDLES, stdout=io.StringIO())
    saved = Assignment.objects.get(pk=assignment.pk)
    assert (saved.published, saved.public) == (False, False)
    assert saved.opens_at.strftime(FORMAT) == opens and saved.deadline.strftime(FORMAT) == deadline
    assert (saved.late_policy, saved.late_penalty_percent) == ("penalty", 15.0)
    assert (saved.daily_quota, saved.max_in_flight, saved.max_selected) == (4, 1, 3)

    events = {e.field: e for e in AuditEvent.objects.filter(assignment=assignment)}
    assert set(events) == {
        "published",
        "public",
        "opens_at",
        "deadline",
        "late_policy",
        "late_penalty_percent",
        "daily_quota",
        "max_in_flight",
        "max_selected",
    }
    quota = events["daily_quota"]
    assert (quota.actor_name, quota.old_value, quota.new_value) == ("mira", "50", "4")
    assert events["deadline"].new_value == f"{saved.deadline:%Y-%m-%d %H:%M} UTC"
    assert events["published"].old_value == "yes" and events["published"].new_value == "no"
    page = as_client(mentor).get("/dashboard/").content.decode()
    assert 'data-audit-field="daily_quota"' in page and "mira" in page


def test_saving_unchanged_settings_records_nothing(mentor, assignment):  # type: ignore[no-untyped-def]
    client = as_client(mentor)
    client.post(f"/dashboard/assignments/{assignment.slug}/settings/", settings_form(assignment))
    assert not AuditEvent.objects.exists()


def test_bad_settings_show_clear_errors_and_change_nothing(mentor, assignment):  # type: ignore[no-untyped-def]
    before = Assignment.objects.get(pk=assignment.pk)
    form = settings_form(
        assignment,
        opens_at=minute(timedelta(days=2)),
        deadline=minute(timedelta(days=1)),
        daily_quota="0",
        late_penalty_percent="150",
        max_in_flight="abc",
    )
    response = as_client(mentor).post(f"/dashboard/assignments/{assignment.slug}/settings/", form)
    assert response.status_code == 400
    page = response.content.decode()
    assert "The deadline must be after the opening date." in page
    for name in ("daily_quota", "late_penalty_percent", "max_in_flight", "deadline"):
        assert f'data-error-for="{name}"' in page
    after = Assignment.objects.get(pk=assignment.pk)
    assert (after.deadline, after.daily_quota, after.late_penalty_percent) == (
        before.deadline,
        before.daily_quota,
        before.late_penalty_percent,
    )
    assert not AuditEvent.objects.exists()


def test_an_upload_before_the_opening_is_refused_with_the_date(mentee_a, assignment):  # type: ignore[no-untyped-def]
    assignment.opens_at = timezone.now() + timedelta(days=2)
    assignment.save(update_fields=["opens_at"])
    with pytest.raises(SubmissionRefused, match="opens on .* UTC; uploads are accepted from then"):
        upload(mentee_a, assignment)
    assert not Submission.objects.exists()


def test_an_unpublished_assignment_is_hidden_from_mentees_and_refuses_uploads(  # type: ignore[no-untyped-def]
    mentee_a, mentor, assignment
):
    assignment.published = False
    assignment.save(update_fields=["published"])
    assert as_client(mentee_a).get(f"/assignments/{assignment.slug}/").status_code == 404
    with pytest.raises(SubmissionRefused, match="not published"):
        upload(mentee_a, assignment)
    assert as_client(mentor).get(f"/assignments/{assignment.slug}/").status_code == 200


def test_an_upload_after_the_deadline_is_refused_under_the_refuse_policy(mentee_a, assignment):  # type: ignore[no-untyped-def]
    assignment.deadline = timezone.now() - timedelta(minutes=5)
    assignment.save(update_fields=["deadline"])
    response = as_client(mentee_a).post(
        f"/assignments/{assignment.slug}/submit/",
        {"file": SimpleUploadedFile("submission.py", REFERENCE_SOLUTION.read_bytes())},
    )
    assert response.status_code == 400
    assert "late uploads are not accepted" in response.content.decode()
    assert not Submission.objects.exists()


def test_a_late_upload_is_marked_and_penalised_on_the_board_and_in_the_export(  # type: ignore[no-untyped-def]
    mentee_a, mentee_b, mentor, assignment
):
    assignment.deadline = timezone.now() - timedelta(days=1, hours=6)  # 2 days late, by the day
    assignment.late_policy, assignment.late_penalty_percent = "penalty", 10.0
    assignment.save(update_fields=["deadline", "late_policy", "late_penalty_percent"])

    late = graded(upload(mentee_a, assignment), 80.0)
    mark = LateMark.objects.get(submission=late)
    assert (mark.days_late, mark.deadline) == (2, assignment.deadline)
    assert Submission.objects.get(pk=late.pk).score == 80.0  # the raw score stays as graded
    graded(make_submission(mentee_b, assignment), 70.0)  # uploaded before the deadline

    rows = leaderboard(assignment, private=False, viewer=mentor)
    assert [(r["user"], r["score"], r["days_late"]) for r in rows] == [
        ("bob", 70.0, 0),
        ("alice", 64.0, 2),
    ]
    board = as_client(mentee_a).get(f"/assignments/{assignment.slug}/leaderboard/")
    page = board.content.decode()
    assert 'data-days-late="2"' in page and "10% of the score per day" in page

    exported = as_client(mentor).get("/dashboard/grades.csv").content.decode()
    table = {row["user"]: row for row in csv.DictReader(io.StringIO(exported))}
    slug = assignment.slug
    assert (table["alice"][slug], table["alice"][f"{slug} raw"]) == ("64.00", "80.00")
    assert table["alice"][f"{slug} days late"] == "2"
    assert (table["bob"][slug], table["bob"][f"{slug} days late"]) == ("70.00", "0")


def test_a_changed_penalty_recomputes_the_board(  # type: ignore[no-untyped-def]
    mentee_a, mentor, assignment, django_capture_on_commit_callbacks
):
    assignment.deadline = timezone.now() - timedelta(hours=1)
    assignment.late_policy = "penalty"
    assignment.save(update_fields=["deadline", "late_policy"])
    graded(upload(mentee_a, assignment), 50.0)
    assert leaderboard(assignment, private=False, viewer=mentor)[0]["score"] == 45.0

    form = settings_form(Assignment.objects.get(pk=assignment.pk), late_penalty_percent="50")
    with django_capture_on_commit_callbacks(execute=True):
        response = as_client(mentor).post(
            f"/dashboard/assignments/{assignment.slug}/settings/", form
        )
    assert response.status_code == 302
    assert leaderboard(assignment, private=False, viewer=mentor)[0]["score"] == 25.0


def test_an_extension_lets_one_mentee_submit_on_time(mentee_a, mentee_b, mentor, assignment):  # type: ignore[no-untyped-def]
    assignment.deadline = timezone.now() - timedelta(hours=2)
    assignment.save(update_fields=["deadline"])
    until = minute(timedelta(days=1))
    response = as_client(mentor).post(
        f"/dashboard/assignments/{assignment.slug}/extensions/",
        {"mentee": mentee_a.pk, "until": until},
    )
    assert response.status_code == 302
    assert DeadlineExtension.objects.get(user=mentee_a).until.strftime(FORMAT) == until

    page = as_client(mentee_a).get(f"/assignments/{assignment.slug}/").content.decode()
    assert "data-extension" in page and "Submit for grading" in page
    accepted = upload(mentee_a, assignment)
    assert not LateMark.objects.filter(submission=accepted).exists()
    with pytest.raises(SubmissionRefused, match="deadline"):
        upload(mentee_b, assignment)

    event = AuditEvent.objects.get(field="extension")
    assert (event.subject, event.old_value) == (f"{assignment.slug} for alice", "none")
    as_client(mentor).post(
        f"/dashboard/assignments/{assignment.slug}/extensions/{mentee_a.pk}/revoke/"
    )
    assert not DeadlineExtension.objects.exists()
    assert AuditEvent.objects.filter(field="extension", new_value="none").count() == 1
    with pytest.raises(SubmissionRefused, match="deadline"):
        upload(mentee_a, assignment)


def test_an_extension_before_the_deadline_is_refused_with_a_reason(  # type: ignore[no-untyped-def]
    mentee_a, mentor, assignment
):
    assignment.deadline = timezone.now() + timedelta(days=2)
    assignment.save(update_fields=["deadline"])
    response = as_client(mentor).post(
        f"/dashboard/assignments/{assignment.slug}/extensions/",
        {"mentee": mentee_a.pk, "until": minute(timedelta(days=1))},
    )
    assert response.status_code == 400
    assert "An extension must end after the deadline" in response.content.decode()
    assert not DeadlineExtension.objects.exists() and not AuditEvent.objects.exists()


def test_uploads_beyond_the_runs_in_flight_limit_are_refused(mentee_a, assignment):  # type: ignore[no-untyped-def]
    assignment.max_in_flight = 1
    assignment.save(update_fields=["max_in_flight"])
    first = upload(mentee_a, assignment)
    with pytest.raises(SubmissionRefused, match="queued or running .at most 1 at once") as refused:
        upload(mentee_a, assignment)
    assert refused.value.http_status == 429
    graded(first, 10.0)
    upload(mentee_a, assignment)  # the first one finished: room again


def test_a_mentors_rejudge_in_the_queue_does_not_block_the_mentees_upload(  # type: ignore[no-untyped-def]
    mentee_a, assignment
):
    assignment.max_in_flight = 1
    assignment.save(update_fields=["max_in_flight"])
    make_submission(mentee_a, assignment, status=Status.QUEUED, judging=2)
    upload(mentee_a, assignment)


def test_revealing_the_private_board_is_audited(mentor, assignment):  # type: ignore[no-untyped-def]
    assignment.deadline = timezone.now() - timedelta(hours=1)
    assignment.save(update_fields=["deadline"])
    as_client(mentor).post(f"/dashboard/assignments/{assignment.slug}/reveal/", {"revealed": "1"})
    event = AuditEvent.objects.get(field="private_revealed")
    assert (event.actor_name, event.old_value, event.new_value) == ("mira", "no", "yes")


def test_penalised_takes_the_percent_per_day_off_and_stops_at_zero() -> None:
    policy = LatePolicy(accept_late=True, percent_per_day=20.0)
    assert penalised(90.0, 0, policy) == 90.0
    assert penalised(90.0, 1, policy) == 72.0
    assert penalised(90.0, 6, policy) == 0.0
    assert penalised(None, 3, policy) is None


def test_days_late_counts_any_part_of_a_day_as_a_day() -> None:
    deadline = timezone.now()
    assert days_late(deadline, deadline) == 0
    assert days_late(deadline, deadline + timedelta(seconds=1)) == 1
    assert days_late(deadline, deadline + timedelta(days=1)) == 1
    assert days_late(deadline, deadline + timedelta(days=1, seconds=1)) == 2
    assert days_late(None, deadline) == 0
