"""What a submission's page tells whom: the contract's fields, nothing from the private split
before the reveal, and infrastructure details only to mentors."""

from __future__ import annotations

from platform_testkit import make_submission
from rest_framework.test import APIClient
from submissions.models import Status

CONTRACT_FIELDS = {
    "id",
    "assignment",
    "status",
    "score",
    "metrics",
    "checks",
    "error",
    "created_at",
    "finished_at",
}


def view(user, submission) -> dict:  # type: ignore[no-untyped-def,type-arg]
    client = APIClient()
    client.force_authenticate(user)
    return client.get(f"/api/v1/submissions/{submission.pk}/").json()


def test_it_has_the_contract_fields_and_hides_private_metrics(mentee_a, mentor, assignment):  # type: ignore[no-untyped-def]
    report = {
        "metrics": {"accuracy": 0.91, "public_score": 91.0, "private_score": 88.0},
        "checks": [],
    }
    submission = make_submission(
        mentee_a, assignment, status=Status.SCORED, score=91.0, report=report
    )
    body = view(mentee_a, submission)
    assert CONTRACT_FIELDS <= set(body)
    assert body["metrics"] == {"accuracy": 0.91, "public_score": 91.0}
    assert view(mentor, submission)["metrics"]["private_score"] == 88.0


def test_infrastructure_details_are_for_mentors_only(mentee_a, mentor, assignment):  # type: ignore[no-untyped-def]
    submission = make_submission(
        mentee_a,
        assignment,
        status=Status.ERROR,
        error_kind="sandbox",
        error_message="bwrap: /var/lib/arena/hidden/... permission denied",
    )
    mentee_error = view(mentee_a, submission)["error"]
    assert mentee_error["kind"] == "sandbox" and "/var/lib" not in mentee_error["message"]
    assert "not your fault" in mentee_error["message"]
    assert "permission denied" in view(mentor, submission)["error"]["message"]


def test_the_mentees_own_mistake_is_shown_as_the_grader_wrote_it(mentee_a, assignment):  # type: ignore[no-untyped-def]
    message = "submission.py line 1 has a syntax error: expected ':'."
    submission = make_submission(
        mentee_a, assignment, status=Status.REJECTED, error_kind="syntax", error_message=message
    )
    assert view(mentee_a, submission)["error"] == {"kind": "syntax", "message": message}
