"""The worker token: one shared secret, compared in constant time, never a user's credential."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

SCHEME = "Worker"


def presented_token(request: HttpRequest) -> str:
    """The token of an ``Authorization: Worker <token>`` header, else ''. A mentee's
    ``Token ...`` header or a session cookie is not a worker token."""
    scheme, _, token = str(request.META.get("HTTP_AUTHORIZATION", "")).partition(" ")
    return token.strip() if scheme == SCHEME else ""


def is_worker(request: HttpRequest) -> bool:
    expected = settings.ARENA_WORKER_TOKEN
    presented = presented_token(request)
    # compare_digest takes as long for a wrong first byte as for a wrong last one.
    return bool(expected) and hmac.compare_digest(presented.encode(), expected.encode())


def worker_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """GET only; 404 when the API is off, 401 without the worker token."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.ARENA_WORKER_TOKEN:
            return JsonResponse({"detail": "Not found."}, status=404)
        if not is_worker(request):
            response = JsonResponse({"detail": "A worker token is required."}, status=401)
            response["WWW-Authenticate"] = SCHEME
            return response
        if request.method != "GET":
            return JsonResponse({"detail": "Only GET is allowed."}, status=405)
        return view(request, *args, **kwargs)

    return guarded
