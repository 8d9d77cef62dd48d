"""Getting and revoking API tokens."""

from __future__ import annotations

from accounts import audit
from accounts.api_tokens import expires_at, issue_token, revoke_tokens
from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from api.permissions import IsMentor


class ObtainToken(ObtainAuthToken):
    """POST {"username", "password"} -> {"token", "expires"}. Guessing is limited by
    arena_site.login_limits (shared by every process and every login form), not here."""

    throttle_classes = ()

    def post(self, request: Request, *args: object, **kwargs: object) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = issue_token(serializer.validated_data["user"])
        return Response({"token": token.key, "expires": expires_at(token).isoformat()})


@api_view(["POST"])
@permission_classes([IsAuthenticated])
def revoke_own_token(request: Request) -> Response:
    """The caller's token stops working at once (their browser session stays)."""
    return Response({"revoked": revoke_tokens(request.user)})


@api_view(["POST"])
@permission_classes([IsMentor])
def revoke_user_token(request: Request, username: str) -> Response:
    user = get_object_or_404(get_user_model(), username=username)
    revoked = revoke_tokens(user)
    if revoked:
        audit.record(request.user, user.get_username(), "API token", "live", "revoked")
    return Response({"username": user.get_username(), "revoked": revoked})
