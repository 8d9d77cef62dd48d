"""Verdicts decided at upload: a syntax error, a path-traversal zip or a zip bomb is answered
`rejected` by the upload request itself (the grader's own intake, run in the web process with
its capped parse), without a grading message; the quota rule for rejected uploads holds (they
do not count), and a sound upload is still queued for the worker.

Through the real REST endpoint, in-process, on the real database.
"""

from __future__ import annotations

import io
import time
import zipfile

import pytest
from platform_testkit import REFERENCE_SOLUTION, UPLOADS
from rest_framework.test import APIClient
from submissions.models import GradingReport, Status, Submission
from submissions.services import quota_left


@pytest.fixture
def api(mentee_a):  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(mentee_a)
    return client


def zipped(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def upload(api, assignment, name: str, content: bytes, callbacks):  # type: ignore[no-untyped-def]
    started = time.monotonic()
    with callbacks(execute=False) as sent:
        response = api.post(
            f"/api/v1/assignments/{assignment.slug}/submissions/",
            {"file": _named(name, content)},
            format="multipart",
        )
    print(f"{name}: answered {response.status_code} in {time.monotonic() - started:.2f} s")
    assert response.status_code == 201, response.content
    return response.json(), len(sent)


def _named(name: str, content: bytes):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


CASES = {
    "syntax": ("submission.py", (UPLOADS / "syntax_error.py").read_bytes()),
    "invalid_archive": ("escape.zip", zipped({"../../etc/cron.d/x.py": b"x = 1\n"})),
    "zip_bomb": (
        "bomb.zip",
        zipped({"submission.py": REFERENCE_SOLUTION.read_bytes(), "data.bin": bytes(40 << 20)}),
    ),
    "missing_entry": ("other.zip", zipped({"helper.py": b"x = 1\n"})),
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_it_rejects_at_upload_what_intake_refuses(  # type: ignore[no-untyped-def]
    api, assignment, mentee_a, kind, django_capture_on_commit_callbacks
):
    name, content = CASES[kind]
    before = quota_left(mentee_a, assignment)
    answer, messages = upload(api, assignment, name, content, django_capture_on_commit_callbacks)
    assert answer["status"] == "rejected"
    assert messages == 0  # nothing for a worker to do
    detail = api.get(f"/api/v1/submissions/{answer['id']}/").json()
    assert detail["status"] == "rejected" and detail["error"]["kind"] == kind
    assert detail["error"]["message"]  # one sentence for the mentee
    assert detail["queue"] is None and detail["finished_at"] is not None
    (judging,) = GradingReport.objects.filter(submission_id=answer["id"])
    assert (judging.origin, judging.status, judging.error_kind) == ("upload", "rejected", kind)
    assert quota_left(mentee_a, assignment) == before  # rejected uploads stay free


def test_a_sound_upload_is_still_queued_for_the_worker(  # type: ignore[no-untyped-def]
    api, assignment, django_capture_on_commit_callbacks
):
    answer, messages = upload(
        api,
        assignment,
        "submission.py",
        REFERENCE_SOLUTION.read_bytes(),
        django_capture_on_commit_callbacks,
    )
    assert answer["status"] == "queued" and messages == 1
    row = Submission.objects.get(pk=answer["id"])
    assert (row.status, row.queue) == (Status.QUEUED, "cpu")
    assert not GradingReport.objects.filter(submission=row).exists()


def test_a_rejected_upload_shows_its_verdict_on_the_result_page(  # type: ignore[no-untyped-def]
    api, assignment, mentee_a, client, django_capture_on_commit_callbacks
):
    name, content = CASES["syntax"]
    answer, _ = upload(api, assignment, name, content, django_capture_on_commit_callbacks)
    client.force_login(mentee_a)
    page = client.get(f"/submissions/{answer['id']}/").content.decode()
    assert 'data-status="rejected"' in page and "syntax" in page


def test_the_portal_form_sends_a_rejected_upload_to_its_verdict(  # type: ignore[no-untyped-def]
    assignment, mentee_a, client
):
    name, content = CASES["syntax"]
    client.force_login(mentee_a)
    response = client.post(
        f"/assignments/{assignment.slug}/submit/", {"file": _named(name, content)}, follow=True
    )
    (row,) = Submission.objects.filter(owner=mentee_a)
    assert response.redirect_chain[-1][0] == f"/submissions/{row.pk}/"
    page = response.content.decode()
    assert f"Submission #{row.pk} was rejected" in page and "queued for grading" not in page
