"""Bundles become assignments; the starter download carries only what mentees may have."""

from __future__ import annotations

import io
import zipfile

import pytest
from courses.models import Assignment, Week
from courses.roles import is_mentor
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from platform_testkit import BUNDLES
from rest_framework.test import APIClient


def test_seeding_twice_keeps_one_assignment_and_the_mentors_choices(db):  # type: ignore[no-untyped-def]
    call_command("seed_course", stdout=io.StringIO())
    Assignment.objects.update(private_revealed=True)
    call_command("seed_course", stdout=io.StringIO())
    assignment = Assignment.objects.get()
    assert assignment.slug == "platform-smoke" and assignment.private_revealed
    assert (assignment.kind, assignment.daily_quota, assignment.max_upload_mb) == (
        "functions",
        50,
        1,
    )
    assert assignment.statement.startswith("# Platform smoke test")
    assert assignment.parts[0]["checks"][0]["name"] == "add"
    assert Week.objects.get().number == 1


def test_a_broken_bundle_is_named_in_the_error(db, tmp_path):  # type: ignore[no-untyped-def]
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "assignment.toml").write_text('slug = "broken"\nweek = "one"\n')
    with pytest.raises(CommandError, match="broken"):
        call_command("seed_course", assignments=tmp_path, stdout=io.StringIO())


def test_the_starter_zip_holds_starter_and_public_tests_only(assignment):  # type: ignore[no-untyped-def]
    response = APIClient().get(f"/api/v1/assignments/{assignment.slug}/starter.zip")
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert sorted(names) == [
        "platform-smoke/public_tests/test_submission.py",
        "platform-smoke/submission.py",
    ]
    starter = (BUNDLES / "platform-smoke" / "starter" / "submission.py").read_bytes()
    assert (
        zipfile.ZipFile(io.BytesIO(response.content)).read("platform-smoke/submission.py")
        == starter
    )


def test_demo_users_exist_only_in_demo_mode(db, settings):  # type: ignore[no-untyped-def]
    settings.ARENA_DEMO = False
    with pytest.raises(CommandError, match="ARENA_DEMO=1"):
        call_command("create_demo_users", stdout=io.StringIO())
    settings.ARENA_DEMO = True
    call_command("create_demo_users", stdout=io.StringIO())
    call_command("create_demo_users", stdout=io.StringIO())  # safe to run again
    mentor = User.objects.get(username="mentor")
    assert is_mentor(mentor) and mentor.check_password("mentor-demo")
    for name in ("mentee1", "mentee2", "mentee3"):
        mentee = User.objects.get(username=name)
        assert not is_mentor(mentee) and mentee.check_password("mentee-demo")


def test_hidden_data_is_built_once_and_recorded(assignment, monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    from courses.models import HiddenDataset

    monkeypatch.setenv("ARENA_HOME", str(tmp_path))  # where arena_datasets builds it
    call_command("build_hidden_data", stdout=io.StringIO())
    call_command("build_hidden_data", assignment.slug, stdout=io.StringIO())
    dataset = HiddenDataset.objects.get(assignment=assignment)
    assert dataset.path.startswith(str(tmp_path / "hidden" / assignment.slug))
    assert dataset.content_hash in dataset.path
    with pytest.raises(CommandError, match="Unknown assignments: nope"):
        call_command("build_hidden_data", "nope", stdout=io.StringIO())


def test_the_course_stores_the_graders_normalised_parts_not_its_own_defaults(db, tmp_path):  # type: ignore[no-untyped-def]
    # The smoke bundle without a tolerance: the grader's default (rtol 1e-5) is what the page
    # and the stored parts say, not a platform default of 0.
    import shutil

    from courses.services import seed_course

    bundle = tmp_path / "platform-smoke"
    shutil.copytree(BUNDLES / "platform-smoke", bundle)
    manifest = bundle / "assignment.toml"
    manifest.write_text(manifest.read_text().replace("  rtol = 1e-6\n", "", 1))
    (assignment,) = seed_course(tmp_path)
    add = assignment.parts[0]["checks"][0]
    assert (add["name"], add["rtol"], add["atol"]) == ("add", 1e-5, 1e-6)
    assert assignment.parts[0]["rules"][0] == {
        "what": "add: every hidden case matches the reference (rtol 1e-05, atol 1e-06)",
        "points": 50.0,
    }


def test_week_titles_and_the_comparison_chart_come_from_the_bundles(db, tmp_path):  # type: ignore[no-untyped-def]
    import shutil

    from courses.services import seed_course

    bundle = tmp_path / "platform-smoke"
    shutil.copytree(BUNDLES / "platform-smoke", bundle)
    manifest = bundle / "assignment.toml"
    text = manifest.read_text()
    manifest.write_text(text.replace("week = 1\n", 'week = 1\nweek_title = "Tensors"\n', 1))
    seed_course(tmp_path)
    assert (Week.objects.get().title, Week.objects.get().comparison_chart) == ("Tensors", False)
    manifest.write_text(
        text.replace("week = 1\n", 'week = 1\nweek_title = "Compared"\ncomparison_chart = true\n')
    )
    seed_course(tmp_path)
    assert (Week.objects.get().title, Week.objects.get().comparison_chart) == ("Compared", True)


def test_a_misspelt_bundle_key_is_named_instead_of_silently_defaulted(db, tmp_path):  # type: ignore[no-untyped-def]
    import shutil

    bundle = tmp_path / "platform-smoke"
    shutil.copytree(BUNDLES / "platform-smoke", bundle)
    manifest = bundle / "assignment.toml"
    manifest.write_text(manifest.read_text().replace("  rtol = 1e-6\n", "  rtoll = 1e-6\n", 1))
    with pytest.raises(CommandError, match=r"check #1: unknown keys \['rtoll'\]"):
        call_command("seed_course", assignments=tmp_path, stdout=io.StringIO())
