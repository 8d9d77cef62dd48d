"""Uploads: size, format and quota checked at once; the row is enqueued only after commit."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from platform_testkit import REFERENCE_SOLUTION, make_submission
from submissions.models import Status, Submission
from submissions.services import SubmissionRefused, create_submission


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def test_it_stores_the_file_under_its_sha256_and_enqueues_after_commit(  # type: ignore[no-untyped-def]
    mentee_a, assignment, settings, django_capture_on_commit_callbacks
):
    content = REFERENCE_SOLUTION.read_bytes()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submission = create_submission(mentee_a, assignment, upload("my_solution.py", content))
    assert len(callbacks) == 1
    digest = hashlib.sha256(content).hexdigest()
    assert submission.status == Status.QUEUED and submission.sha256 == digest
    assert submission.original_filename == "my_solution.py"
    stored = settings.ARENA_UPLOADS_DIR / digest[:2] / f"{digest}.py"
    assert stored.read_bytes() == content


def test_two_identical_uploads_share_one_file(mentee_a, mentee_b, assignment, settings):  # type: ignore[no-untyped-def]
    content = REFERENCE_SOLUTION.read_bytes()
    first = create_submission(mentee_a, assignment, upload("a.py", content))
    second = create_submission(mentee_b, assignment, upload("b.py", content))
    assert first.file.name == second.file.name
    assert len(list(settings.ARENA_UPLOADS_DIR.rglob("*.py"))) == 1


def notebook() -> bytes:
    return json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()


def a_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("submission.py", REFERENCE_SOLUTION.read_text())
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content"),
    [("solution.py", b"x = 1\n"), ("work.ipynb", notebook()), ("bundle.zip", a_zip())],
)
def test_it_accepts_the_three_formats(mentee_a, assignment, name, content):  # type: ignore[no-untyped-def]
    assert create_submission(mentee_a, assignment, upload(name, content)).pk


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("weights.pt", b"\x80\x04", "not a .py, .zip or .ipynb"),
        ("fake.zip", b"print('hello')\n", "not a zip archive"),
        ("latin.py", "caf\xe9 = 1\n".encode("latin-1"), "not UTF-8"),
        ("broken.ipynb", b"{not json", "not a Jupyter notebook"),
        ("empty.py", b"", "empty"),
        ("huge.py", b"#" * (1024 * 1024 + 1), "at most 1 MB"),
    ],
)
def test_it_refuses_a_bad_upload_at_once(mentee_a, assignment, name, content, message):  # type: ignore[no-untyped-def]
    with pytest.raises(SubmissionRefused, match=message) as refused:
        create_submission(mentee_a, assignment, upload(name, content))
    assert refused.value.http_status == 400
    assert not Submission.objects.exists()


def test_it_refuses_over_the_daily_quota_with_429(mentee_a, assignment):  # type: ignore[no-untyped-def]
    assignment.daily_quota = 2
    assignment.save(update_fields=["daily_quota"])
    for _ in range(2):
        make_submission(mentee_a, assignment)
    with pytest.raises(SubmissionRefused, match="all 2 submissions allowed in 24 hours") as refused:
        create_submission(mentee_a, assignment, upload("again.py", b"x = 1\n"))
    assert refused.value.http_status == 429


def test_the_quota_ignores_old_rejected_and_error_submissions(mentee_a, assignment):  # type: ignore[no-untyped-def]
    assignment.daily_quota = 1
    assignment.save(update_fields=["daily_quota"])
    make_submission(mentee_a, assignment, created_at=timezone.now() - timedelta(days=1, minutes=1))
    make_submission(mentee_a, assignment, status=Status.REJECTED)
    make_submission(mentee_a, assignment, status=Status.ERROR)
    assert create_submission(mentee_a, assignment, upload("ok.py", b"x = 1\n")).pk


def test_mentors_have_no_quota(mentor, assignment):  # type: ignore[no-untyped-def]
    assignment.daily_quota = 1
    assignment.save(update_fields=["daily_quota"])
    make_submission(mentor, assignment)
    assert create_submission(mentor, assignment, upload("again.py", b"x = 1\n")).pk


def test_it_refuses_after_the_deadline_and_before_opening(mentee_a, assignment):  # type: ignore[no-untyped-def]
    assignment.deadline = timezone.now() - timedelta(minutes=1)
    assignment.save(update_fields=["deadline"])
    with pytest.raises(SubmissionRefused, match="deadline"):
        create_submission(mentee_a, assignment, upload("late.py", b"x = 1\n"))
    assignment.deadline, assignment.opens_at = None, timezone.now() + timedelta(days=1)
    assignment.save(update_fields=["deadline", "opens_at"])
    with pytest.raises(SubmissionRefused, match="opens on"):
        create_submission(mentee_a, assignment, upload("early.py", b"x = 1\n"))


def test_the_api_answers_a_refusal_with_its_detail(mentee_a, assignment):  # type: ignore[no-untyped-def]
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(mentee_a)
    url = f"/api/v1/assignments/{assignment.slug}/submissions/"
    response = client.post(url, {"file": upload("model.pt", b"abc")}, format="multipart")
    assert response.status_code == 400
    assert "not a .py, .zip or .ipynb" in response.json()["detail"]
    assert client.post(url, {}, format="multipart").json()["detail"].startswith("Send the file")
