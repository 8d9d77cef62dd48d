"""Helpers for the fragments htmx polls."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

View = Callable[..., HttpResponse]


def login_required_fragment(view: View) -> View:
    """Like ``login_required``, but a poll whose session expired sends the whole page to the
    login form (``HX-Redirect``) instead of swapping the login page into a table."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        if request.headers.get("HX-Request") != "true":
            return redirect_to_login(request.get_full_path())
        page = urlsplit(request.headers.get("HX-Current-URL", "/"))
        login = redirect_to_login(page.path + (f"?{page.query}" if page.query else ""))
        response = HttpResponse(status=200)
        response["HX-Redirect"] = login["Location"]
        return response

    return wrapper
