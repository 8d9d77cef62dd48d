from __future__ import annotations

from typing import Any

from courses.roles import is_mentor
from rest_framework.permissions import BasePermission
from rest_framework.request import Request


class IsMentor(BasePermission):
    message = "Only mentors may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return is_mentor(request.user)
