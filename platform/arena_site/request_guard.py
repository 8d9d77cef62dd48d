"""Refuses malformed or oversized requests before any view (or Django) reads their body.

Django spools a multipart body to disk before a view could check its size, so the cap is
taken from Content-Length up front: per route, the assignment's own upload limit for the two
upload routes, ARENA_MAX_REQUEST_KB for everything else. NUL bytes in the path (404) or the
query string (400) are refused too: PostgreSQL rejects them in any text parameter (a 500).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve

# Multipart framing around the file (boundaries, headers, the CSRF field).
_MULTIPART_OVERHEAD = 64 * 1024
_UPLOAD_ROUTES = {"api:assignment-submissions", "portal:submit"}


class RequestGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path_info:  # no resource is named so
            return _refuse(request, 404, "Not found.")
        if "\x00" in unquote(str(request.META.get("QUERY_STRING", ""))):
            return _refuse(request, 400, "The query string contains a NUL byte.")
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _refuse(request, 400, "The Content-Length header is not a number.")
        limit = body_limit(request)
        if length > limit:
            return _refuse(
                request,
                413,
                f"The request body is {length / 2**20:.1f} MB; this address accepts at most "
                f"{limit / 2**20:.1f} MB.",
            )
        return self.get_response(request)


def body_limit(request: HttpRequest) -> int:
    """Bytes a request to this path may carry."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return settings.ARENA_MAX_REQUEST_KB * 1024
    if match.view_name in _UPLOAD_ROUTES:
        from courses.models import Assignment

        assignment = Assignment.objects.filter(slug=match.kwargs.get("slug", "")).first()
        upload = assignment.max_upload_bytes if assignment else settings.ARENA_MAX_UPLOAD_MB * 2**20
        return upload + _MULTIPART_OVERHEAD
    return settings.ARENA_MAX_REQUEST_KB * 1024


def _refuse(request: HttpRequest, status: int, message: str) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": message}, status=status)
    else:
        response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    # The body was not read: the connection cannot be reused for another request.
    response["Connection"] = "close"
    return response
