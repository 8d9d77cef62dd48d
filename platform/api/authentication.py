"""Token authentication with expiry: a stale or revoked token is a 401 that says which."""

from __future__ import annotations

from typing import Any

from accounts.api_tokens import expires_at, is_expired
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

RELOGIN = "log in again for a new one (`arena login`, or POST /api/v1/auth/token/)"


class ExpiringTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        model = self.get_model()
        token = model.objects.select_related("user").filter(key=key).first()
        if token is None:
            # Revoked (password changed, by its owner or a mentor) or never issued.
            raise exceptions.AuthenticationFailed(
                f"This API token is not valid: it was revoked or never issued; {RELOGIN}."
            )
        if is_expired(token):
            when = expires_at(token).strftime("%Y-%m-%d %H:%M UTC")
            raise exceptions.AuthenticationFailed(f"This API token expired on {when}; {RELOGIN}.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("This account is disabled.")
        return (token.user, token)
