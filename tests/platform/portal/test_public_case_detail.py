"""The result page details failed public cases (issue 12): inputs, expected against got, the
worst element, the errors and the bundle's hints, from the report's ``public_cases``; a report
with none shows no such section."""

from __future__ import annotations

import json

from django.test import Client
from platform_testkit import make_submission
from submissions.models import Status
from submissions.reports import parse_report

FAILED_CASE = {
    "check": "normalize_per_channel",
    "case": 1,
    "passed": False,
    "reason": "values",
    "summary": "the values differ from the expected ones",
    "inputs": ["arg 0: float32 [1, 3, 5, 7]"],
    "outputs": [
        {
            "index": 0,
            "expected": "float32 [1, 3, 5, 7]",
            "got": "float32 [1, 3, 5, 7]",
            "max_abs_error": 0.0479,
            "max_rel_error": 0.0144,
            "worst_index": [0, 1, 4, 5],
            "expected_at_worst": "3.325855",
            "got_at_worst": "3.277999",
            "expected_values": ["0.5", "-1.25"],
            "got_values": ["0.49", "-1.23"],
            "tolerance": "rtol 1e-05, atol 1e-05",
        }
    ],
    "hints": ["every value is off by sqrt((n-1)/n) <b>biased</b> vs unbiased?"],
}
PASSED_CASE = {**FAILED_CASE, "case": 0, "passed": True, "reason": "", "summary": "matches",
               "outputs": [], "hints": []}


def report_with(public_cases: list[dict]) -> dict:
    """A grader report as the worker stores it: through the grader's and the platform's parsers."""
    raw = {
        "status": "scored",
        "score": 80.0,
        "checks": [
            {"name": "normalize_per_channel", "passed": False, "points": 0.0, "max_points": 20.0,
             "message": "a hidden case's values differ from the expected ones"},
        ],
        "metrics": {},
        "error": None,
        "logs": "",
        "timings": {},
        "public_cases": public_cases,
    }
    return parse_report(json.dumps(raw)).data


def page_of(user, submission) -> str:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client.get(f"/submissions/{submission.pk}/").content.decode()


def test_a_failed_public_case_shows_expected_got_worst_element_and_hint(mentee_a, assignment):  # type: ignore[no-untyped-def]
    report = report_with([PASSED_CASE, FAILED_CASE])
    submission = make_submission(mentee_a, assignment, status=Status.SCORED, score=80.0,
                                 report=report)
    page = page_of(mentee_a, submission)
    assert "1 of 2 public cases match" in page
    assert "normalize_per_channel, public case 1: the values differ" in page
    assert "arg 0: float32 [1, 3, 5, 7]" in page
    assert "at [0, 1, 4, 5]: expected 3.325855, got 3.277999" in page
    assert "absolute 0.0479, relative 0.0144" in page
    assert "0.49, -1.23" in page
    # The hint is the bundle's text, escaped like everything else.
    assert "sqrt((n-1)/n) &lt;b&gt;biased&lt;/b&gt; vs unbiased?" in page
    assert "public case 0:" not in page  # a passed case is counted, not detailed


def test_the_api_returns_the_public_cases_too(mentee_a, assignment):  # type: ignore[no-untyped-def]
    submission = make_submission(mentee_a, assignment, status=Status.SCORED, score=80.0,
                                 report=report_with([FAILED_CASE]))
    client = Client()
    client.force_login(mentee_a)
    body = client.get(f"/api/v1/submissions/{submission.pk}/").json()
    assert body["public_cases"][0]["outputs"][0]["got_at_worst"] == "3.277999"


def test_a_report_without_public_cases_shows_no_section(mentee_a, assignment):  # type: ignore[no-untyped-def]
    submission = make_submission(mentee_a, assignment, status=Status.SCORED, score=80.0,
                                 report=report_with([]))
    assert "Public cases" not in page_of(mentee_a, submission)


def test_odd_entries_are_dropped_not_rendered(mentee_a, assignment):  # type: ignore[no-untyped-def]
    stored = report_with([FAILED_CASE])
    stored["public_cases"].append({"no": "check"})  # an older or odd stored report
    from submissions.public_cases import clean_public_cases

    assert len(clean_public_cases(stored["public_cases"])) == 1
