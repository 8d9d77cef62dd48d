"""The leaderboard page of issue 13: human column names, sortable headings, the viewer's own
row, the baseline row apart from the ranking, pseudonyms for whoever is not a mentor."""

from __future__ import annotations

import re
from datetime import timedelta

from django.test import Client
from django.utils import timezone
from leaderboards.services import update_entry
from platform_testkit import make_submission
from submissions.models import Status

BOARD = "/assignments/platform-smoke/leaderboard/"
PARTS = [
    {"name": "functions", "kind": "functions", "checks": [{"name": "add", "points": 50}]},
    {"name": "cnn", "kind": "model", "scoring": {"metric": "accuracy", "speed_points": 15}},
]


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def competition(assignment):  # type: ignore[no-untyped-def]
    from courses.models import Assignment

    names = {f.name for f in Assignment._meta.get_fields()}
    field = "parts" if "parts" in names else "scoring"
    Assignment.objects.filter(pk=assignment.pk).update(**{field: PARTS})
    assignment.refresh_from_db()
    return assignment


def enter(owner, assignment, score, accuracy, ips, minutes_ago=0):  # type: ignore[no-untyped-def]
    metrics = {"cnn/accuracy": accuracy, "cnn/throughput_ips": ips, "accuracy": accuracy}
    report = {"status": "scored", "score": score, "checks": [], "metrics": metrics}
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


def rows_of(page: str, board: str = "public-board") -> list[str]:
    table = page.split(f'data-board="{board}"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
        for row in body.split("</tr>")[:-1]
    ]


def test_columns_are_named_in_words_and_timing_waits_for_the_deadline(mentee_a, assignment):  # type: ignore[no-untyped-def]
    enter(mentee_a, competition(assignment), 80.0, 0.9123, 1234.0)
    page = logged_in(mentee_a).get(BOARD).content.decode()
    assert ">Accuracy<" in page and "0.9123" in page
    assert "Throughput" not in page and "1234" not in page  # before the deadline
    assignment.deadline = timezone.now() - timedelta(hours=1)
    assignment.save(update_fields=["deadline"])
    page = logged_in(mentee_a).get(BOARD).content.decode()
    assert "Throughput (images/s)" in page and "1,234" in page


def test_headings_sort_the_board_both_ways(mentee_a, mentee_b, mentor, assignment):  # type: ignore[no-untyped-def]
    board = competition(assignment)
    enter(mentee_a, board, 90.0, 0.91, 100.0)
    enter(mentee_b, board, 70.0, 0.95, 900.0)
    client = logged_in(mentor)
    by_rank = rows_of(client.get(BOARD).content.decode())
    assert by_rank[0].startswith("1 alice") and by_rank[1].startswith("2 bob")
    page = client.get(BOARD + "?sort=cnn/accuracy").content.decode()
    assert [r.split()[1] for r in rows_of(page)] == ["bob", "alice"]
    assert 'data-column="cnn/accuracy" aria-sort="descending"' in page
    assert "?sort=cnn%2Faccuracy&amp;order=asc" in page  # clicking again flips it
    page = client.get(BOARD + "?sort=cnn/accuracy&order=asc").content.decode()
    assert [r.split()[1] for r in rows_of(page)] == ["alice", "bob"]
    page = client.get(BOARD + "?sort=submitted&order=desc").content.decode()
    assert [r.split()[1] for r in rows_of(page)] == ["bob", "alice"]
    # An unknown column, or one a mentee may not read yet, leaves the rank order.
    mentee_page = logged_in(mentee_b).get(BOARD + "?sort=cnn/throughput_ips").content.decode()
    assert [r.split()[1] for r in rows_of(mentee_page)] == ["alice", "bob"]
    assert [r.split()[1] for r in rows_of(client.get(BOARD + "?sort=evil").content.decode())] == [
        "alice",
        "bob",
    ]


def test_the_viewers_row_is_marked_and_the_baseline_stands_apart(  # type: ignore[no-untyped-def]
    mentee_a, mentee_b, assignment
):
    from leaderboards.baselines import grade_baseline

    board = competition(assignment)
    enter(mentee_a, board, 90.0, 0.91, 100.0)
    enter(mentee_b, board, 60.0, 0.85, 100.0)
    _, baseline = grade_baseline(board)
    baseline.status, baseline.score = Status.SCORED, 75.0
    baseline.report = {
        "status": "scored",
        "score": 75.0,
        "checks": [],
        "metrics": {"cnn/accuracy": 0.888},
    }
    baseline.save()
    page = logged_in(mentee_b).get(BOARD).content.decode()
    rows = rows_of(page)
    assert rows[0].startswith("1 alice")
    assert rows[1].startswith("– Baseline (reference solution) baseline 75.00 0.8880")
    assert rows[2].startswith("2 bob you")
    assert page.count('<tr class="me">') == 1 and page.count("data-baseline") == 1


def test_a_course_with_pseudonyms_shows_no_username_but_to_mentors(  # type: ignore[no-untyped-def]
    mentee_a, mentee_b, mentor, assignment
):
    from leaderboards.pseudonyms import set_pseudonyms

    enter(mentee_a, assignment, 90.0, 0.9, 100.0)
    enter(mentee_b, assignment, 60.0, 0.8, 100.0)
    set_pseudonyms(assignment.week.course, True)
    for client in (Client(), logged_in(mentee_b)):
        page = client.get(BOARD).content.decode()
        names = [r.split(" ", 1)[1] for r in rows_of(page)]
        assert not any("alice" in n or "bob" in n for n in names), names
        assert "pseudonyms" in page
    assert "you" in rows_of(logged_in(mentee_b).get(BOARD).content.decode())[1]
    mentor_rows = rows_of(logged_in(mentor).get(BOARD).content.decode())
    assert mentor_rows[0].startswith("1 alice") and mentor_rows[1].startswith("2 bob")


def test_a_mentor_turns_pseudonyms_on_from_the_board_and_it_is_audited(  # type: ignore[no-untyped-def]
    mentee_a, mentor, assignment
):
    from courses.models import AuditEvent
    from leaderboards.pseudonyms import pseudonyms_on

    url = BOARD + "pseudonyms/"
    assert logged_in(mentee_a).post(url, {"pseudonyms": "1"}).status_code == 403
    assert not pseudonyms_on(assignment.week.course)
    client = logged_in(mentor)
    assert "Show pseudonyms to mentees" in client.get(BOARD).content.decode()
    response = client.post(url, {"pseudonyms": "1"})
    assert response.status_code == 302 and pseudonyms_on(assignment.week.course)
    page = client.get(response["Location"]).content.decode()
    assert "now show pseudonyms" in page and "Show usernames to mentees" in page
    event = AuditEvent.objects.get(field="board pseudonyms")
    assert (event.actor_name, event.old_value, event.new_value) == ("mira", "off", "on")
