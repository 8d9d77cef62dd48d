"""Hidden-stage logs: kept apart in the report for mentors (the dashboard shows them), never on
any page, fragment, download or API answer a mentee reads."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.test import Client
from platform_testkit import make_submission
from rest_framework.test import APIClient
from submissions.grader_subprocess import run_grader
from submissions.models import Status, Submission
from submissions.reports import parse_report

HIDDEN_PRINT = "HIDDEN-INPUT 0.1234 0.5678"
CHATTY = """import torch


def add(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    print("CHATTY", tuple(a.shape), flush=True)
    return a + b


def scale(x: torch.Tensor, factor: float) -> torch.Tensor:
    return x * factor
"""


def as_client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def graded_with_hidden_logs(mentee_a, assignment):  # type: ignore[no-untyped-def]
    """A scored run as the worker stores it, whose hidden stage printed a hidden input."""
    report = {
        "status": "scored",
        "score": 100.0,
        "checks": [],
        "metrics": {},
        "error": None,
        "logs": "--- public stage output ---\npublic line\n",
        "timings": {},
        "hidden_logs": f"--- hidden stage output ---\n{HIDDEN_PRINT}\n",
    }
    return make_submission(mentee_a, assignment, status=Status.SCORED, score=100.0, report=report)


def test_mentors_read_the_hidden_stage_logs_on_the_dashboard(mentor, graded_with_hidden_logs):  # type: ignore[no-untyped-def]
    pk = graded_with_hidden_logs.pk
    page = as_client(mentor).get(f"/dashboard/submissions/{pk}/hidden-logs/").content.decode()
    assert HIDDEN_PRINT in page and "data-hidden-logs" in page


def test_no_mentee_page_or_api_answer_shows_the_hidden_stage_logs(  # type: ignore[no-untyped-def]
    mentee_a, graded_with_hidden_logs
):
    pk = graded_with_hidden_logs.pk
    owner = as_client(mentee_a)
    for url in (f"/submissions/{pk}/", f"/submissions/{pk}/panel/", f"/submissions/{pk}/logs.txt"):
        response = owner.get(url)
        assert response.status_code == 200, url
        assert "HIDDEN-INPUT" not in response.content.decode(), url
    api = APIClient()
    api.force_authenticate(mentee_a)
    answer = api.get(f"/api/v1/submissions/{pk}/")
    assert answer.status_code == 200 and "HIDDEN-INPUT" not in answer.content.decode()
    assert owner.get(f"/dashboard/submissions/{pk}/hidden-logs/").status_code == 403


@pytest.mark.slow
@pytest.mark.bwrap
def test_the_worker_keeps_the_hidden_stage_output_apart_from_the_mentees_logs(  # type: ignore[no-untyped-def]
    mentee_a, assignment, settings, tmp_path: Path
):
    """The real grader in bubblewrap, called as the worker calls it."""
    from django.core.files.base import ContentFile

    settings.ARENA_SANDBOX = "bwrap"
    content = CHATTY.encode()
    submission = Submission(
        owner=mentee_a,
        assignment=assignment,
        sha256=hashlib.sha256(content).hexdigest(),
        original_filename="chatty.py",
        size_bytes=len(content),
    )
    submission.file.save("chatty.py", ContentFile(content), save=False)
    submission.save()

    run = run_grader(submission, keep_alive=lambda: True)
    assert run.exit_code == 0, run.stderr[-2000:]
    parsed = parse_report(run.stdout)
    assert parsed.status == "scored", parsed.data["error"]
    assert "hidden stage output" in parsed.data["hidden_logs"]
    assert parsed.data["hidden_logs"].count("CHATTY") >= 1
    assert "hidden stage output" not in parsed.data["logs"]
    assert parsed.data["logs"].count("CHATTY") == 3  # the three public cases only
