"""Password guessing is limited on every login: the API token, the portal and the admin.

Counters live in the shared cache (Redis when the broker is Redis, the database otherwise),
so every web process and every machine sees the same count; a valid token, a session or a
new X-Forwarded-For does not lift them (client_ip trusts that header only from our proxies).
Two counters per window: attempts per client address, failures per username.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse, JsonResponse

from arena_site.client_ip import client_ip

log = logging.getLogger(__name__)

LOGIN_PATHS = {
    "/api/v1/auth/token/": 200,  # path -> the status of a successful login
    "/accounts/login/": 302,
    "/admin/login/": 302,
    # Not a login, but each request sends a mail: the per-address limit keeps it from spamming.
    "/accounts/password/reset/": 302,
}


class LoginRateLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        success_status = LOGIN_PATHS.get(request.path_info)
        if request.method != "POST" or success_status is None:
            return self.get_response(request)
        address = f"login:ip:{client_ip(request)}"
        username = _username(request)
        account = f"login:user:{username}" if username else None
        if _count(address) >= settings.ARENA_LOGIN_MAX_PER_IP or (
            account and _count(account) >= settings.ARENA_LOGIN_MAX_FAILURES_PER_USER
        ):
            return _too_many(request)
        _hit(address)
        response = self.get_response(request)
        if account and response.status_code != success_status:
            _hit(account)
        return response


def _username(request: HttpRequest) -> str:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return ""
        name = data.get("username", "") if isinstance(data, dict) else ""
    else:
        name = request.POST.get("username", "")
    return str(name).strip().lower()[:150] if isinstance(name, str) else ""


def _count(key: str) -> int:
    return int(_store(lambda cache: cache.get(key, 0)))


def _hit(key: str) -> None:
    def increment(cache) -> int:  # type: ignore[no-untyped-def]
        cache.add(key, 0, timeout=settings.ARENA_LOGIN_WINDOW_S)
        return int(cache.incr(key))

    _store(increment)


def _store(operation):  # type: ignore[no-untyped-def]
    """The shared cache, or the database when it fails (Redis down must not open the door)."""
    try:
        return operation(caches["default"])
    except Exception as exc:  # noqa: BLE001 - any cache failure: use the database instead
        log.warning("login limits: cache unavailable (%s), using the database", exc)
        return operation(caches["database"])


def _too_many(request: HttpRequest) -> HttpResponse:
    message = "Too many login attempts; wait a few minutes and try again."
    if request.path_info.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": message}, status=429)
    else:
        response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(settings.ARENA_LOGIN_WINDOW_S)
    return response
