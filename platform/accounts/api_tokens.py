"""API tokens (DRF's authtoken rows) that expire and are revoked.

A token lives ARENA_TOKEN_TTL_DAYS from its creation; it is deleted when its owner's password
changes (change form, reset link, admin, `changepassword`), when the owner revokes it, or when
a mentor does.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token


def lifetime() -> timedelta:
    return timedelta(days=settings.ARENA_TOKEN_TTL_DAYS)


def expires_at(token: Token) -> datetime:
    return token.created + lifetime()


def is_expired(token: Token, now: datetime | None = None) -> bool:
    return expires_at(token) <= (now or timezone.now())


def issue_token(user: AbstractBaseUser) -> Token:
    """The user's live token, or a new one when there is none or it expired.

    One token per user (DRF's model): logging in on a second machine shares it.
    """
    for _ in range(2):  # a concurrent login may create it between our read and our insert
        with transaction.atomic():
            token = Token.objects.select_for_update().filter(user=user).first()
            if token is not None and not is_expired(token):
                return token
            if token is not None:
                token.delete()
            try:
                with transaction.atomic():
                    return Token.objects.create(user=user)
            except IntegrityError:
                continue
    return Token.objects.get(user=user)


def live_token(user: AbstractBaseUser) -> Token | None:
    token = Token.objects.filter(user=user).first()
    return token if token is not None and not is_expired(token) else None


def revoke_tokens(user: AbstractBaseUser) -> int:
    deleted, _ = Token.objects.filter(user=user).delete()
    return deleted


class RevokeTokensOnPasswordChange:
    """Listed in AUTH_PASSWORD_VALIDATORS only for its `password_changed` hook: Django calls it
    from User.save() after every set_password(), whichever form or command changed it, so a
    stolen token dies with the old password. It never refuses a password."""

    def validate(self, password: str, user: Any = None) -> None:
        return None

    def password_changed(self, password: str, user: Any = None) -> None:
        if user is not None and user.pk is not None:
            revoke_tokens(user)

    def get_help_text(self) -> str:
        return "A new password also signs out the arena command-line client (its API token is revoked)."
