"""The assignment page: statement, scoring, limits, starter download, and the upload form's
answers for a good file and for each kind of refusal."""

from __future__ import annotations

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from platform_testkit import REFERENCE_SOLUTION, make_submission
from submissions.models import Status, Submission

PAGE = "/assignments/platform-smoke/"
SUBMIT = "/assignments/platform-smoke/submit/"


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def test_the_statement_is_rendered_from_markdown(assignment):  # type: ignore[no-untyped-def]
    page = Client().get(PAGE).content.decode()
    assert "<h1" in page and "Platform smoke test" in page
    assert "<code>add(a, b)</code>" in page


def test_the_statement_is_sanitized(assignment):  # type: ignore[no-untyped-def]
    assignment.statement = (
        "Hi <script>alert(1)</script> [x](javascript:alert(2)) <b onclick=x>b</b>"
    )
    assignment.save(update_fields=["statement"])
    page = Client().get(PAGE).content.decode()
    assert "alert(1)" not in page and "javascript:" not in page and "onclick" not in page
    assert "<b>b</b>" in page


def test_the_page_says_how_it_is_scored_and_what_the_limits_are(assignment):  # type: ignore[no-untyped-def]
    page = Client().get(PAGE).content.decode()
    assert "add: every hidden case matches the reference (rtol 1e-06, atol 1e-06)" in page
    assert "Wall-clock time" in page and "60 s" in page
    assert "Memory" in page and "1024 MB" in page
    assert "Submissions per 24 hours" in page


def test_the_starter_download_is_a_zip_without_the_solution(assignment):  # type: ignore[no-untyped-def]
    response = Client().get("/assignments/platform-smoke/starter.zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert "platform-smoke/submission.py" in names
    assert not [n for n in names if "solution" in n]


def test_anonymous_visitors_are_asked_to_log_in(assignment):  # type: ignore[no-untyped-def]
    assert "to submit." in Client().get(PAGE).content.decode()
    response = Client().post(SUBMIT, {"file": upload("s.py", b"x = 1\n")})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not Submission.objects.exists()


def test_a_good_upload_creates_a_queued_submission_and_shows_my_submissions(  # type: ignore[no-untyped-def]
    mentee_a, assignment
):
    client = logged_in(mentee_a)
    response = client.post(
        SUBMIT, {"file": upload("submission.py", REFERENCE_SOLUTION.read_bytes())}
    )
    submission = Submission.objects.get()
    assert (submission.owner, submission.status) == (mentee_a, Status.QUEUED)
    assert response.status_code == 302
    assert response["Location"] == "/submissions/?assignment=platform-smoke"
    page = client.get(response["Location"]).content.decode()
    assert f"Submission #{submission.pk} received" in page


def test_a_wrong_format_is_refused_with_a_clear_message(mentee_a, assignment):  # type: ignore[no-untyped-def]
    response = logged_in(mentee_a).post(SUBMIT, {"file": upload("model.pkl", b"\x80\x04")})
    assert response.status_code == 400
    assert "is not a .py, .zip or .ipynb file" in response.content.decode()
    assert not Submission.objects.exists()


def test_a_fake_zip_is_refused(mentee_a, assignment):  # type: ignore[no-untyped-def]
    response = logged_in(mentee_a).post(SUBMIT, {"file": upload("work.zip", b"not a zip")})
    assert response.status_code == 400
    assert "not a zip archive" in response.content.decode()


def test_a_file_over_the_size_limit_is_refused(mentee_a, assignment):  # type: ignore[no-untyped-def]
    too_big = b"#" * (assignment.max_upload_bytes + 1)
    response = logged_in(mentee_a).post(SUBMIT, {"file": upload("big.py", too_big)})
    assert response.status_code == 400
    assert "this assignment accepts at most 1 MB" in response.content.decode()


def test_a_missing_file_is_refused(mentee_a, assignment):  # type: ignore[no-untyped-def]
    response = logged_in(mentee_a).post(SUBMIT, {})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_an_exhausted_quota_is_refused_with_the_next_possible_time(mentee_a, assignment):  # type: ignore[no-untyped-def]
    assignment.daily_quota = 2
    assignment.save(update_fields=["daily_quota"])
    for _ in range(2):
        make_submission(mentee_a, assignment, status=Status.SCORED, score=10.0)
    client = logged_in(mentee_a)
    assert "0 of 2 submissions left" in client.get(PAGE).content.decode()
    response = client.post(SUBMIT, {"file": upload("s.py", b"x = 1\n")})
    assert response.status_code == 429
    assert "You have used all 2 submissions allowed in 24 hours" in response.content.decode()
    assert Submission.objects.count() == 2


def test_the_form_requires_a_csrf_token(mentee_a, assignment):  # type: ignore[no-untyped-def]
    client = Client(enforce_csrf_checks=True)
    client.force_login(mentee_a)
    response = client.post(SUBMIT, {"file": upload("s.py", b"x = 1\n")})
    assert response.status_code == 403
    assert not Submission.objects.exists()


def test_after_the_deadline_the_form_gives_way_to_a_notice(mentee_a, assignment):  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from django.utils import timezone

    assignment.deadline = timezone.now() - timedelta(minutes=5)
    assignment.save(update_fields=["deadline"])
    client = logged_in(mentee_a)
    page = client.get(PAGE).content.decode()
    assert "The deadline has passed" in page and "Submit for grading" not in page
    response = client.post(SUBMIT, {"file": upload("s.py", b"x = 1\n")})
    assert response.status_code == 400 and "The deadline of" in response.content.decode()
