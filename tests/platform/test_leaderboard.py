"""Leaderboards: best score per mentee, earlier wins ties, private split hidden until revealed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from leaderboards.services import leaderboard, update_entry
from platform_testkit import make_submission
from rest_framework.test import APIClient
from submissions.models import Status


def scored(owner, assignment, score, minutes_ago=0, **metrics):  # type: ignore[no-untyped-def]
    report = {"status": "scored", "score": score, "checks": [], "metrics": metrics, "logs": ""}
    submission = make_submission(
        owner,
        assignment,
        status=Status.SCORED,
        score=score,
        report=report,
        created_at=timezone.now() - timedelta(minutes=minutes_ago),
    )
    update_entry(assignment, owner)
    return submission


def test_it_ranks_each_mentees_best_submission(mentee_a, mentee_b, assignment):  # type: ignore[no-untyped-def]
    scored(mentee_a, assignment, 40.0)
    best_a = scored(mentee_a, assignment, 80.0)
    best_b = scored(mentee_b, assignment, 60.0)
    rows = leaderboard(assignment, private=False, viewer=mentee_a)
    assert [(r["rank"], r["user"], r["score"], r["submission_id"]) for r in rows] == [
        (1, "alice", 80.0, best_a.pk),
        (2, "bob", 60.0, best_b.pk),
    ]


def test_an_earlier_submission_wins_a_tie(mentee_a, mentee_b, assignment):  # type: ignore[no-untyped-def]
    scored(mentee_a, assignment, 70.0, minutes_ago=1)
    scored(mentee_b, assignment, 70.0, minutes_ago=5)
    rows = leaderboard(assignment, private=False, viewer=mentee_a)
    assert [r["user"] for r in rows] == ["bob", "alice"]


def test_failed_submissions_and_mentors_stay_off_the_board(mentee_a, mentor, assignment):  # type: ignore[no-untyped-def]
    make_submission(mentee_a, assignment, status=Status.FAILED)
    update_entry(assignment, mentee_a)
    scored(mentor, assignment, 100.0)
    assert leaderboard(assignment, private=False, viewer=mentor) == []


def test_the_private_board_uses_the_private_split_and_waits_for_the_reveal(  # type: ignore[no-untyped-def]
    mentee_a, mentee_b, mentor, assignment
):
    scored(mentee_a, assignment, 90.0, public_score=90.0, private_score=50.0)
    scored(mentee_b, assignment, 70.0, public_score=70.0, private_score=75.0)
    public = leaderboard(assignment, private=False, viewer=mentee_a)
    assert [r["user"] for r in public] == ["alice", "bob"]
    assert all("private_score" not in r["metrics"] for r in public)
    assert leaderboard(assignment, private=True, viewer=mentee_a) is None
    private = leaderboard(assignment, private=True, viewer=mentor)
    assert [(r["user"], r["score"]) for r in private] == [("bob", 75.0), ("alice", 50.0)]

    assignment.private_revealed = True
    assignment.save(update_fields=["private_revealed"])
    assert leaderboard(assignment, private=True, viewer=mentee_a) is None  # deadline not passed
    assignment.deadline = timezone.now() - timedelta(hours=1)
    assignment.save(update_fields=["deadline"])
    assert [r["user"] for r in leaderboard(assignment, private=True, viewer=mentee_a)] == [
        "bob",
        "alice",
    ]


def test_the_api_returns_both_boards_in_the_contract_shape(mentee_a, assignment):  # type: ignore[no-untyped-def]
    submission = scored(mentee_a, assignment, 88.0, accuracy=0.9)
    body = APIClient().get(f"/api/v1/assignments/{assignment.slug}/leaderboard/").json()
    assert body["private"] is None
    (row,) = body["public"]
    assert set(row) == {
        "rank",
        "user",
        "score",
        "metrics",
        "submission_id",
        "submitted_at",
        "days_late",
        "baseline",
        "mine",
    }
    assert (row["submission_id"], row["metrics"]) == (submission.pk, {"accuracy": 0.9})


# ---- issue 12/13: ranking past the cap, the baseline row, pseudonyms --------------------------

COMPETITION = [
    {"name": "functions", "kind": "functions", "checks": [{"name": "add", "points": 50}]},
    {
        "name": "cnn",
        "kind": "model",
        "scoring": {
            "metric": "accuracy",
            "metric_zero": 0.8,
            "metric_full": 0.93,
            "accuracy_points": 35,
            "speed_points": 15,
            "ips_zero": 50,
            "ips_full": 30000,
        },
    },
]


def as_competition(assignment):  # type: ignore[no-untyped-def]
    """The smoke assignment with week 3's shape: a functions part and a scored model part."""
    from courses.models import Assignment

    names = {f.name for f in Assignment._meta.get_fields()}
    field = "parts" if "parts" in names else "scoring"
    Assignment.objects.filter(pk=assignment.pk).update(**{field: COMPETITION})
    assignment.refresh_from_db()
    return assignment


def test_equal_capped_points_rank_by_the_raw_metric_then_speed(  # type: ignore[no-untyped-def]
    mentee_a, mentee_b, mentor, assignment
):
    from django.contrib.auth.models import User

    carol = User.objects.create_user("carol", password="carol-pass-1")
    competition = as_competition(assignment)
    # All three at 100 points (past the cap); alice submitted first but is the least accurate.
    scored(
        mentee_a,
        competition,
        100.0,
        minutes_ago=30,
        **{"cnn/accuracy": 0.94, "cnn/throughput_ips": 9000.0},
    )
    scored(
        mentee_b,
        competition,
        100.0,
        minutes_ago=5,
        **{"cnn/accuracy": 0.96, "cnn/throughput_ips": 31000.0},
    )
    scored(
        carol,
        competition,
        100.0,
        minutes_ago=1,
        **{"cnn/accuracy": 0.96, "cnn/throughput_ips": 40000.0},
    )
    rows = leaderboard(competition, private=False, viewer=mentor)
    assert [(r["rank"], r["user"]) for r in rows] == [(1, "carol"), (2, "bob"), (3, "alice")]


def test_a_mentees_entry_is_their_best_by_the_same_order(mentee_a, assignment):  # type: ignore[no-untyped-def]
    competition = as_competition(assignment)
    scored(mentee_a, competition, 100.0, minutes_ago=10, **{"cnn/accuracy": 0.94})
    better = scored(mentee_a, competition, 100.0, minutes_ago=1, **{"cnn/accuracy": 0.95})
    (row,) = leaderboard(competition, private=False, viewer=mentee_a)
    assert row["submission_id"] == better.pk and row["mine"]


def test_the_private_board_orders_ties_by_the_private_split(  # type: ignore[no-untyped-def]
    mentee_a, mentee_b, mentor, assignment
):
    competition = as_competition(assignment)
    scored(
        mentee_a,
        competition,
        100.0,
        minutes_ago=9,
        public_score=100.0,
        private_score=100.0,
        **{"cnn/accuracy": 0.96, "cnn/private_accuracy": 0.94},
    )
    scored(
        mentee_b,
        competition,
        100.0,
        minutes_ago=1,
        public_score=100.0,
        private_score=100.0,
        **{"cnn/accuracy": 0.95, "cnn/private_accuracy": 0.95},
    )
    public = leaderboard(competition, private=False, viewer=mentor)
    private = leaderboard(competition, private=True, viewer=mentor)
    assert [r["user"] for r in public] == ["alice", "bob"]
    assert [r["user"] for r in private] == ["bob", "alice"]


def test_the_columns_are_the_scored_metrics_in_words():  # type: ignore[no-untyped-def]
    from courses.models import Assignment
    from leaderboards.columns import board_columns

    week5 = Assignment(slug="w5")
    week5.parts = [  # week 5's shape: mean IoU is measured by two parts, scored by "boxes"
        {"name": "digits", "kind": "model", "scoring": {"metric": "accuracy"}},
        {"name": "localize", "kind": "model", "scoring": {"metric": "loc_accuracy"}},
        {"name": "boxes", "kind": "model", "scoring": {"metric": "mean_iou"}},
    ]
    assert [(c.key, c.heading) for c in board_columns(week5)] == [
        ("digits/accuracy", "Accuracy"),
        ("localize/loc_accuracy", "Localization accuracy"),
        ("boxes/mean_iou", "Mean IoU"),
    ]
    week4 = Assignment(slug="w4")
    week4.parts = [
        {"name": "alexnet", "kind": "architecture", "checks": [{"name": "alexnet"}]},
        {"name": "train_alexnet", "kind": "train", "scoring": {"metric": "accuracy"}},
        {"name": "train_vgg16", "kind": "train", "scoring": {"metric": "accuracy"}},
    ]
    assert [c.heading for c in board_columns(week4)] == [
        "Accuracy (alexnet, trained)",
        "Accuracy (vgg16, trained)",
    ]
    single = Assignment(slug="w2")
    single.parts = [
        {"name": "cnn", "kind": "model", "scoring": {"metric": "accuracy", "speed_points": 5}}
    ]
    assert [(c.key, c.heading) for c in board_columns(single)] == [
        ("accuracy", "Accuracy"),
        ("throughput_ips", "Throughput (images/s)"),
    ]


def test_the_baseline_is_graded_once_through_the_pipeline_and_shown_unranked(  # type: ignore[no-untyped-def]
    mentee_a, mentee_b, assignment, django_capture_on_commit_callbacks
):
    import zipfile
    from io import BytesIO

    from dashboard.queries import mentees
    from leaderboards.baselines import BASELINE_LABEL, baseline_user, grade_baseline
    from leaderboards.services import board_rows
    from submissions.services import quota_left

    with django_capture_on_commit_callbacks() as queued:
        done, baseline = grade_baseline(assignment)
    assert done == "submitted" and baseline.status == Status.QUEUED
    assert len(queued) == 1  # handed to the queue after the commit, like an upload
    with zipfile.ZipFile(BytesIO(baseline.file.read())) as archive:
        assert "submission.py" in archive.namelist()  # the bundle's solution/
    again, same = grade_baseline(assignment)
    assert (again, same.pk) == ("unchanged", baseline.pk)

    # Graded (here: as the pipeline stores a scored report) between two mentees.
    baseline.status, baseline.score = Status.SCORED, 75.0
    baseline.report = {"status": "scored", "score": 75.0, "checks": [], "metrics": {}}
    baseline.save()
    update_entry(assignment, baseline.owner)
    scored(mentee_a, assignment, 90.0)
    scored(mentee_b, assignment, 60.0)

    ranked = leaderboard(assignment, private=False, viewer=mentee_a)
    assert [(r["rank"], r["user"]) for r in ranked] == [(1, "alice"), (2, "bob")]
    shown = board_rows(assignment, private=False, viewer=mentee_a)
    assert [(r["rank"], r["user"], r["baseline"]) for r in shown] == [
        (1, "alice", False),
        (None, BASELINE_LABEL, True),
        (2, "bob", False),
    ]
    # Not a mentee anywhere: not listed, cannot log in, no quota of anybody's used.
    user = baseline_user()
    assert user not in mentees() and not user.is_active and not user.has_usable_password()
    assert quota_left(mentee_a, assignment) == assignment.daily_quota - 1


def test_a_baseline_broken_on_our_side_is_rejudged_by_the_next_run(assignment):  # type: ignore[no-untyped-def]
    from leaderboards.baselines import grade_baseline

    _, baseline = grade_baseline(assignment)
    baseline.status = Status.ERROR
    baseline.save(update_fields=["status"])
    done, again = grade_baseline(assignment)
    again.refresh_from_db()
    assert (done, again.pk, again.status) == ("rejudged", baseline.pk, Status.QUEUED)


def test_the_grade_baselines_command_names_what_it_did(assignment):  # type: ignore[no-untyped-def]
    from io import StringIO

    import pytest
    from django.core.management import call_command
    from django.core.management.base import CommandError

    out = StringIO()
    call_command("grade_baselines", stdout=out)
    call_command("grade_baselines", stdout=out)
    text = out.getvalue()
    assert "platform-smoke: submitted" in text and "platform-smoke: unchanged" in text
    with pytest.raises(CommandError, match="No such assignment: nope"):
        call_command("grade_baselines", "nope", stdout=out)


def test_pseudonyms_hide_usernames_from_everyone_but_mentors(  # type: ignore[no-untyped-def]
    mentee_a, mentee_b, mentor, assignment
):
    from django.contrib.auth.models import AnonymousUser
    from leaderboards.pseudonyms import set_pseudonyms

    scored(mentee_a, assignment, 90.0)
    scored(mentee_b, assignment, 60.0)
    set_pseudonyms(assignment.week.course, True)
    for viewer in (mentee_a, mentee_b, AnonymousUser()):
        names = [r["user"] for r in leaderboard(assignment, private=False, viewer=viewer)]
        assert "alice" not in names and "bob" not in names, names
        assert len(set(names)) == 2 and all(name.strip() for name in names)
    # Stable: the same names on every view, whoever looks.
    first = [r["user"] for r in leaderboard(assignment, private=False, viewer=mentee_a)]
    assert [r["user"] for r in leaderboard(assignment, private=False, viewer=mentee_b)] == first
    mine = [r["mine"] for r in leaderboard(assignment, private=False, viewer=mentee_b)]
    assert mine == [False, True]
    assert [r["user"] for r in leaderboard(assignment, private=False, viewer=mentor)] == [
        "alice",
        "bob",
    ]
    set_pseudonyms(assignment.week.course, False)
    names = [r["user"] for r in leaderboard(assignment, private=False, viewer=mentee_a)]
    assert names == ["alice", "bob"]


def test_pseudonyms_stay_unique_within_a_course_when_draws_meet(assignment):  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import User
    from leaderboards.pseudonyms import pseudonyms_for

    course = assignment.week.course
    users = [User.objects.create_user(f"m{i}") for i in range(60)]  # more than 40 adjectives
    names = pseudonyms_for(course, [u.pk for u in users])
    assert len(set(names.values())) == 60
    assert pseudonyms_for(course, [u.pk for u in users]) == names  # drawn once, then kept


def test_the_api_gives_the_baseline_apart_from_the_ranked_rows(mentee_a, assignment):  # type: ignore[no-untyped-def]
    from leaderboards.baselines import BASELINE_LABEL, grade_baseline

    url = f"/api/v1/assignments/{assignment.slug}/leaderboard/"
    assert APIClient().get(url).json()["baseline"] == {"public": None, "private": None}
    _, baseline = grade_baseline(assignment)
    baseline.status, baseline.score = Status.SCORED, 75.0
    baseline.report = {"status": "scored", "score": 75.0, "checks": [], "metrics": {}}
    baseline.save()
    scored(mentee_a, assignment, 90.0)
    body = APIClient().get(url).json()
    assert [r["user"] for r in body["public"]] == ["alice"]  # the contract's rows: ranked only
    row = body["baseline"]["public"]
    assert (row["user"], row["score"], row["rank"], row["baseline"]) == (
        BASELINE_LABEL,
        75.0,
        None,
        True,
    )
    assert body["baseline"]["private"] is None  # as the private board: not revealed


@pytest.mark.slow
@pytest.mark.bwrap
def test_the_baseline_is_graded_by_the_real_pipeline_in_a_sandbox(mentee_a, assignment, settings):  # type: ignore[no-untyped-def]
    """No shortcut: the worker's ``pipeline.grade`` runs the grader on the zipped solution/ in
    bubblewrap, and the board shows what it scored."""
    from leaderboards.baselines import grade_baseline
    from leaderboards.services import board_rows
    from submissions import pipeline

    settings.ARENA_SANDBOX = "bwrap"
    _, baseline = grade_baseline(assignment)
    pipeline.grade(baseline.pk)
    baseline.refresh_from_db()
    assert (baseline.status, baseline.score) == (Status.SCORED, 100.0), baseline.error
    scored(mentee_a, assignment, 50.0)
    rows = board_rows(assignment, private=False, viewer=mentee_a)
    assert [(r["rank"], r["baseline"], r["score"]) for r in rows] == [
        (None, True, 100.0),
        (1, False, 50.0),
    ]
