"""What mentors follow: the progress grid, an assignment's charts, and code similarity."""

from __future__ import annotations

from courses.models import Assignment
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods
from submissions.models import Submission

from dashboard import similarity
from dashboard.access import mentor_required
from dashboard.charts import bar_chart, column_chart
from dashboard.progress import progress_grid, score_histogram, uploads_per_day
from dashboard.queries import mentees


@mentor_required
@require_GET
def progress(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard/progress.html", {"grid": progress_grid(mentees())})


@mentor_required
@require_GET
def assignment_overview(request: HttpRequest, slug: str) -> HttpResponse:
    assignment = get_object_or_404(Assignment, slug=slug)
    histogram = score_histogram(assignment, mentees())
    per_day = uploads_per_day(assignment)
    context = {
        "assignment": assignment,
        "histogram": histogram,
        "distribution": bar_chart(
            [(f"{10 * i}–{10 * i + 10}", count) for i, count in enumerate(histogram)]
        ),
        "per_day": per_day,
        "timeline": column_chart(per_day),
        "threshold": similarity.DEFAULT_THRESHOLD,
    }
    return render(request, "dashboard/assignment.html", context)


@mentor_required
@require_http_methods(["GET", "POST"])
def similarity_report(request: HttpRequest, slug: str) -> HttpResponse:
    """On demand (a POST from the assignment page): every pair of mentees compared now."""
    assignment = get_object_or_404(Assignment, slug=slug)
    threshold, error = _threshold(
        request.POST.get("threshold") if request.method == "POST" else None
    )
    context = {"assignment": assignment, "threshold": threshold, "error": error, "pairs": None}
    if request.method == "POST" and error is None:
        context["pairs"] = similarity.similar_pairs(assignment, threshold)
    return render(request, "dashboard/similarity.html", context, status=400 if error else 200)


@mentor_required
@require_GET
def side_by_side(request: HttpRequest, left_id: int, right_id: int) -> HttpResponse:
    left = get_object_or_404(Submission.objects.select_related("owner", "assignment"), pk=left_id)
    right = get_object_or_404(Submission.objects.select_related("owner", "assignment"), pk=right_id)
    if left.assignment_id != right.assignment_id:
        raise Http404("The two submissions are of different assignments.")
    shown = similarity.side_by_side(left, right)
    context = {
        "pair": shown.pair,
        "assignment": left.assignment,
        # Escaped by copydetect's highlighter (markupsafe.escape) before <mark> is added around runs.
        "left_html": mark_safe(shown.left_html),
        "right_html": mark_safe(shown.right_html),
    }
    return render(request, "dashboard/side_by_side.html", context)


def _threshold(raw: str | None) -> tuple[float, str | None]:
    if raw is None or raw.strip() == "":
        return similarity.DEFAULT_THRESHOLD, None
    try:
        value = float(raw)
    except ValueError:
        return similarity.DEFAULT_THRESHOLD, f"The threshold {raw!r} is not a number."
    if not 0.0 < value <= 1.0:
        return similarity.DEFAULT_THRESHOLD, "The threshold must be above 0 and at most 1."
    return value, None


@mentor_required
@require_GET
def hidden_logs(request: HttpRequest, submission_id: int) -> HttpResponse:
    """What the hidden stages printed (it may quote hidden inputs: mentors only, escaped)."""
    submission = get_object_or_404(
        Submission.objects.select_related("owner", "assignment"), pk=submission_id
    )
    text = (submission.report or {}).get("hidden_logs")
    context = {"submission": submission, "hidden_logs": text if isinstance(text, str) else ""}
    return render(request, "dashboard/hidden_logs.html", context)
