from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from courses.roles import is_mentor
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

View = Callable[..., HttpResponse]


def mentor_required(view: View) -> View:
    """Anonymous visitors are sent to log in; signed-in mentees get 403."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_mentor(request.user):
            raise PermissionDenied("Mentors only.")
        return view(request, *args, **kwargs)

    return wrapper
