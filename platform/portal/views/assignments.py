"""An assignment: its statement, limits and scoring, the starter download, the upload form,
and its leaderboard."""

from __future__ import annotations

from courses.late_policy import may_upload, mentee_deadline
from courses.models import Assignment
from courses.roles import AnyUser, is_mentor
from courses.services import starter_zip
from django.contrib import messages
from django.contrib.auth import get_user
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from leaderboards.board import board, chosen_sort, visible_board_columns
from leaderboards.board_cache import cached_board
from leaderboards.pseudonyms import pseudonyms_on, set_pseudonyms
from leaderboards.services import BoardRow, viewer_key
from submissions.services import SubmissionRefused, create_submission, quota_left

from portal import scoring
from portal.access import assignment_or_404
from portal.assets import public_asset
from portal.forms import UploadForm
from portal.queries import assignment_state, my_submissions
from portal.statement import render_statement


@require_GET
def assignment_detail(request: HttpRequest, slug: str) -> HttpResponse:
    assignment = assignment_or_404(request, slug)
    return _assignment_page(request, assignment, UploadForm())


@login_required
@require_POST
def submit(request: HttpRequest, slug: str) -> HttpResponse:
    assignment = assignment_or_404(request, slug)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _assignment_page(request, assignment, form, status=400)
    try:
        # The service locks the user's row through the user's class: it needs the real user
        # object, not the lazy wrapper ``request.user`` is in plain Django views.
        owner = get_user(request)
        submission = create_submission(owner, assignment, form.cleaned_data["file"])
    except SubmissionRefused as refused:
        form.add_error("file", refused.message)
        return _assignment_page(request, assignment, form, status=refused.http_status)
    if submission.is_final:  # decided at upload (a syntax error, an unsafe archive...)
        messages.error(
            request, f"Submission #{submission.pk} was rejected: {submission.error_message}"
        )
        return redirect("portal:result", submission_id=submission.pk)
    messages.success(request, f"Submission #{submission.pk} received; it is queued for grading.")
    return redirect(f"{reverse('portal:my-submissions')}?assignment={assignment.slug}")


def _assignment_page(
    request: HttpRequest, assignment: Assignment, form: UploadForm, status: int = 200
) -> HttpResponse:
    user = request.user
    state = assignment_state(assignment)
    context = {
        "assignment": assignment,
        "state": state,
        # The service decides (mentors may always submit); this only spares a doomed upload.
        # The schedule decides (late uploads, extensions; mentors may always submit).
        "can_submit": may_upload(assignment, user) if user.is_authenticated else state == "open",
        # A mentee's extension moves their own deadline (``courses.late_policy``).
        "my_deadline": mentee_deadline(assignment, user),
        "statement": render_statement(
            assignment.statement, reverse("portal:asset", args=[assignment.slug, "x"])[:-1]
        ),
        "limits": scoring.limits(assignment),
        "parts": scoring.scored_parts(assignment),
        "form": form,
        "quota_left": quota_left(user, assignment) if user.is_authenticated else None,
        "recent": my_submissions(user, assignment)[:5] if user.is_authenticated else [],
    }
    return render(request, "portal/assignment.html", context, status=status)


@require_GET
def starter_download(request: HttpRequest, slug: str) -> HttpResponse:
    assignment = assignment_or_404(request, slug)
    response = HttpResponse(starter_zip(assignment), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{assignment.slug}-starter.zip"'
    return response


@require_GET
def leaderboard_page(request: HttpRequest, slug: str) -> HttpResponse:
    assignment = assignment_or_404(request, slug)
    viewer = request.user
    # Columns the viewer may read now (timing ones wait for the deadline: ``visibility``),
    # sorted by ``?sort=<column>&order=asc|desc`` (``leaderboards.board``).
    sort, descending = chosen_sort(
        visible_board_columns(assignment, viewer),
        request.GET.get("sort", "rank"),
        request.GET.get("order", ""),
    )
    order = "desc" if descending else "asc"
    # The rendered tables are most of the page's cost: kept per board version and per viewer
    # (their own row is marked) in ``leaderboards.board_cache``.
    parts = ("page", assignment.pk, viewer.pk, *viewer_key(assignment, viewer), sort, descending)
    public_table, private_table = cached_board(
        parts, lambda: _board_tables(assignment, viewer, sort, order)
    )
    context = {
        "assignment": assignment,
        "public_table": public_table,
        "private_table": private_table,
        "pseudonyms": pseudonyms_on(assignment.week.course),
        "mentor": is_mentor(viewer),
    }
    return render(request, "portal/leaderboard.html", context)


def _board_tables(
    assignment: Assignment, viewer: AnyUser, sort: str, order: str
) -> tuple[str, str | None]:
    """The public and private boards as HTML tables (None: the viewer may not see the
    private one)."""
    shown = board(assignment, viewer, sort=sort, order=order)

    def table(rows: list[BoardRow], label: str) -> str:
        return render_to_string(
            "portal/_board.html",
            {"board": shown, "rows": rows, "columns": shown.columns, "label": label},
        )

    private = None if shown.private_rows is None else table(shown.private_rows, "private-board")
    return table(shown.public_rows, "public-board"), private


@login_required
@require_POST
def board_pseudonyms(request: HttpRequest, slug: str) -> HttpResponse:
    """A mentor turns pseudonyms on the course's public boards on or off (audited)."""
    assignment = assignment_or_404(request, slug)
    if not is_mentor(request.user):
        return HttpResponse("Only mentors change how boards name mentees.", status=403)
    on = request.POST.get("pseudonyms") == "1"
    set_pseudonyms(assignment.week.course, on, actor=get_user(request))
    state = "pseudonyms" if on else "usernames"
    messages.success(request, f"The course's public boards now show {state}.")
    return redirect("portal:leaderboard", slug=assignment.slug)


@login_required
@require_GET
def asset(request: HttpRequest, slug: str, path: str) -> FileResponse:
    """A public image of the assignment's bundle (``portal.assets``): what its statement shows."""
    assignment = assignment_or_404(request, slug)
    found = public_asset(assignment.bundle_path, path)
    if found is None:
        raise Http404("No such image.")
    file, content_type = found
    response = FileResponse(file.open("rb"), content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
