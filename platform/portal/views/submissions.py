"""A signed-in user's submissions (with live status), one result, its logs and its code."""

from __future__ import annotations

from api.serializers import submission_detail as visible_report
from courses.roles import is_mentor
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from leaderboards.columns import assignment_parts
from submissions.history import judgings
from submissions.models import Submission
from submissions.services import SubmissionRefused, set_selected

from portal.access import assignment_or_404, submission_or_404
from portal.fragments import login_required_fragment
from portal.queries import my_submissions
from portal.result_metrics import metric_groups

MAX_LISTED = 100


def _listed(request: HttpRequest) -> dict[str, object]:
    """The rows of 'my submissions', optionally for one assignment (``?assignment=slug``)."""
    slug = request.GET.get("assignment", "")
    assignment = assignment_or_404(request, slug) if slug else None
    rows = list(my_submissions(request.user, assignment)[:MAX_LISTED])
    return {
        "assignment": assignment,
        "submissions": rows,
        # Polling stops by itself: the fragment drops its trigger once every row is final.
        "live": any(not s.is_final for s in rows),
    }


@login_required
@require_GET
def my_submissions_page(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/my_submissions.html", _listed(request))


@login_required_fragment
@require_GET
def my_submissions_rows(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/fragments/submission_rows.html", _listed(request))


def _result_context(request: HttpRequest, submission: Submission) -> dict[str, object]:
    return {
        "submission": submission,
        # The API's view of a report: private-split metrics and infrastructure details removed
        # for whoever may not see them.
        "report": (report := visible_report(submission, request.user)),
        # Only the metrics the viewer may read, named in words (``portal.result_metrics``).
        "metric_groups": metric_groups(
            report["metrics"],
            (submission.report or {}).get("metric_info"),
            [p.get("name", "") for p in assignment_parts(submission.assignment)],
            submission.checks,
        ),
        "mentor": is_mentor(request.user),
        "own": submission.owner_id == request.user.pk,
        # Every judging's report, with what graded it: mentors only (an old report may hold
        # what the standing one withholds).
        "history": judgings(submission) if is_mentor(request.user) else [],
    }


@login_required
@require_GET
def result_page(request: HttpRequest, submission_id: int) -> HttpResponse:
    submission = submission_or_404(request, submission_id)
    return render(request, "portal/result.html", _result_context(request, submission))


@login_required_fragment
@require_GET
def result_panel(request: HttpRequest, submission_id: int) -> HttpResponse:
    submission = submission_or_404(request, submission_id)
    return render(
        request, "portal/fragments/result_panel.html", _result_context(request, submission)
    )


@login_required
@require_GET
def result_logs(request: HttpRequest, submission_id: int) -> HttpResponse:
    submission = submission_or_404(request, submission_id)
    # The same logs the result page shows (``visibility``: an error run's are mentors' only).
    logs = visible_report(submission, request.user)["logs"]
    return HttpResponse(logs, content_type="text/plain; charset=utf-8")


@login_required
@require_GET
def code_download(request: HttpRequest, submission_id: int) -> FileResponse:
    submission = submission_or_404(request, submission_id)
    if not submission.file or not submission.file.storage.exists(submission.file.name):
        raise Http404("The stored upload is missing.")
    # Always a download, never rendered: the file is the mentee's and may hold anything.
    response = FileResponse(
        submission.file.open("rb"), as_attachment=True, filename=submission.original_filename
    )
    response["Content-Type"] = "application/octet-stream"
    return response


@login_required
@require_POST
def select_for_private_board(request: HttpRequest, submission_id: int) -> HttpResponse:
    submission = submission_or_404(request, submission_id)
    if submission.owner_id != request.user.pk:
        return HttpResponse("Only the author selects a submission.", status=403)
    selected = request.POST.get("selected") == "1"
    try:
        set_selected(submission, selected)
    except SubmissionRefused as refused:
        messages.error(request, refused.message)
    else:
        verb = "selected for" if selected else "removed from"
        messages.success(request, f"Submission #{submission.pk} {verb} the private leaderboard.")
    return redirect("portal:result", submission_id=submission.pk)
