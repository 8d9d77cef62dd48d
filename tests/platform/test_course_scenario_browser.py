"""Issue 13's course, start to end, in a real browser (Debian's chromium, Playwright) against the
processes `make run` starts (gunicorn, a Celery worker, the outbox dispatcher) on PostgreSQL and
a Redis of the test's own, with week 1 copied to a temporary assignments folder:

the mentor invites two mentees and sets a deadline and a quota on the dashboard; the platform
restarts and the settings stay; a mentee accepts the invitation, chooses a password, submits and
reads their queue position; the mentee picks the run for the private board; past the deadline
the upload form is gone and the pick is final; the mentor reveals the private board and the
mentee reads it, the baseline row on it; an edit of the bundle copy is offered for rejudge on
the dashboard and the rejudge recomputes the board.

Nothing here goes through /admin/ or a shell: only the restarts and the edit of the bundle copy
happen outside the browser."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from accounts_kit import LINK
from fault_kit import OwnRedis
from playwright.sync_api import Browser, Page, sync_playwright
from stack import REPO, Stack, drop_postgres_database, wait_until

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.bwrap,
    pytest.mark.services,
    # Week 1 grades in 55-85 s at this machine's usual load (five gradings here: the baseline
    # and Nina's run, then three after the bundle edit) and each start of `make run` takes
    # about a minute: 813 s measured at a load of ~10, far past the 4 minutes aimed at.
    pytest.mark.timeout(1200),
]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
ARTIFACTS = REPO / "var" / "test-artifacts"
WEEK1 = "week1-tensors"
# Loses exactly the one_hot check (wrong/expectations.toml): 85 of 100 as shipped.
WRONG_UPLOAD = REPO / "assignments" / WEEK1 / "wrong" / "one_hot_width_from_labels.py"
PASSWORD = "nina-chooses-this-2026"
SETTINGS = f"/dashboard/assignments/{WEEK1}/settings/"


@dataclass
class ScenarioStack(Stack):
    """The test platform on a copy of week 1 (the bundle edit never touches the repository),
    with the static files collected and the hidden data built, as `make run` does."""

    assignments: Path | None = None

    def manage(self, *args: str) -> str:
        # Stack.prepare fills env, then runs its commands through here: the copy replaces the
        # test bundles before the first seed_course.
        assert self.assignments is not None
        self.env["ARENA_ASSIGNMENTS"] = str(self.assignments)
        self.env["ARENA_STATIC_ROOT"] = str(self.home / "static")
        self.env["ARENA_EMAIL_BACKEND"] = "console"
        return super().manage(*args)

    def start_all(self) -> None:
        """`make run`'s start: migrate, static files, bundles, hidden data, the baselines
        (only what changed is graded again), then the processes."""
        for command in (
            ["migrate", "--noinput", "-v", "0"],
            ["collectstatic", "--noinput", "-v", "0", "-i", "admin", "-i", "rest_framework"],
            ["seed_course"],
            ["build_hidden_data"],
            ["grade_baselines"],
        ):
            self.manage(*command)
        self.start_web()
        self.start_dispatcher()

    def stop_all(self) -> None:
        """Ctrl-C on `make run`: every process goes (their state lives in the database)."""
        self.stop()
        self.workers = []
        self.web = self.dispatcher = None


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScenarioStack]:
    tmp_path = tmp_path_factory.mktemp("course-scenario")
    assignments = tmp_path / "assignments"
    shutil.copytree(REPO / "assignments" / WEEK1, assignments / WEEK1)
    broker = OwnRedis(tmp_path / "redis")
    broker.start()
    stack = ScenarioStack(
        home=tmp_path / "home", services=True, broker_url=broker.url, assignments=assignments
    )
    stack.home.mkdir()
    try:
        stack.prepare()
        stack.start_all()
        yield stack
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.stop_all()
        drop_postgres_database()
        broker.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).is_file(), f"{CHROMIUM} is missing: apt-get install chromium"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def new_page(browser: Browser, stack: Stack) -> Page:
    page = browser.new_context(base_url=stack.url).new_page()
    page.set_default_timeout(20_000)
    return page


def log_in(page: Page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/courses/"))
    assert f"Signed in as {username}" in page.inner_text("header")


def mailed_link(stack: Stack, address: str) -> str:
    """The invitation link in the console mail to `address` (the web server's output)."""
    found: list[str] = []

    def look() -> bool:
        for log in stack.home.glob("web.log"):
            for mail in log.read_text(errors="replace").split("To: ")[1:]:
                if mail.startswith(address) and (link := LINK.search(mail)):
                    found.append(link.group(0))
        return bool(found)

    wait_until(look, 10, f"the invitation mail to {address}")
    return found[-1]


def restart(stack: ScenarioStack, worker: bool = True) -> None:
    stack.stop_all()
    stack.start_all()
    if worker:
        stack.start_worker()


def minutes(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def save_settings(page: Page) -> None:
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_url(re.compile(re.escape(SETTINGS) + "$"))
    assert "saved (" in page.inner_text(".messages")


def board_score(page: Page, board: str, user: str) -> str:
    row = page.locator(f'table[data-board="{board}"] tbody tr', has_text=user)
    return row.locator("td:nth-child(3)").inner_text().split()[0]


def wait_for_board_score(page: Page, url: str, board: str, user: str, score: str) -> None:
    def shows() -> bool:
        page.goto(url)
        rows = page.locator(f'table[data-board="{board}"] tbody tr', has_text=user)
        return rows.count() == 1 and board_score(page, board, user) == score

    wait_until(shows, 420, f"{user} at {score} on the {board}")


def with_points(manifest: str, check: str, points: int) -> str:
    """The manifest with `check`'s points changed (the first points line after its name)."""
    pattern = re.compile(rf'(name = "{check}"\n(?:[^\[]*?\n)??\s*points = )\d+')
    edited, count = pattern.subn(rf"\g<1>{points}", manifest, count=1)
    assert count == 1, f"no points line for {check}"
    return edited


def test_a_course_from_invitation_to_rejudge_in_the_browser(  # type: ignore[no-untyped-def]
    browser: Browser, platform: ScenarioStack
) -> None:
    mentor = new_page(browser, platform)
    mentee = new_page(browser, platform)
    board = f"/assignments/{WEEK1}/leaderboard/"
    try:
        # The mentor invites two mentees and sets the schedule on the dashboard.
        log_in(mentor, "mentor", "mentor-demo")
        mentor.goto("/dashboard/")
        mentor.get_by_role("link", name="Invite mentees").click()
        mentor.get_by_label("E-mail addresses").fill("nina@example.org\nomar@example.org")
        mentor.get_by_role("button", name="Send invitations").click()
        assert "2 invitations sent" in mentor.inner_text("[data-outcome]")

        deadline = minutes(datetime.now(UTC) + timedelta(days=2))
        mentor.goto("/dashboard/")
        mentor.locator(f'[data-settings="{WEEK1}"]').click()
        mentor.get_by_label("Deadline", exact=True).fill(deadline)
        mentor.get_by_label("Daily quota").fill("4")
        save_settings(mentor)

        # A restart of everything: the settings stay, the invitations stay valid. The worker
        # stays away until Nina has submitted, so her run is certain to wait in the queue
        # (behind the baseline `make run` queued).
        restart(platform, worker=False)
        mentor.goto(SETTINGS)
        assert mentor.get_by_label("Deadline", exact=True).input_value() == deadline
        assert mentor.get_by_label("Daily quota").input_value() == "4"

        # Nina joins from her mail and chooses a password.
        mentee.goto(mailed_link(platform, "nina@example.org"))
        mentee.get_by_label("Username").fill("nina")
        mentee.get_by_label("Password", exact=True).fill(PASSWORD)
        mentee.get_by_label("Password confirmation").fill(PASSWORD)
        mentee.get_by_role("button", name="Create my account").click()
        mentee.wait_for_url(re.compile(r"/accounts/login/"))
        mentee.get_by_label("Password").fill(PASSWORD)
        mentee.get_by_role("button", name="Log in").click()
        mentee.wait_for_url(re.compile(r"/courses/"))
        assert "Signed in as nina" in mentee.inner_text("header")

        # She submits while no worker runs: her run waits and says where it stands.
        mentee.goto(f"/assignments/{WEEK1}/")
        assert "4 of 4 submissions left" in mentee.inner_text("main")  # the mentor's quota
        mentee.get_by_label("Your submission").set_input_files(str(WRONG_UPLOAD))
        mentee.get_by_role("button", name="Submit for grading").click()
        mentee.wait_for_url(re.compile(r"/submissions/\?assignment="))
        assert "queued for grading" in mentee.inner_text("main")
        mentee.locator('a[href^="/submissions/"]', has_text="#").first.click()
        mentee.wait_for_url(re.compile(r"/submissions/\d+/$"))
        result_url = mentee.url
        status = mentee.locator("[data-queue-position]")
        assert int(status.get_attribute("data-queue-position") or 0) >= 1
        assert re.search(r"Position \d+ in the queue", status.inner_text())

        # Graded once a worker is back; she picks it for the private board.
        platform.start_worker()

        def scored() -> bool:
            mentee.goto(result_url)
            return mentee.get_by_role("button", name="Select for the private leaderboard").count() == 1

        wait_until(scored, 420, "nina's run to be scored")
        mentee.get_by_role("button", name="Select for the private leaderboard").click()
        assert "selected for the private leaderboard" in mentee.inner_text(".messages")
        wait_for_board_score(mentee, board, "public-board", "nina", "85.00")

        # The deadline passes (the mentor moves it): no upload form, and the pick is final.
        mentor.goto(SETTINGS)
        mentor.get_by_label("Deadline", exact=True).fill(
            minutes(datetime.now(UTC) - timedelta(hours=1))
        )
        save_settings(mentor)
        mentee.goto(f"/assignments/{WEEK1}/")
        assert "The deadline has passed: submissions are closed." in mentee.inner_text("main")
        assert mentee.get_by_role("button", name="Submit for grading").count() == 0
        mentee.goto(result_url)
        mentee.get_by_role("button", name="Remove from the private leaderboard").click()
        assert "the selection for the private leaderboard is final" in mentee.inner_text(
            ".messages"
        )
        assert mentee.get_by_role("button", name="Remove from the private leaderboard").count() == 1

        # The private board: hidden from her until the mentor reveals it.
        mentee.goto(board)
        assert "revealed by the mentors after the deadline" in mentee.inner_text("main")
        mentor.goto("/dashboard/")
        mentor.get_by_role("button", name="Reveal").click()
        mentee.goto(board)
        assert board_score(mentee, "private-board", "nina") == "85.00"
        baseline = mentee.locator('table[data-board="public-board"] tr.baseline')
        assert baseline.count() == 1 and "baseline" in baseline.inner_text()
        assert baseline.locator("td:nth-child(3)").inner_text().startswith("100.00")

        # The bundle changes (one_hot is worth 25, normalize 10): the dashboard offers a rejudge
        # and the rejudge recomputes both boards (85 -> 75).
        manifest = platform.assignments / WEEK1 / "assignment.toml"  # type: ignore[operator]
        text = manifest.read_text()
        edited = with_points(with_points(text, "normalize_per_channel", 10), "one_hot", 25)
        manifest.write_text(edited)
        restart(platform)
        mentor.goto("/dashboard/")
        assert mentor.locator(f'[data-bundle-updated="{WEEK1}"]').count() == 1
        row = mentor.locator(f'tr[data-rejudge="{WEEK1}"]')
        assert "bundle updated: rejudge?" in row.inner_text()
        row.get_by_role("button", name="Rejudge the outdated").click()
        mentor.wait_for_load_state()
        wait_for_board_score(mentee, board, "public-board", "nina", "75.00")
        assert board_score(mentee, "private-board", "nina") == "75.00"
    except BaseException:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for name, page in (("mentor", mentor), ("mentee", mentee)):
            page.screenshot(path=str(ARTIFACTS / f"course-scenario-{name}.png"), full_page=True)
        raise
