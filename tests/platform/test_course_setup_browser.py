"""Course set-up in a real browser (Debian's chromium, Playwright) against gunicorn: the mentor
sets a deadline and a quota on the dashboard, the platform restarts (``seed_course`` runs as at
every start) and the settings stay; a mentee past the deadline is refused, then, once the mentor
accepts late uploads, submits and is marked late."""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from platform_testkit import REFERENCE_SOLUTION, SMOKE_SLUG
from playwright.sync_api import Browser, Page, sync_playwright
from stack import REPO, Stack

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
ARTIFACTS = REPO / "var" / "test-artifacts"
SETTINGS = f"/dashboard/assignments/{SMOKE_SLUG}/settings/"


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The embedded platform (SQLite); no worker: nothing here needs a verdict."""
    tmp_path = tmp_path_factory.mktemp("course-setup-browser")
    stack = Stack(home=tmp_path / "home", services=False)
    stack.home.mkdir()
    try:
        stack.prepare()
        stack.env["ARENA_STATIC_ROOT"] = str(tmp_path / "static")
        stack.manage("collectstatic", "--noinput", "-v", "0", "-i", "admin", "-i", "rest_framework")
        stack.start_web()
        yield stack
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).is_file(), f"{CHROMIUM} is missing: apt-get install chromium"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def restart(stack: Stack) -> None:
    """What a restart of `make run` or the compose web service does: the web server goes,
    ``seed_course`` reloads the bundles, the web server comes back."""
    assert stack.web is not None
    os.killpg(stack.web.pid, signal.SIGTERM)
    stack.web.wait(timeout=30)
    stack.manage("seed_course")
    stack.start_web()


def signed_in(browser: Browser, stack: Stack, username: str, password: str) -> Page:
    page = browser.new_context(base_url=stack.url).new_page()
    page.set_default_timeout(20_000)
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    assert "Signed in as" in page.inner_text("header")
    return page


def save(page: Page) -> None:
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_url(re.compile(re.escape(SETTINGS) + "$"))
    assert "saved (" in page.inner_text(".messages")


def test_settings_survive_a_restart_and_the_deadline_holds_in_the_browser(  # type: ignore[no-untyped-def]
    browser: Browser, platform: Stack, request
) -> None:
    mentor = signed_in(browser, platform, "mentor", "mentor-demo")
    mentee = signed_in(browser, platform, "mentee1", "mentee-demo")
    try:
        deadline = (datetime.now(UTC) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
        mentor.goto("/dashboard/")
        mentor.locator(f'[data-settings="{SMOKE_SLUG}"]').click()
        mentor.get_by_label("Deadline", exact=True).fill(deadline)
        mentor.get_by_label("Daily quota").fill("3")
        save(mentor)

        restart(platform)
        mentor.goto(SETTINGS)
        assert mentor.get_by_label("Deadline", exact=True).input_value() == deadline
        assert mentor.get_by_label("Daily quota").input_value() == "3"
        assert 'data-audit-field="daily_quota"' in mentor.content()

        mentee.goto(f"/assignments/{SMOKE_SLUG}/")
        assert "The deadline has passed: submissions are closed." in mentee.inner_text("main")
        assert mentee.get_by_role("button", name="Submit for grading").count() == 0

        mentor.get_by_label("Late uploads").select_option("penalty")
        mentor.get_by_label("Late penalty (% per day)").fill("20")
        save(mentor)

        mentee.reload()
        assert "loses 20% of its score per day late" in mentee.inner_text("[data-late-notice]")
        mentee.get_by_label("Your submission").set_input_files(str(REFERENCE_SOLUTION))
        mentee.get_by_role("button", name="Submit for grading").click()
        mentee.wait_for_url(re.compile(r"/submissions/\?assignment="))
        assert "received; it is queued for grading" in mentee.inner_text("main")

        mentor.goto("/dashboard/progress/")
        cell = mentor.locator('[data-cell="mentee1:1"]')
        assert cell.get_attribute("data-late") == "1" and cell.get_attribute("data-attempts") == "1"
    except BaseException:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for name, page in (("mentor", mentor), ("mentee", mentee)):
            page.screenshot(path=str(ARTIFACTS / f"course-setup-{name}.png"), full_page=True)
        raise
