"""Helpers of the accounts tests: inviting through the mentor's page and reading the mail."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client

INVITE_URL = "/accounts/invite/"
LINK = re.compile(r"https?://[^\s]+/accounts/join/[^\s/]+/")
RESET_LINK = re.compile(r"https?://[^\s]+/accounts/password/reset/[^\s]+/[^\s]+/")


def mentor_client(mentor) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(mentor)
    return client


def invite(client: Client, course, addresses: str = "", csv: bytes | None = None, role="mentee"):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    data: dict[str, object] = {"course": course.pk, "addresses": addresses, "role": role}
    if csv is not None:
        data["csv_file"] = SimpleUploadedFile("mentees.csv", csv, content_type="text/csv")
    return client.post(INVITE_URL, data)


def link_in_mail(to: str) -> str:
    """The path of the invitation link in the last mail sent to `to`."""
    (message,) = [m for m in mail.outbox if to in m.to][-1:]
    found = LINK.search(message.body)
    assert found, message.body
    return "/" + found.group(0).split("/", 3)[3]


def join(link: str, username: str, password: str, client: Client | None = None):  # type: ignore[no-untyped-def]
    client = client or Client()
    return client.post(link, {"username": username, "password1": password, "password2": password})


def make_assignment(slug: str = "accounts-week1"):  # type: ignore[no-untyped-def]
    """A course with one assignment, made directly: these tests are about people, not bundles."""
    from courses.models import Assignment, Course, Week

    course, _ = Course.objects.get_or_create(slug="accounts-course", defaults={"title": "CNNs"})
    week, _ = Week.objects.get_or_create(course=course, number=1, defaults={"title": "Tensors"})
    return Assignment.objects.create(
        week=week, slug=slug, title="Tensors", kind="functions", bundle_dir=slug
    )
