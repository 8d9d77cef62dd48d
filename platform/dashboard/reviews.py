"""The review queue of the memorisation audit: flagged submissions, a mentor's clear/confirm."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST
from leaderboards.models import RankReview
from leaderboards.review import ReviewRefused, decide, flagged_submissions, review_state
from submissions.models import Submission

from dashboard.access import mentor_required

RECENT_DECISIONS = 100


@mentor_required
@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    flagged = [(s, review_state(s)) for s in flagged_submissions()]
    context = {
        "held": [s for s, state in flagged if state == "held"],
        "decided": [(s, state) for s, state in flagged if state != "held"],
        "decisions": RankReview.objects.select_related(
            "submission__assignment", "submission__owner", "decided_by"
        )[:RECENT_DECISIONS],
    }
    return render(request, "dashboard/review.html", context)


@mentor_required
@require_POST
def review_decide(request: HttpRequest, submission_id: int) -> HttpResponse:
    submission = get_object_or_404(Submission, pk=submission_id)
    decision = request.POST.get("decision", "")
    try:
        decide(submission, get_user(request), decision, request.POST.get("note", ""))
    except ReviewRefused as refused:
        messages.error(request, refused.message)
    else:
        words = "cleared: it ranks" if decision == "cleared" else "confirmed: it does not rank"
        messages.success(request, f"Submission #{submission.pk} {words}.")
    return redirect("dashboard:review")
