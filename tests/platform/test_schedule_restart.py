"""A restart (``seed_course`` runs at every start of `make run` and of the compose web service)
never undoes what a mentor set on the platform; a changed bundle is reported, not applied."""

from __future__ import annotations

import io
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from courses.models import Assignment
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from platform_testkit import BUNDLES, SMOKE_SLUG


@pytest.fixture
def bundles(tmp_path: Path, settings) -> Path:  # type: ignore[no-untyped-def]
    """A copy of the smoke bundle that the test may edit, as a mentor edits a bundle in git."""
    root = tmp_path / "assignments"
    shutil.copytree(BUNDLES / SMOKE_SLUG, root / SMOKE_SLUG)
    settings.ARENA_ASSIGNMENTS = root
    return root


def restart(root: Path) -> Assignment:
    call_command("seed_course", assignments=root, stdout=io.StringIO())
    return Assignment.objects.get(slug=SMOKE_SLUG)


def test_a_restart_keeps_the_schedule_quotas_publish_state_and_reveal(db, bundles):  # type: ignore[no-untyped-def]
    created = restart(bundles)
    bundle_defaults = (created.daily_quota, created.max_selected, created.public)
    closed = timezone.now() - timedelta(hours=1)
    opened = timezone.now() - timedelta(days=7)
    Assignment.objects.filter(pk=created.pk).update(
        opens_at=opened,
        deadline=closed,
        daily_quota=3,
        max_selected=1,
        public=not created.public,
        private_revealed=True,
    )
    again = restart(bundles)
    assert (again.opens_at, again.deadline) == (opened, closed)
    assert (again.daily_quota, again.max_selected, again.public) == (3, 1, not bundle_defaults[2])
    assert again.private_revealed and again.deadline_passed()
    assert not again.bundle_update_pending  # same bundle: nothing to report


def test_a_changed_bundle_updates_the_catalogue_and_asks_mentors_to_rejudge(  # type: ignore[no-untyped-def]
    db, bundles, mentor
):
    before = restart(bundles)
    Assignment.objects.filter(pk=before.pk).update(daily_quota=3)
    readme = bundles / SMOKE_SLUG / "README.md"
    readme.write_text(readme.read_text() + "\nA clarification added mid-term.\n")

    after = restart(bundles)
    assert after.bundle_hash != before.bundle_hash
    assert after.statement.endswith("A clarification added mid-term.\n")
    assert after.daily_quota == 3  # the catalogue follows the bundle, the schedule does not
    assert after.bundle_update_pending and after.bundle_updated_at is not None

    client = Client()
    client.force_login(mentor)
    page = client.get("/dashboard/").content.decode()
    assert f'data-bundle-updated="{SMOKE_SLUG}"' in page
    assert "bundle updated" in page and "rejudge?" in page


@pytest.mark.slow
@pytest.mark.services
def test_a_real_restart_on_postgresql_keeps_a_closed_assignment_closed(tmp_path: Path) -> None:
    """The same start-up command `make run` and compose run, in its own process, on PostgreSQL."""
    import psycopg
    from stack import Stack, drop_postgres_database

    stack = Stack(home=tmp_path, services=True)
    stack.prepare()  # migrate + seed_course + demo users, as a first start does
    with psycopg.connect(stack.env["DATABASE_URL"], autocommit=True) as connection:
        connection.execute(
            "UPDATE courses_assignment SET deadline = now() - interval '1 hour', "
            "daily_quota = 2, private_revealed = true WHERE slug = %s",
            (SMOKE_SLUG,),
        )
        stack.manage("seed_course")
        row = connection.execute(
            "SELECT deadline < now(), daily_quota, private_revealed, bundle_update_pending "
            "FROM courses_assignment WHERE slug = %s",
            (SMOKE_SLUG,),
        ).fetchone()
    drop_postgres_database()
    assert row == (True, 2, True, False)
