"""Enrolment in a real browser (Debian's chromium, Playwright) against gunicorn in demo mode: the
mentor invites from the dashboard, the mentee opens the link from the console e-mail in the web
server's output, chooses a password and logs in."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from accounts_kit import LINK
from playwright.sync_api import Browser, Page, sync_playwright
from stack import Stack, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
PASSWORD = "my-own-passphrase-2026"


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """No worker: nothing is graded here. ARENA_DEMO=1 selects the console mail backend."""
    tmp_path = tmp_path_factory.mktemp("accounts-browser")
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
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def new_page(browser: Browser, platform: Stack) -> Page:
    page = browser.new_context(base_url=platform.url).new_page()
    page.set_default_timeout(20_000)
    return page


def mailed_link(platform: Stack, address: str) -> str:
    """The invitation link of the console mail to `address`, as the mentee would copy it."""
    found: list[str] = []

    def look() -> bool:
        log = (platform.home / "web.log").read_text(errors="replace")
        for mail in log.split("To: ")[1:]:
            if mail.startswith(address) and (link := LINK.search(mail)):
                found.append(link.group(0))
        return bool(found)

    wait_until(look, 10, f"the invitation mail to {address} in the web server's output")
    return found[-1]


def test_a_mentor_invites_and_the_mentee_joins_from_the_mail(browser: Browser, platform: Stack) -> None:
    mentor = new_page(browser, platform)
    mentor.goto("/accounts/login/")
    mentor.get_by_label("Username").fill("mentor")
    mentor.get_by_label("Password").fill("mentor-demo")
    mentor.get_by_role("button", name="Log in").click()
    mentor.wait_for_url(re.compile(r"/courses/"))
    mentor.goto("/dashboard/")
    mentor.get_by_role("link", name="Invite mentees").click()
    mentor.wait_for_url(re.compile(r"/accounts/invite/$"))
    mentor.get_by_label("E-mail addresses").fill("nina@example.org\nomar@example.org")
    mentor.get_by_role("button", name="Send invitations").click()
    assert "2 invitations sent" in mentor.inner_text("[data-outcome]")
    assert mentor.locator('tr[data-invitation="nina@example.org"] [data-status]').inner_text() \
        .startswith("pending")

    mentee = new_page(browser, platform)
    mentee.goto(mailed_link(platform, "nina@example.org"))
    assert "You are invited to" in mentee.inner_text("main")
    mentee.get_by_label("Username").fill("nina")
    mentee.get_by_label("Password", exact=True).fill(PASSWORD)
    mentee.get_by_label("Password confirmation").fill(PASSWORD)
    mentee.get_by_role("button", name="Create my account").click()
    mentee.wait_for_url(re.compile(r"/accounts/login/"))
    assert "is ready and enrolled" in mentee.inner_text("main")
    assert mentee.get_by_label("Username").input_value() == "nina"
    mentee.get_by_label("Password").fill(PASSWORD)
    mentee.get_by_role("button", name="Log in").click()
    mentee.wait_for_url(re.compile(r"/courses/"))
    assert "Signed in as nina" in mentee.inner_text("header")
    assert "Dashboard" not in mentee.inner_text("header")

    # The link was spent; the mentor's list says who accepted it.
    again = new_page(browser, platform)
    again.goto(mailed_link(platform, "nina@example.org"))
    assert "already been used" in again.get_by_role("alert").inner_text()
    mentor.reload()
    status = mentor.locator('tr[data-invitation="nina@example.org"] [data-status]').inner_text()
    assert status == "accepted as nina"
