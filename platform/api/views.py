"""REST API v1 (contracts.md section 3). Each view: fetch, check access, act, respond."""

from __future__ import annotations

from typing import Any

from courses.models import Assignment
from courses.roles import AnyUser
from courses.services import starter_zip
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404
from leaderboards.board_cache import cached_board
from leaderboards.services import baseline_row, leaderboard, viewer_key
from rest_framework import status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from submissions import services
from submissions.models import Submission
from submissions.rejudge import rejudge_assignment, rejudge_outdated

from api import serializers
from api.permissions import IsMentor


def _assignment(request: Request, slug: str) -> Assignment:
    return get_object_or_404(
        Assignment.objects.visible_to(request.user).select_related("week"), slug=slug
    )


def _submission(request: Request, submission_id: int) -> Submission:
    """404, never 403, for someone else's submission: its existence is not disclosed."""
    queryset = Submission.objects.visible_to(request.user).select_related("assignment", "owner")
    return get_object_or_404(queryset, pk=submission_id)


@api_view(["GET"])
def assignment_list(request: Request) -> Response:
    assignments = Assignment.objects.visible_to(request.user).select_related("week")
    return Response([serializers.assignment_summary(a) for a in assignments])


@api_view(["GET"])
def assignment_detail(request: Request, slug: str) -> Response:
    return Response(serializers.assignment_detail(_assignment(request, slug), request))


@api_view(["GET"])
def assignment_starter(request: Request, slug: str) -> HttpResponse:
    assignment = _assignment(request, slug)
    response = HttpResponse(starter_zip(assignment), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{assignment.slug}-starter.zip"'
    return response


@api_view(["GET", "POST"])
@permission_classes([IsAuthenticated])
def assignment_submissions(request: Request, slug: str) -> Response:
    assignment = _assignment(request, slug)
    if request.method == "GET":
        mine = Submission.objects.visible_to(request.user).filter(assignment=assignment)
        return Response(
            [serializers.submission_summary(s) for s in mine.select_related("owner", "assignment")]
        )
    uploaded = request.FILES.get("file")
    if uploaded is None:
        return Response({"detail": 'Send the file as multipart field "file".'}, status=400)
    try:
        submission = services.create_submission(request.user, assignment, uploaded)
    except services.SubmissionRefused as refused:
        return Response({"detail": refused.message}, status=refused.http_status)
    return Response(
        {"id": submission.pk, "status": submission.status}, status=status.HTTP_201_CREATED
    )


@api_view(["GET"])
@permission_classes([IsAuthenticated])
def submission_list(request: Request) -> Response:
    mine = Submission.objects.visible_to(request.user).select_related("owner", "assignment")
    if slug := request.query_params.get("assignment"):
        mine = mine.filter(assignment__slug=slug)
    return Response([serializers.submission_summary(s) for s in mine[:200]])


@api_view(["GET"])
@permission_classes([IsAuthenticated])
def submission_detail(request: Request, submission_id: int) -> Response:
    submission = _submission(request, submission_id)
    return Response(serializers.submission_detail(submission, request.user))


@api_view(["GET"])
@permission_classes([IsAuthenticated])
def submission_logs(request: Request, submission_id: int) -> HttpResponse:
    submission = _submission(request, submission_id)
    return HttpResponse(submission.logs, content_type="text/plain; charset=utf-8")


@api_view(["GET"])
@permission_classes([IsAuthenticated])
def submission_file(request: Request, submission_id: int) -> FileResponse:
    submission = _submission(request, submission_id)
    if not submission.file.storage.exists(submission.file.name):
        raise Http404("The stored upload is missing.")
    return FileResponse(
        submission.file.open("rb"), as_attachment=True, filename=submission.original_filename
    )


@api_view(["POST"])
@permission_classes([IsAuthenticated])
def submission_select(request: Request, submission_id: int) -> Response:
    submission = _submission(request, submission_id)
    if submission.owner_id != request.user.pk:
        return Response({"detail": "Only the author selects a submission."}, status=403)
    if not isinstance(request.data, dict):  # a JSON list or string: not a request we know
        return Response({"detail": 'Send a JSON object such as {"selected": true}.'}, status=400)
    selected = request.data.get("selected", True) not in (False, "false", "0", 0)
    try:
        services.set_selected(submission, selected)
    except services.SubmissionRefused as refused:
        return Response({"detail": refused.message}, status=refused.http_status)
    return Response({"id": submission.pk, "selected": submission.selected})


@api_view(["POST"])
@permission_classes([IsMentor])
def submission_rejudge(request: Request, submission_id: int) -> Response:
    submission = _submission(request, submission_id)
    if not services.rejudge(submission):
        return Response({"detail": "It is still queued or running."}, status=409)
    return Response({"id": submission.pk, "status": "queued"}, status=202)


@api_view(["POST"])
@permission_classes([IsMentor])
def assignment_rejudge(request: Request, slug: str) -> Response:
    """{"scope": "outdated"} (graded by an older bundle version; the default) or "all"."""
    assignment = _assignment(request, slug)
    scope = request.data.get("scope", "outdated") if isinstance(request.data, dict) else None
    if scope not in ("outdated", "all"):
        return Response({"detail": 'Send {"scope": "outdated"} or {"scope": "all"}.'}, status=400)
    if scope == "outdated":
        count = rejudge_outdated(assignment)
    else:
        count = rejudge_assignment(assignment)
    return Response({"assignment": assignment.slug, "scope": scope, "queued": count}, status=202)


@api_view(["GET"])
def assignment_leaderboard(request: Request, slug: str) -> HttpResponse:
    assignment = _assignment(request, slug)
    viewer = request.user
    # The encoded body, per board version and viewer (their rows say "mine"): twenty mentees
    # reloading a board of 200 read it from Redis (``leaderboards.board_cache``).
    parts = ("api", assignment.pk, viewer.pk, *viewer_key(assignment, viewer))
    body = cached_board(parts, lambda: JSONRenderer().render(_boards(assignment, viewer)))
    return HttpResponse(body, content_type="application/json")


def _boards(assignment: Assignment, viewer: AnyUser) -> dict[str, Any]:
    return {
        "public": leaderboard(assignment, private=False, viewer=viewer),
        "private": leaderboard(assignment, private=True, viewer=viewer),
        # The reference solution graded as a baseline (``leaderboards.baselines``): a row
        # of each board, never ranked (null until graded; private as the private board).
        "baseline": {
            "public": baseline_row(assignment, private=False, viewer=viewer),
            "private": baseline_row(assignment, private=True, viewer=viewer),
        },
    }
