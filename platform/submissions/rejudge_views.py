"""The mentor's rejudge actions on the dashboard (POST only; each idempotent: the form names
the judging or the moment it was drawn, so a double click or a resent form rejudges once)."""

from __future__ import annotations

from datetime import datetime

from courses.models import Assignment
from dashboard.access import mentor_required
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from submissions.rejudge import rejudge_assignment, rejudge_outdated

MALFORMED = "The rejudge form was malformed (reload the dashboard and try again); nothing changed."


class MalformedRejudge(ValueError):
    pass


def seen_judging(request: HttpRequest) -> int | None:
    """The judging number the mentor's page showed (absent: any)."""
    raw = request.POST.get("judging", "")
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 9:
        raise MalformedRejudge(raw)
    return int(raw)


def _drawn_at(request: HttpRequest) -> datetime | None:
    raw = request.POST.get("drawn_at", "")
    if not raw:
        return None
    try:
        drawn = parse_datetime(raw)
    except ValueError:
        drawn = None
    if drawn is None or drawn.tzinfo is None:
        raise MalformedRejudge(raw)
    return drawn


@mentor_required
@require_POST
def rejudge_assignment_view(request: HttpRequest, slug: str) -> HttpResponse:
    assignment = get_object_or_404(Assignment, slug=slug)
    scope = request.POST.get("scope", "all")
    try:
        if scope == "outdated":
            count = rejudge_outdated(assignment)
            what = f"{_submissions(count)} graded by an older bundle version"
        elif scope == "all":
            count = rejudge_assignment(assignment, queued_before=_drawn_at(request))
            what = f"{_submissions(count)} (every finished one)"
        else:
            raise MalformedRejudge(scope)
    except MalformedRejudge:
        messages.error(request, MALFORMED)
        return redirect("dashboard:index")
    messages.success(
        request,
        f"{assignment.title}: {what} queued again; the standing reports count until the new "
        "ones land.",
    )
    return redirect("dashboard:index")


def _submissions(count: int) -> str:
    return f"{count} submission{'s' if count != 1 else ''}"
