"""The mentor dashboard: the queue, runs to look at, activity, rejudge, reveal, grades."""

from __future__ import annotations

import csv

from courses.models import Assignment, AuditEvent
from django.contrib import messages
from django.contrib.auth import get_user
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from leaderboards.review import flagged_submissions, review_state
from portal.fragments import login_required_fragment
from submissions.models import Submission
from submissions.rejudge import outdated_counts
from submissions.rejudge_views import MALFORMED, MalformedRejudge, seen_judging
from submissions.services import rejudge

from dashboard import queries
from dashboard.access import mentor_required
from dashboard.charts import bar_chart
from dashboard.services import RevealRefused, set_private_board_revealed

RECENT_CHANGES = 10


@mentor_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    activity = queries.submissions_per_week()
    context = {
        "depth": queries.queue_depth(),
        "running": queries.running_runs(),
        "problems": queries.problem_runs(),
        "activity": activity,
        "chart": bar_chart([(f"Week {row.week}", row.total) for row in activity]),
        "assignments": Assignment.objects.select_related("week").order_by("week__number", "slug"),
        "grades": queries.grade_table(),
        "held_count": sum(review_state(s) == "held" for s in flagged_submissions()),
        "recent_changes": AuditEvent.objects.all()[:RECENT_CHANGES],
        "now": timezone.now(),
        "outdated": outdated_counts(),
    }
    return render(request, "dashboard/index.html", context)


@login_required_fragment
@mentor_required
@require_GET
def queue_fragment(request: HttpRequest) -> HttpResponse:
    """The queue counts alone, polled by the dashboard every few seconds."""
    return render(request, "dashboard/_queue.html", {"depth": queries.queue_depth()})


@mentor_required
@require_POST
def rejudge_submission(request: HttpRequest, submission_id: int) -> HttpResponse:
    submission = get_object_or_404(Submission, pk=submission_id)
    try:
        seen = seen_judging(request)  # the judging the page showed: a double click is one
    except MalformedRejudge:
        messages.error(request, MALFORMED)
        return redirect("dashboard:index")
    if rejudge(submission, seen_judging=seen):
        messages.success(request, f"Submission #{submission.pk} is queued again.")
    else:
        messages.info(
            request, f"Submission #{submission.pk} is queued, running or rejudged already."
        )
    if request.POST.get("next") == "result":
        return redirect("portal:result", submission_id=submission.pk)
    return redirect("dashboard:index")


@mentor_required
@require_POST
def reveal_private_board(request: HttpRequest, slug: str) -> HttpResponse:
    assignment = get_object_or_404(Assignment, slug=slug)
    revealed = request.POST.get("revealed") == "1"
    try:
        set_private_board_revealed(assignment, revealed, get_user(request))
    except RevealRefused as refused:
        messages.error(request, refused.message)
    else:
        state = "revealed" if revealed else "hidden again"
        messages.success(request, f"The private leaderboard of {assignment.title} is {state}.")
    return redirect("dashboard:index")


@mentor_required
@require_GET
def grades_csv(request: HttpRequest) -> HttpResponse:
    table = queries.grade_table()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="grades-{stamp}.csv"'
    writer = csv.writer(response)
    # Per assignment: the score after the late penalty (what counts), then its raw score and
    # the days it was late, so a grade can be checked by hand.
    header = ["user"]
    for a in table.assignments:
        header += [a.slug, f"{a.slug} raw", f"{a.slug} days late"]
    writer.writerow(header)
    for username, scores in table.rows:
        cells = [_cell(username)]
        for best in scores:
            cells += (
                ["", "", ""]
                if best is None
                else [f"{best.score:.2f}", f"{best.raw:.2f}", str(best.days_late)]
            )
        writer.writerow(cells)
    return response


def _cell(text: str) -> str:
    """A leading =, +, - or @ would make a spreadsheet evaluate the cell as a formula."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text
