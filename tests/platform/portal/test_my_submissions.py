"""'My submissions': only one's own rows, and a fragment that polls until every row is final."""

from __future__ import annotations

from django.test import Client
from platform_testkit import make_submission
from submissions.models import Status

ROWS = "/submissions/rows/"


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_it_lists_only_my_submissions(mentee_a, mentee_b, assignment):  # type: ignore[no-untyped-def]
    mine = make_submission(mentee_a, assignment, status=Status.SCORED, score=50.0)
    theirs = make_submission(mentee_b, assignment, status=Status.SCORED, score=99.0)
    page = logged_in(mentee_a).get("/submissions/").content.decode()
    assert f'id="submission-{mine.pk}"' in page
    assert f'id="submission-{theirs.pk}"' not in page


def test_the_fragment_polls_while_a_submission_is_not_final(mentee_a, assignment):  # type: ignore[no-untyped-def]
    make_submission(mentee_a, assignment, status=Status.SCORED, score=50.0)
    make_submission(mentee_a, assignment, status=Status.RUNNING)
    fragment = logged_in(mentee_a).get(ROWS).content.decode()
    assert fragment.startswith("<tbody")
    assert 'hx-trigger="every 2s"' in fragment and f'hx-get="{ROWS}"' in fragment
    assert 'data-status="running"' in fragment


def test_the_fragment_stops_polling_once_every_row_is_final(mentee_a, assignment):  # type: ignore[no-untyped-def]
    make_submission(mentee_a, assignment, status=Status.SCORED, score=50.0)
    make_submission(mentee_a, assignment, status=Status.REJECTED, error_kind="syntax")
    fragment = logged_in(mentee_a).get(ROWS).content.decode()
    assert "hx-trigger" not in fragment and "hx-get" not in fragment
    assert 'data-live="false"' in fragment


def test_the_page_can_be_narrowed_to_one_assignment(mentee_a, assignment, hidden_assignment):  # type: ignore[no-untyped-def]
    smoke = make_submission(mentee_a, assignment, status=Status.QUEUED)
    other = make_submission(mentee_a, hidden_assignment, status=Status.QUEUED)
    fragment = logged_in(mentee_a).get(f"{ROWS}?assignment=platform-smoke").content.decode()
    assert (
        f'id="submission-{smoke.pk}"' in fragment and f'id="submission-{other.pk}"' not in fragment
    )
    assert f'hx-get="{ROWS}?assignment=platform-smoke"' in fragment


def test_an_infrastructure_error_is_not_blamed_on_the_mentee(mentee_a, assignment):  # type: ignore[no-untyped-def]
    make_submission(mentee_a, assignment, status=Status.ERROR, error_kind="sandbox")
    fragment = logged_in(mentee_a).get(ROWS).content.decode()
    assert "grading error (not your fault)" in fragment


def test_a_poll_after_the_session_expired_sends_the_page_to_log_in(mentee_a, assignment):  # type: ignore[no-untyped-def]
    response = Client().get(
        ROWS,
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/submissions/?assignment=platform-smoke",
    )
    assert response.status_code == 200 and response.content == b""
    assert response["HX-Redirect"] == (
        "/accounts/login/?next=/submissions/%3Fassignment%3Dplatform-smoke"
    )
