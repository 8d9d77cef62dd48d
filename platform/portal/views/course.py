"""The course pages: the list of courses, one course's weekly timeline, one week."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from portal import comparison
from portal.access import course_or_404, week_or_404
from portal.queries import course_timeline, visible_courses


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    courses = list(visible_courses(request.user))
    if len(courses) == 1:
        return redirect("portal:course", slug=courses[0].slug)
    return render(request, "portal/home.html", {"courses": courses})


@require_GET
def course_detail(request: HttpRequest, slug: str) -> HttpResponse:
    course = course_or_404(request, slug)
    context = {"course": course, "weeks": course_timeline(course, request.user)}
    return render(request, "portal/course.html", context)


@require_GET
def week_detail(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    week = week_or_404(request, slug, number)
    rows = [row for row in course_timeline(week.course, request.user) if row.week.pk == week.pk]
    context = {
        "course": week.course,
        "week": week,
        "items": rows[0].items if rows else [],
        "comparison_week": week.comparison_chart,
        "chart_available": comparison.chart_available(week),
        "chart_budget": comparison.reference_budget() if week.comparison_chart else "",
    }
    return render(request, "portal/week.html", context)


@require_GET
def week_comparison_png(request: HttpRequest, slug: str, number: int) -> FileResponse:
    week = week_or_404(request, slug, number)
    if not comparison.chart_available(week):
        raise Http404("The reference comparison has not been run.")
    response = FileResponse(comparison.chart_png(week, request.user).open("rb"))
    response["Content-Type"] = "image/png"
    response["Cache-Control"] = "private, max-age=60"
    return response
