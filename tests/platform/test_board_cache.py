"""Cached boards (``leaderboards.board_cache``): served from Redis between changes, and never
out of date after one, whatever changed and whoever looks.

Every test here runs with the production cache (Redis at ARENA_TEST_REDIS_URL); the rest of the
in-process suite runs with the database cache, under which boards are computed per request.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest
from courses.roles import MENTORS_GROUP
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from leaderboards.board_cache import caching_on, watched_models
from leaderboards.pseudonyms import set_pseudonyms
from leaderboards.services import leaderboard, update_entry
from platform_testkit import make_submission
from rest_framework.test import APIClient
from submissions.models import Status

REDIS = os.environ.get("ARENA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_cache(location: str) -> dict:
    return {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                        "LOCATION": location, "KEY_PREFIX": "arena-test-boards",
                        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2}}}


@pytest.fixture(autouse=True)
def _redis_cache(settings):  # type: ignore[no-untyped-def]
    settings.CACHES = redis_cache(REDIS)
    assert caching_on()


def scored(owner, assignment, score, **metrics):  # type: ignore[no-untyped-def]
    report = {"status": "scored", "score": score, "checks": [], "metrics": metrics, "logs": ""}
    submission = make_submission(owner, assignment, status=Status.SCORED, score=score,
                                 report=report)
    update_entry(assignment, owner)
    return submission


def entry_queries(assignment, viewer) -> int:  # type: ignore[no-untyped-def]
    """How many queries of the board's entries reading the public board ran."""
    with CaptureQueriesContext(connection) as queries:
        leaderboard(assignment, private=False, viewer=viewer)
    return sum("leaderboards_leaderboardentry" in q["sql"] for q in queries.captured_queries)


def names(assignment, viewer) -> list[tuple[str, float]]:  # type: ignore[no-untyped-def]
    return [(r["user"], r["score"]) for r in leaderboard(assignment, private=False,
                                                         viewer=viewer)]


def test_a_second_read_comes_from_the_cache_and_a_new_score_shows_at_once(  # type: ignore[no-untyped-def]
    mentee_a, mentee_b, assignment
):
    scored(mentee_a, assignment, 50.0)
    assert entry_queries(assignment, mentee_a) == 1
    assert entry_queries(assignment, mentee_a) == 0  # served from Redis
    scored(mentee_b, assignment, 70.0)
    assert names(assignment, mentee_a) == [("bob", 70.0), ("alice", 50.0)]
    scored(mentee_a, assignment, 90.0)
    assert names(assignment, mentee_a) == [("alice", 90.0), ("bob", 70.0)]


def test_each_viewer_sees_their_own_row_marked(mentee_a, mentee_b, assignment):  # type: ignore[no-untyped-def]
    scored(mentee_a, assignment, 50.0)
    scored(mentee_b, assignment, 70.0)
    mine = {}
    for viewer in (mentee_a, mentee_b, mentee_a):
        rows = leaderboard(assignment, private=False, viewer=viewer)
        mine[viewer.username] = [r["user"] for r in rows if r["mine"]]
    assert mine == {"alice": ["alice"], "bob": ["bob"]}


def test_pseudonyms_and_a_new_mentor_change_the_cached_board(  # type: ignore[no-untyped-def]
    mentee_a, mentee_b, mentor, assignment
):
    scored(mentee_a, assignment, 50.0)
    scored(mentee_b, assignment, 70.0)
    assert names(assignment, mentee_a) == [("bob", 70.0), ("alice", 50.0)]
    set_pseudonyms(assignment.week.course, True, actor=mentor)
    shown = [user for user, _ in names(assignment, mentee_a)]
    assert "alice" not in shown and "bob" not in shown and len(shown) == 2
    assert [user for user, _ in names(assignment, mentor)] == ["bob", "alice"]  # real names
    set_pseudonyms(assignment.week.course, False, actor=mentor)
    assert names(assignment, mentee_a) == [("bob", 70.0), ("alice", 50.0)]
    # A mentee made a mentor leaves the board (a many-to-many write, no save of the user).
    mentee_b.groups.add(Group.objects.get_or_create(name=MENTORS_GROUP)[0])
    assert names(assignment, mentee_a) == [("alice", 50.0)]


def test_a_rejudged_report_shows_its_new_metrics(mentee_a, assignment):  # type: ignore[no-untyped-def]
    submission = scored(mentee_a, assignment, 50.0, accuracy=0.5)
    assert leaderboard(assignment, private=False, viewer=mentee_a)[0]["metrics"]["accuracy"] == 0.5
    submission.report = {**submission.report, "metrics": {"accuracy": 0.75}}
    submission.save(update_fields=["report"])  # no entry change: the report alone
    assert leaderboard(assignment, private=False, viewer=mentee_a)[0]["metrics"]["accuracy"] == 0.75


def test_the_private_board_opens_when_the_deadline_passes_with_no_write_between(  # type: ignore[no-untyped-def]
    mentee_a, assignment
):
    scored(mentee_a, assignment, 90.0, public_score=90.0, private_score=40.0)
    assignment.private_revealed = True
    assignment.deadline = timezone.now() + timedelta(seconds=1.5)
    assignment.save(update_fields=["private_revealed", "deadline"])
    assert leaderboard(assignment, private=True, viewer=mentee_a) is None
    before = leaderboard(assignment, private=False, viewer=mentee_a)[0]["metrics"]
    assert "private_score" not in before
    time.sleep(2.0)  # only the clock moves: the viewer's rights are part of the key
    assert [(r["user"], r["score"]) for r in leaderboard(assignment, private=True,
                                                         viewer=mentee_a)] == [("alice", 40.0)]
    after = leaderboard(assignment, private=False, viewer=mentee_a)[0]["metrics"]
    assert after["private_score"] == 40.0  # revealed after the deadline, on both boards


def test_the_page_and_the_api_agree_after_a_change(mentee_a, mentee_b, assignment):  # type: ignore[no-untyped-def]
    scored(mentee_a, assignment, 50.0)
    client = APIClient()
    client.force_login(mentee_a)
    url = f"/assignments/{assignment.slug}/leaderboard/"
    first = client.get(url).content.decode()
    assert "alice" in first and "bob" not in first
    def tables(page: str) -> str:
        return page[page.index("<table"):page.rindex("</table>")]

    assert tables(client.get(url).content.decode()) == tables(first)  # the cached tables
    scored(mentee_b, assignment, 70.0)
    page = tables(client.get(url).content.decode())
    assert page.index("bob") < page.index("alice")
    api = client.get(f"/api/v1/assignments/{assignment.slug}/leaderboard/").json()
    assert [r["user"] for r in api["public"]] == ["bob", "alice"]
    ascending = tables(client.get(url + "?sort=score&order=asc").content.decode())
    assert ascending.index("alice") < ascending.index("bob")


def test_an_unreachable_cache_only_costs_speed(settings, mentee_a, assignment):  # type: ignore[no-untyped-def]
    settings.CACHES = redis_cache("redis://127.0.0.1:9/0")  # nothing listens on the discard port
    scored(mentee_a, assignment, 50.0)
    assert names(assignment, mentee_a) == [("alice", 50.0)]
    client = APIClient()
    client.force_login(mentee_a)
    assert client.get(f"/assignments/{assignment.slug}/leaderboard/").status_code == 200


def test_every_model_a_board_reads_is_watched() -> None:
    watched = set(watched_models())
    for label in ("leaderboards.LeaderboardEntry", "submissions.Submission", "courses.LateMark",
                  "courses.Assignment", "courses.Course", "auth.User"):
        assert label in watched, label


def test_the_apis_cached_body_is_each_viewers_own(mentee_a, mentee_b, mentor, assignment):  # type: ignore[no-untyped-def]
    scored(mentee_a, assignment, 50.0, public_score=50.0, private_score=30.0)
    scored(mentee_b, assignment, 70.0, public_score=70.0, private_score=20.0)
    url = f"/api/v1/assignments/{assignment.slug}/leaderboard/"
    seen = {}
    for viewer in (mentee_a, mentee_b, mentor, mentee_a, mentor):
        client = APIClient()
        client.force_authenticate(viewer)
        body = client.get(url).json()
        seen[viewer.username] = ([r["user"] for r in body["public"] if r["mine"]],
                                 body["private"] is None,
                                 "private_score" in body["public"][0]["metrics"])
    # Mentees: their own row, no private board or private values; the mentor: both.
    assert seen == {"alice": (["alice"], True, False), "bob": (["bob"], True, False),
                    "mira": ([], False, True)}
