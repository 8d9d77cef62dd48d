"""The result page: checks, metrics, mentee-visible logs, the error, and who may see it."""

from __future__ import annotations

from django.test import Client
from platform_testkit import REFERENCE_SOLUTION, make_submission
from submissions.models import Status

CHECKS = [
    {"name": "add", "passed": True, "points": 50.0, "max_points": 50.0, "message": "all match"},
    {"name": "scale", "passed": False, "points": 0.0, "max_points": 50.0, "message": "case 1 off"},
]


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def scored(owner, assignment, **metrics):  # type: ignore[no-untyped-def]
    report = {
        "status": "scored",
        "score": 50.0,
        "checks": CHECKS,
        "metrics": {"accuracy": 0.9312, "params": 123456, **metrics},
        "error": None,
        "logs": "[public] add case 0: ok <b>not html</b>\n",
        "timings": {},
    }
    return make_submission(owner, assignment, status=Status.SCORED, score=50.0, report=report)


def test_it_shows_the_checks_metrics_and_logs(mentee_a, assignment):  # type: ignore[no-untyped-def]
    submission = scored(mentee_a, assignment)
    page = logged_in(mentee_a).get(f"/submissions/{submission.pk}/").content.decode()
    assert "50.0 / 100" in page
    assert '<tr class="fail">' in page and "case 1 off" in page and "0 / 50" in page
    assert "0.9312" in page and "123,456" in page
    assert "[public] add case 0: ok &lt;b&gt;not html&lt;/b&gt;" in page
    assert "hx-trigger" not in page  # final: nothing polls


def test_private_split_metrics_stay_hidden_from_mentees(mentee_a, mentor, assignment):  # type: ignore[no-untyped-def]
    submission = scored(mentee_a, assignment, private_score=88.8)
    assert "88.8" not in logged_in(mentee_a).get(f"/submissions/{submission.pk}/").content.decode()
    assert "88.8" in logged_in(mentor).get(f"/submissions/{submission.pk}/").content.decode()


def test_a_mentees_fault_shows_the_graders_message(mentee_a, assignment):  # type: ignore[no-untyped-def]
    submission = make_submission(
        mentee_a,
        assignment,
        status=Status.REJECTED,
        error_kind="syntax",
        error_message="Line 3 of submission.py is not valid Python.",
    )
    page = logged_in(mentee_a).get(f"/submissions/{submission.pk}/").content.decode()
    assert "<strong>syntax</strong>: Line 3 of submission.py is not valid Python." in page


def test_an_infrastructure_error_hides_its_details_from_the_mentee(mentee_a, mentor, assignment):  # type: ignore[no-untyped-def]
    submission = make_submission(
        mentee_a,
        assignment,
        status=Status.ERROR,
        error_kind="sandbox",
        error_message="bwrap: /var/lib/arena/secret-path failed",
    )
    mentee_page = logged_in(mentee_a).get(f"/submissions/{submission.pk}/").content.decode()
    assert "secret-path" not in mentee_page and "not your fault" in mentee_page
    assert "secret-path" in logged_in(mentor).get(f"/submissions/{submission.pk}/").content.decode()


def test_a_pending_result_polls_its_panel_until_final(mentee_a, assignment):  # type: ignore[no-untyped-def]
    submission = make_submission(mentee_a, assignment, status=Status.QUEUED)
    client = logged_in(mentee_a)
    page = client.get(f"/submissions/{submission.pk}/").content.decode()
    assert f'hx-get="/submissions/{submission.pk}/panel/"' in page
    submission.status = Status.SCORED
    submission.score = 100.0
    submission.save(update_fields=["status", "score"])
    panel = client.get(f"/submissions/{submission.pk}/panel/").content.decode()
    assert panel.startswith('<section id="result-panel"') and "hx-get" not in panel
    assert "100.0 / 100" in panel


def test_the_logs_and_the_code_download(mentee_a, assignment):  # type: ignore[no-untyped-def]
    submission = scored(mentee_a, assignment)
    client = logged_in(mentee_a)
    logs = client.get(f"/submissions/{submission.pk}/logs.txt")
    assert logs["Content-Type"].startswith("text/plain") and b"add case 0: ok" in logs.content
    code = client.get(f"/submissions/{submission.pk}/code/")
    assert code["Content-Type"] == "application/octet-stream"
    assert 'attachment; filename="submission.py"' == code["Content-Disposition"]
    assert b"".join(code.streaming_content) == REFERENCE_SOLUTION.read_bytes()


def test_another_mentee_gets_404_everywhere(mentee_a, mentee_b, assignment):  # type: ignore[no-untyped-def]
    submission = scored(mentee_a, assignment)
    client = logged_in(mentee_b)
    for suffix in ("", "panel/", "logs.txt", "code/"):
        assert client.get(f"/submissions/{submission.pk}/{suffix}").status_code == 404, suffix
    assert (
        client.post(f"/submissions/{submission.pk}/select/", {"selected": "1"}).status_code == 404
    )


def test_the_author_selects_a_scored_submission_for_the_private_board(mentee_a, assignment):  # type: ignore[no-untyped-def]
    submission = scored(mentee_a, assignment)
    client = logged_in(mentee_a)
    response = client.post(f"/submissions/{submission.pk}/select/", {"selected": "1"})
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.selected
    page = client.get(response["Location"]).content.decode()
    assert "selected for the private leaderboard" in page and "Remove from" in page


def test_selecting_beyond_the_limit_explains_why(mentee_a, assignment):  # type: ignore[no-untyped-def]
    first, second = scored(mentee_a, assignment), scored(mentee_a, assignment)
    client = logged_in(mentee_a)
    client.post(f"/submissions/{first.pk}/select/", {"selected": "1"})
    response = client.post(f"/submissions/{second.pk}/select/", {"selected": "1"}, follow=True)
    assert "You may select at most 1 submissions" in response.content.decode()
    second.refresh_from_db()
    assert not second.selected
