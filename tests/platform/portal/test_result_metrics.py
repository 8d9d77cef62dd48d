"""Result pages name each metric once, in words, with the scored number (issue 12), and an
infrastructure error tells the mentee only that the platform failed and the quota is back."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from django.test import Client
from django.utils import timezone
from platform_testkit import PLATFORM_TESTS, make_submission
from submissions.models import Status
from submissions.reports import parse_report

REPORTS = PLATFORM_TESTS / "reports"


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def real(name: str, owner, assignment):  # type: ignore[no-untyped-def]
    data = parse_report((REPORTS / f"{name}.json").read_text()).data
    return make_submission(
        owner, assignment, status=Status.SCORED, score=data["score"], report=data
    ), data


def shown_metrics(page: str) -> dict[str, str]:
    """``{metric key: the value cell's text}`` of a result page."""
    rows = re.findall(r'<tr data-metric="([^"]+)"[^>]*>(.*?)</tr>', page, flags=re.DOTALL)
    return {
        key: re.sub(r"<[^>]+>", "", row.split("<td", 1)[1].split(">", 1)[1]).strip()
        for key, row in rows
    }


def test_week5s_mean_iou_is_shown_once_per_part_and_matches_its_check(mentee_a, assignment):  # type: ignore[no-untyped-def]
    submission, data = real("week5-transfer", mentee_a, assignment)
    page = logged_in(mentee_a).get(f"/submissions/{submission.pk}/").content.decode()
    shown = shown_metrics(page)
    assert len(shown) == len(set(shown)) and "mean_iou" not in shown  # no top-level copy
    checked = next(c for c in data["checks"] if c["name"] == "boxes/mean_iou")
    number = re.search(r"mean_iou (\d\.\d{4})", checked["message"]).group(1)
    assert shown["boxes/mean_iou"] == number  # the scored value is the value shown
    assert "Mean IoU" in page and "Localization accuracy" in page
    assert re.search(r'data-metric="boxes/mean_iou" class="scored-metric"', page)


def test_week4s_65_raw_keys_become_one_row_per_figure_in_words(mentee_a, mentor, assignment):  # type: ignore[no-untyped-def]
    assignment.deadline = timezone.now() + timedelta(days=1)
    assignment.save(update_fields=["deadline"])
    submission, data = real("week4-architectures", mentee_a, assignment)
    assert len(data["metrics"]) >= 60
    mentee = shown_metrics(
        logged_in(mentee_a).get(f"/submissions/{submission.pk}/").content.decode()
    )
    assert all("/" in key for key in mentee)  # each figure under its part, never twice
    assert not any(
        k.rsplit("/", 1)[-1].startswith(("throughput", "latency", "train_s", "timed"))
        for k in mentee
    )  # timing waits for the deadline, counts are mentors'
    assert mentee["train_alexnet/accuracy"] == f"{data['metrics']['train_alexnet/accuracy']:.4f}"
    assert mentee["train_alexnet/params"] == f"{data['metrics']['train_alexnet/params']:,}"
    mentor_page = logged_in(mentor).get(f"/submissions/{submission.pk}/").content.decode()
    shown = shown_metrics(mentor_page)
    assert len(shown) < len(data["metrics"]) and "train_alexnet/timed_queries" in shown
    assert "Training images seen" in mentor_page and "Median latency" in mentor_page


def test_an_error_run_tells_the_mentee_the_platform_failed_and_nothing_else(  # type: ignore[no-untyped-def]
    mentee_a, mentor, assignment
):
    from submissions.services import quota_left

    full = quota_left(mentee_a, assignment)
    detail = "bwrap: /srv/arena/var/hidden/ab12cd34ef: run scripts/install_system_deps.sh"
    submission = make_submission(
        mentee_a,
        assignment,
        status=Status.ERROR,
        error_kind="sandbox",
        error_message=detail,
        report={
            "status": "error",
            "score": None,
            "checks": [],
            "metrics": {},
            "error": {"kind": "sandbox", "message": detail},
            "logs": "--- public stage output ---\nbwrap: /srv/arena/secret: no such file\n",
        },
    )
    client = logged_in(mentee_a)
    page = client.get(f"/submissions/{submission.pk}/").content.decode()
    for leak in ("/srv/arena", "ab12cd34ef", "install_system_deps", "bwrap"):
        assert leak not in page, leak
    assert "The platform failed" in page and "quota is refunded" in page
    assert "mentors have been told" in page
    assert b"/srv/arena" not in client.get(f"/submissions/{submission.pk}/logs.txt").content
    # The refund is real: an error run does not count against the daily quota.
    assert quota_left(mentee_a, assignment) == full
    # Mentors read the detail and the logs.
    mentor_client = logged_in(mentor)
    mentor_page = mentor_client.get(f"/submissions/{submission.pk}/").content.decode()
    assert detail in mentor_page and "/srv/arena/secret" in mentor_page
    assert (
        b"/srv/arena/secret" in mentor_client.get(f"/submissions/{submission.pk}/logs.txt").content
    )


def test_the_api_withholds_an_error_runs_logs_from_the_mentee(mentee_a, mentor, assignment):  # type: ignore[no-untyped-def]
    from rest_framework.test import APIClient

    submission = make_submission(
        mentee_a,
        assignment,
        status=Status.ERROR,
        error_kind="internal",
        error_message="Traceback in /opt/arena/grader/grading.py",
        report={"status": "error", "logs": "/opt/arena/grader/grading.py line 3"},
    )
    api = APIClient()
    api.force_authenticate(mentee_a)
    body = api.get(f"/api/v1/submissions/{submission.pk}/").json()
    assert "/opt/arena" not in json.dumps(body) and body["logs"] == ""
    api.force_authenticate(mentor)
    assert "/opt/arena" in api.get(f"/api/v1/submissions/{submission.pk}/").json()["logs"]
