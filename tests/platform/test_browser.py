"""The portal in a real browser: Debian's chromium driven by Playwright, against gunicorn and a
Celery worker grading in bubblewrap. A mentee logs in, submits through the form and watches the
verdict arrive without reloading the page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from platform_testkit import REFERENCE_SOLUTION, SMOKE_SLUG
from playwright.sync_api import Browser, Page, sync_playwright
from stack import REPO, Stack

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.bwrap, pytest.mark.timeout(300)]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = REPO / "var" / "test-artifacts"
GRADING_SECONDS = 150


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The embedded platform (SQLite, filesystem broker), its static files collected as a
    deployment does, so the page loads the vendored htmx from the server itself."""
    tmp_path = tmp_path_factory.mktemp("browser")
    stack = Stack(home=tmp_path / "home", services=False)
    stack.home.mkdir()
    try:
        stack.prepare()
        stack.env["ARENA_STATIC_ROOT"] = str(tmp_path / "static")
        stack.manage("collectstatic", "--noinput", "-v", "0", "-i", "admin", "-i", "rest_framework")
        stack.start_web()
        stack.start_worker()
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


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest, platform: Stack) -> Iterator[Page]:
    context = browser.new_context(base_url=platform.url)
    opened = context.new_page()
    opened.set_default_timeout(20_000)
    yield opened
    # `rep_call` is kept on the test item by the hook in conftest.py.
    outcome = getattr(request.node, "rep_call", None)
    if outcome is None or outcome.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        opened.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def log_in(page: Page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/courses/"))


def watch_for_navigation(page: Page) -> list[str]:
    """Main-frame navigations from now on (a reload counts), plus a marker a reload would wipe."""
    navigations: list[str] = []
    page.on(
        "framenavigated",
        lambda frame: navigations.append(frame.url) if frame == page.main_frame else None,
    )
    page.evaluate("window.arenaSamePage = true")
    return navigations


def test_a_mentee_submits_and_watches_the_verdict_arrive(page: Page) -> None:
    log_in(page, "mentee1", "mentee-demo")
    assert "Signed in as" in page.inner_text("header")

    page.goto(f"/assignments/{SMOKE_SLUG}/")
    page.get_by_label("Your submission").set_input_files(str(REFERENCE_SOLUTION))
    page.get_by_role("button", name="Submit for grading").click()
    page.wait_for_url(re.compile(r"/submissions/\?assignment="))
    assert "received; it is queued for grading" in page.inner_text("main")

    row = page.locator("#submission-rows tr").first
    row_id = row.get_attribute("id")
    assert row_id and row_id.startswith("submission-")
    first_status = row.locator("[data-status]").get_attribute("data-status")
    assert first_status in ("queued", "running"), first_status

    # From here on the page must update itself: any navigation (a reload included) fails.
    navigations = watch_for_navigation(page)
    scored = page.locator(f'#{row_id} [data-status="scored"]')
    scored.wait_for(timeout=GRADING_SECONDS * 1000)
    assert navigations == []
    assert page.evaluate("window.arenaSamePage") is True
    assert page.locator(f"#{row_id} td.num").inner_text() == "100.0"
    # Every row is final: the live region stops polling.
    assert page.get_attribute("#submission-rows", "data-live") == "false"
    assert page.get_attribute("#submission-rows", "hx-trigger") is None

    page.locator(f"#{row_id} a").click()
    page.wait_for_url(re.compile(r"/submissions/\d+/$"))
    result = page.inner_text("main")
    assert "100.0 / 100" in result
    checks = page.locator("table.checks tbody tr")
    assert checks.count() == 2
    assert checks.nth(0).inner_text().split("\t")[:2] == ["add", "passed"]
    assert "[public] add case 0: ok" in page.inner_text("pre.logs")


def test_the_result_page_fills_in_by_itself_for_a_broken_upload(page: Page, tmp_path: Path) -> None:
    # Slow enough that the result page is open before the verdict, then broken on import.
    broken = tmp_path / "submission.py"
    broken.write_text('import time\n\ntime.sleep(5)\nraise RuntimeError("broken on purpose")\n')
    log_in(page, "mentee2", "mentee-demo")
    page.goto(f"/assignments/{SMOKE_SLUG}/")
    page.get_by_label("Your submission").set_input_files(str(broken))
    page.get_by_role("button", name="Submit for grading").click()
    page.wait_for_url(re.compile(r"/submissions/\?assignment="))
    page.locator("#submission-rows tr a").first.click()
    page.wait_for_url(re.compile(r"/submissions/\d+/$"))
    assert page.get_attribute("#result-panel", "data-status") in ("queued", "running")

    navigations = watch_for_navigation(page)
    page.locator('#result-panel[data-status="failed"]').wait_for(timeout=GRADING_SECONDS * 1000)
    assert navigations == [] and page.evaluate("window.arenaSamePage") is True
    alert = page.get_by_role("alert").inner_text()
    assert alert.startswith("exception:") and "RuntimeError" in alert, alert
    # A run that did not end scored shows no check result (threat 39): only the error.
    assert page.locator("table.checks tbody tr").count() == 0
