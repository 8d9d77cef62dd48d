"""Mentor views: the progress grid, an assignment's charts, code similarity (copydetect), and
every mentor page closed to mentees and anonymous visitors."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from courses.models import LateMark
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from leaderboards.services import update_entry
from submissions.models import Status, Submission
from submissions.services import create_submission

ORIGINAL = """import torch


def normalize(images: torch.Tensor) -> torch.Tensor:
    mean = images.mean(dim=(0, 2, 3), keepdim=True)
    std = images.std(dim=(0, 2, 3), keepdim=True)
    return (images - mean) / (std + 1e-8)


def one_hot(labels: torch.Tensor, classes: int) -> torch.Tensor:
    out = torch.zeros(labels.shape[0], classes)
    for row, label in enumerate(labels.tolist()):
        out[row, label] = 1.0
    return out


def top_k_accuracy(logits: torch.Tensor, labels: torch.Tensor, k: int) -> float:
    best = logits.topk(k, dim=1).indices
    hits = (best == labels.unsqueeze(1)).any(dim=1)
    return hits.float().mean().item()
"""
# The same code with every name changed, comments added and the blank lines moved.
RENAMED_COPY = """import torch

def normalize(batch: torch.Tensor) -> torch.Tensor:
    # per-channel statistics
    mu = batch.mean(dim=(0, 2, 3), keepdim=True)
    sigma = batch.std(dim=(0, 2, 3), keepdim=True)
    return (batch - mu) / (sigma + 1e-8)

def one_hot(targets: torch.Tensor, n: int) -> torch.Tensor:
    result = torch.zeros(targets.shape[0], n)
    for i, t in enumerate(targets.tolist()):
        result[i, t] = 1.0
    return result

def top_k_accuracy(scores: torch.Tensor, y: torch.Tensor, k: int) -> float:
    picked = scores.topk(k, dim=1).indices
    correct = (picked == y.unsqueeze(1)).any(dim=1)
    return correct.float().mean().item()
"""
INDEPENDENT = """import torch


def normalize(x):
    channels = x.transpose(0, 1).reshape(x.shape[1], -1)
    m = channels.mean(1).view(1, -1, 1, 1)
    s = channels.std(1).view(1, -1, 1, 1)
    return (x - m) / (s + 1e-8)


def one_hot(labels, classes):
    return torch.nn.functional.one_hot(labels.long(), num_classes=classes).float()


def top_k_accuracy(logits, labels, k):
    order = torch.argsort(logits, dim=1, descending=True)[:, :k]
    total = 0
    for row in range(labels.numel()):
        if int(labels[row]) in order[row].tolist():
            total += 1
    return total / max(1, labels.numel())
"""


def as_client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def submit(user, assignment, code: str = ORIGINAL, score: float | None = None) -> Submission:  # type: ignore[no-untyped-def]
    submission = create_submission(
        user, assignment, SimpleUploadedFile("submission.py", code.encode())
    )
    if score is not None:
        submission.status, submission.score = Status.SCORED, score
        submission.report = {"status": "scored", "score": score, "metrics": {}, "checks": []}
        submission.save()
        update_entry(assignment, user)
    return submission


@pytest.fixture
def mentee_c(db):  # type: ignore[no-untyped-def]
    return User.objects.create_user("carol", password="carol-pass-1")


def test_the_progress_grid_shows_best_score_attempts_last_activity_and_late(  # type: ignore[no-untyped-def]
    mentor, mentee_a, mentee_b, assignment
):
    submit(mentee_a, assignment, score=60.0)
    best = submit(mentee_a, assignment, INDEPENDENT, score=90.0)
    assignment.deadline = timezone.now() - timedelta(hours=3)
    assignment.late_policy, assignment.late_penalty_percent = "penalty", 50.0
    assignment.save(update_fields=["deadline", "late_policy", "late_penalty_percent"])
    late = submit(mentee_a, assignment, RENAMED_COPY, score=100.0)  # 50 after its penalty
    assert LateMark.objects.get(submission=late).days_late == 1

    page = as_client(mentor).get("/dashboard/progress/").content.decode()
    alice = re.search(r'data-cell="alice:1"[^>]*', page).group(0)
    assert 'data-best="90.00"' in alice and 'data-attempts="3"' in alice
    assert 'data-late="1"' in alice
    assert f"{late.created_at:%b} {late.created_at.day} {late.created_at:%H:%M}" in page
    bob = re.search(r'data-cell="bob:1"[^>]*', page).group(0)
    assert 'data-attempts="0"' in bob and 'data-best=""' in bob
    assert best.pk  # the on-time 90 beats the late 100 (50 after the penalty)


def test_the_assignment_page_charts_scores_and_uploads_per_day(  # type: ignore[no-untyped-def]
    mentor, mentee_a, mentee_b, assignment
):
    submit(mentee_a, assignment, score=95.0)
    submit(mentee_b, assignment, score=42.0)
    submit(mentee_b, assignment, score=12.0)
    page = as_client(mentor).get(f"/dashboard/assignments/{assignment.slug}/").content.decode()
    bins = dict(re.findall(r'data-bin="([^"]+)">(\d+)<', page))
    assert (bins["90–100"], bins["40–50"], bins["10–20"], bins["0–10"]) == ("1", "1", "0", "0")
    today = timezone.now().date().isoformat()
    assert re.search(rf'data-day="{today}"><td>{today}</td><td class="num">3<', page)


def test_similarity_finds_a_renamed_copy_and_not_an_independent_solution(  # type: ignore[no-untyped-def]
    mentor, mentee_a, mentee_b, mentee_c, assignment
):
    original = submit(mentee_a, assignment, ORIGINAL)
    copy = submit(mentee_b, assignment, RENAMED_COPY)
    submit(mentee_c, assignment, INDEPENDENT)
    submit(mentor, assignment, ORIGINAL)  # a mentor's run (the baseline, say) is no mentee's
    response = as_client(mentor).post(
        f"/dashboard/assignments/{assignment.slug}/similarity/", {"threshold": "0.5"}
    )
    page = response.content.decode()
    pairs = re.findall(r'data-pair="([^"]+)"', page)
    assert pairs == ["alice:bob"]
    assert re.search(r'data-similarity="(0\.9\d|1\.00)"', page)
    link = f"/dashboard/similarity/{original.pk}/{copy.pk}/"
    assert link in page

    side = as_client(mentor).get(link).content.decode()
    assert "<mark>" in side and "mu = batch.mean" in side


def test_the_side_by_side_view_escapes_the_mentees_code(mentor, mentee_a, mentee_b, assignment):  # type: ignore[no-untyped-def]
    hostile = ORIGINAL + '\nBANNER = "<script>alert(1)</script>"\n'
    left = submit(mentee_a, assignment, hostile)
    right = submit(mentee_b, assignment, hostile)
    side = as_client(mentor).get(f"/dashboard/similarity/{left.pk}/{right.pk}/").content.decode()
    assert "<script>alert(1)" not in side and "&lt;script&gt;" in side


def test_a_bad_similarity_threshold_gets_a_clear_error(mentor, assignment):  # type: ignore[no-untyped-def]
    response = as_client(mentor).post(
        f"/dashboard/assignments/{assignment.slug}/similarity/", {"threshold": "lots"}
    )
    assert response.status_code == 400
    assert "is not a number" in response.content.decode()


def mentor_pages(assignment, submission) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    slug, pk = assignment.slug, submission.pk
    return [
        ("get", "/dashboard/"),
        ("get", "/dashboard/progress/"),
        ("get", "/dashboard/audit/"),
        ("get", "/dashboard/grades.csv"),
        ("get", f"/dashboard/assignments/{slug}/"),
        ("get", f"/dashboard/assignments/{slug}/settings/"),
        ("post", f"/dashboard/assignments/{slug}/settings/"),
        ("post", f"/dashboard/assignments/{slug}/extensions/"),
        ("post", f"/dashboard/assignments/{slug}/extensions/{submission.owner_id}/revoke/"),
        ("post", f"/dashboard/assignments/{slug}/similarity/"),
        ("get", f"/dashboard/similarity/{pk}/{pk}/"),
        ("get", f"/dashboard/submissions/{pk}/hidden-logs/"),
        ("post", f"/dashboard/assignments/{slug}/reveal/"),
    ]


def test_mentees_get_403_and_visitors_the_login_on_every_mentor_page(  # type: ignore[no-untyped-def]
    mentee_a, assignment
):
    own = submit(mentee_a, assignment)
    mentee, anonymous = as_client(mentee_a), Client()
    for method, url in mentor_pages(assignment, own):
        assert getattr(mentee, method)(url).status_code == 403, url
        response = getattr(anonymous, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    assert Submission.objects.count() == 1
