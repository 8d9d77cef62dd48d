"""The mails the accounts app sends (the password reset mail is Django's, with our templates)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from accounts.models import Invitation


def send_invitation(invitation: Invitation, link: str) -> None:
    context = {
        "invitation": invitation,
        "link": link,
        "course": invitation.course,
        "inviter": invitation.invited_by,
        "days": settings.ARENA_INVITATION_TTL_DAYS,
    }
    subject = render_to_string("accounts/emails/invitation_subject.txt", context)
    body = render_to_string("accounts/emails/invitation.txt", context)
    send_mail(" ".join(subject.split()), body, None, [invitation.email])
