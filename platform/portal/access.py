"""Fetching what a page is about, or 404: nothing reveals that a hidden object exists."""

from __future__ import annotations

from courses.models import Assignment, Course, Week
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from submissions.models import Submission

from portal.queries import visible_courses


def course_or_404(request: HttpRequest, slug: str) -> Course:
    return get_object_or_404(visible_courses(request.user), slug=slug)


def week_or_404(request: HttpRequest, course_slug: str, number: int) -> Week:
    course = course_or_404(request, course_slug)
    week = get_object_or_404(Week, course=course, number=number)
    if not Assignment.objects.visible_to(request.user).filter(week=week).exists():
        raise Http404("No visible assignment in this week.")
    return week


def assignment_or_404(request: HttpRequest, slug: str) -> Assignment:
    visible = Assignment.objects.visible_to(request.user).select_related("week__course")
    return get_object_or_404(visible, slug=slug)


def submission_or_404(request: HttpRequest, submission_id: int) -> Submission:
    """A mentee gets 404, never 403, for someone else's submission."""
    visible = Submission.objects.visible_to(request.user).select_related(
        "assignment__week__course", "owner"
    )
    return get_object_or_404(visible, pk=submission_id)
