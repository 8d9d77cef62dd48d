"""Inviting mentees to a course, and accepting an invitation (one link, one use, an expiry)."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from courses.models import Course
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from accounts import audit, emails
from accounts.mentor_role import grant_mentor_role
from accounts.models import Enrolment, Invitation, Role
from accounts.recipients import Recipient

log = logging.getLogger(__name__)

LinkFor = Callable[[str], str]  # token -> absolute URL of its acceptance page


class InvitationRefused(Exception):
    """The link cannot be used; the message says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Outcome:
    sent: list[Invitation] = field(default_factory=list)
    skipped: list[tuple[Recipient, str]] = field(default_factory=list)
    # The mail could not be sent: the mentor gets the link to pass on another way.
    unsent: list[tuple[Invitation, str]] = field(default_factory=list)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite(
    course: Course,
    recipients: list[Recipient],
    invited_by: AbstractBaseUser,
    link_for: LinkFor,
    role: str = Role.MENTEE,
) -> Outcome:
    outcome = Outcome()
    for recipient in recipients:
        if reason := _already_in(course, recipient.email):
            outcome.skipped.append((recipient, reason))
            continue
        invitation, token = _create(course, recipient, invited_by, role)
        audit.record(invited_by, recipient.email, "invitation", "", f"{role} of {course.slug}")
        _send(invitation, link_for(token), outcome)
    return outcome


def send_again(invitation: Invitation, invited_by: AbstractBaseUser, link_for: LinkFor) -> Outcome:
    """Withdraws the old link (it may have leaked or expired) and sends a fresh one."""
    outcome = Outcome()
    if invitation.accepted_at is not None:
        return outcome
    with transaction.atomic():
        Invitation.objects.filter(pk=invitation.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        recipient = Recipient(0, invitation.email, invitation.name, invitation.username)
        fresh, token = _create(invitation.course, recipient, invited_by, invitation.role)
        audit.record(invited_by, invitation.email, "invitation", "old link", "new link sent")
    _send(fresh, link_for(token), outcome)
    return outcome


def withdraw(invitation: Invitation, actor: AbstractBaseUser) -> bool:
    changed = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if changed:
        audit.record(actor, invitation.email, "invitation", "pending", "withdrawn")
    return changed == 1


def find(token: str) -> Invitation:
    """The usable invitation behind a link, or InvitationRefused saying why not."""
    invitation = (
        Invitation.objects.select_related("course").filter(token_hash=hash_token(token)).first()
    )
    if invitation is None:
        raise InvitationRefused(
            "This invitation link is not valid. Check that you opened the whole link from the "
            "e-mail, or ask your mentor to send a new one."
        )
    status = invitation.status()
    if status == "accepted":
        raise InvitationRefused(
            "This invitation has already been used. Log in with the account you created "
            "(or reset its password from the login page)."
        )
    if status == "expired":
        when = invitation.expires_at.strftime("%Y-%m-%d %H:%M UTC")
        raise InvitationRefused(
            f"This invitation expired on {when}. Ask your mentor to send a new one."
        )
    if status == "withdrawn":
        raise InvitationRefused(
            "This invitation was withdrawn by a mentor (a newer link may have been sent: use "
            "the latest e-mail)."
        )
    return invitation


@transaction.atomic
def accept(token: str, user: AbstractBaseUser) -> Enrolment:
    """Enrols `user` (just created by the acceptance form, or signed in) and spends the link.

    The conditional update makes the link single-use even when two requests race: the loser
    rolls back, and a user it created goes with it.
    """
    invitation = find(token)
    spent = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(accepted_at=timezone.now(), accepted_by=user)
    if spent != 1:
        raise InvitationRefused("This invitation has already been used.")
    enrolment, created = Enrolment.objects.get_or_create(
        user=user,
        course=invitation.course,
        defaults={"role": invitation.role, "invitation": invitation},
    )
    if invitation.role == Role.MENTOR:
        grant_mentor_role(user)  # type: ignore[arg-type]
        if not created and enrolment.role != Role.MENTOR:
            enrolment.role = Role.MENTOR
            enrolment.save(update_fields=["role"])
    return enrolment


def _already_in(course: Course, email: str) -> str:
    if Enrolment.objects.filter(course=course, user__email__iexact=email).exists():
        return "already enrolled in this course"
    pending = Invitation.objects.pending().filter(course=course, email__iexact=email).first()
    if pending is not None:
        until = pending.expires_at.strftime("%Y-%m-%d")
        return f"already invited (the link works until {until}; use “send again” for a new one)"
    return ""


def _create(
    course: Course, recipient: Recipient, invited_by: AbstractBaseUser, role: str
) -> tuple[Invitation, str]:
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        course=course,
        email=recipient.email,
        name=recipient.name,
        username=recipient.username,
        role=role,
        token_hash=hash_token(token),
        invited_by=invited_by,
        expires_at=timezone.now() + timedelta(days=settings.ARENA_INVITATION_TTL_DAYS),
    )
    return invitation, token


def _send(invitation: Invitation, link: str, outcome: Outcome) -> None:
    try:
        emails.send_invitation(invitation, link)
    except Exception as exc:  # noqa: BLE001 - SMTP, DNS, refused: the mentor is told, link kept
        log.warning("invitation mail to %s failed: %s", invitation.email, exc)
        outcome.unsent.append((invitation, link))
    else:
        outcome.sent.append(invitation)
