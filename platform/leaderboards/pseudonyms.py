"""Pseudonyms on public boards, when a course asks for them (``BoardSettings.pseudonyms``).

A mentee keeps one pseudonym per course for good: it is drawn once (from a keyed hash of the
course and the user, so it carries nothing of the username), stored, and made unique within
the course by a number when two draws meet. Mentors always see real names; a mentee sees
their own row marked as theirs, under the same pseudonym everyone else reads.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from courses.models import Course
from courses.roles import AnyUser, is_mentor
from django.conf import settings
from django.db import IntegrityError, transaction

from leaderboards.models import BoardSettings, Pseudonym

ADJECTIVES = """
    Amber Bold Brisk Calm Clever Cobalt Crimson Daring Eager Fleet Gentle Golden Hardy Humble
    Ivory Jade Keen Lively Lucid Mellow Nimble Noble Olive Patient Quiet Rapid Rustic Sable
    Silver Steady Swift Tidy Umber Valiant Vivid Wary Witty Young Zesty Zealous
""".split()  # noqa: SIM905 - a word list reads best as words
ANIMALS = """
    Albatross Badger Beaver Bison Crane Dolphin Eagle Falcon Ferret Gecko Heron Ibex Jackal
    Kestrel Koala Lemur Lynx Marten Narwhal Ocelot Otter Owl Panda Pelican Puffin Quokka Raven
    Salmon Seal Stoat Tapir Toucan Turtle Viper Walrus Weasel Wombat Yak Zebra
""".split()  # noqa: SIM905 - a word list reads best as words


def pseudonyms_on(course: Course) -> bool:
    return BoardSettings.objects.filter(course=course, pseudonyms=True).exists()


def set_pseudonyms(course: Course, on: bool, actor: AnyUser | None = None) -> BoardSettings:
    """Turns pseudonyms on or off for the course's boards; a mentor's change is audited with
    the course settings (``courses.models.AuditEvent``)."""
    with transaction.atomic():
        board, _ = BoardSettings.objects.select_for_update().get_or_create(course=course)
        old = board.pseudonyms
        board.pseudonyms = on
        board.save(update_fields=["pseudonyms"])
        if actor is not None and old != on:
            _audit(actor, course, old, on)
    return board


def _audit(actor: AnyUser, course: Course, old: bool, new: bool) -> None:
    from courses.models import AuditEvent

    AuditEvent.objects.create(
        actor=actor,
        actor_name=actor.get_username(),
        assignment=None,
        subject=f"course {course.slug}",
        field="board pseudonyms",
        old_value="on" if old else "off",
        new_value="on" if new else "off",
    )


def _draw(course: Course, user_id: int) -> str:
    key = settings.SECRET_KEY.encode()
    digest = hmac.new(key, f"pseudonym:{course.pk}:{user_id}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big")
    return f"{ADJECTIVES[number % len(ADJECTIVES)]} {ANIMALS[(number // 97) % len(ANIMALS)]}"


def pseudonyms_for(course: Course, user_ids: Iterable[int]) -> dict[int, str]:
    """The pseudonym of each user on this course, drawing the missing ones (idempotent)."""
    wanted = set(user_ids)
    names = dict(
        Pseudonym.objects.filter(course=course, user_id__in=wanted).values_list("user_id", "name")
    )
    for user_id in sorted(wanted - set(names)):
        names[user_id] = _create(course, user_id)
    return names


def _create(course: Course, user_id: int) -> str:
    drawn = _draw(course, user_id)
    for attempt in range(1, 1000):
        name = drawn if attempt == 1 else f"{drawn} {attempt}"
        try:
            with transaction.atomic():
                Pseudonym.objects.create(course=course, user_id=user_id, name=name)
            return name
        except IntegrityError:
            # Either this user got one meanwhile (another request drew it) or the name is taken.
            mine = Pseudonym.objects.filter(course=course, user_id=user_id).first()
            if mine is not None:
                return mine.name
    raise RuntimeError(f"no free pseudonym for user {user_id} on {course}")


def shown_names(course: Course, users: dict[int, str], viewer: AnyUser) -> dict[int, str]:
    """What the viewer reads for each user (``{id: username}``): the usernames for mentors or
    where the course does not ask for pseudonyms, else the pseudonyms."""
    if is_mentor(viewer) or not pseudonyms_on(course):
        return dict(users)
    return pseudonyms_for(course, users)
