"""The leaderboard in a real browser (Debian's chromium driven by Playwright, against gunicorn):
the mentee's own row highlighted, the baseline row marked and unranked, headings that sort.
The board's entries are written straight into the database (no grading needed to draw it)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from platform_testkit import SMOKE_SLUG
from playwright.sync_api import Page, sync_playwright
from stack import Stack

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240)]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]

ENTRIES = """
import hashlib
from courses.models import Assignment
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from leaderboards.baselines import grade_baseline
from leaderboards.services import update_entry
from submissions.models import Status, Submission

parts = [
    {"name": "functions", "kind": "functions", "checks": [{"name": "add", "points": 50}]},
    {"name": "cnn", "kind": "model", "scoring": {"metric": "accuracy", "accuracy_points": 50}},
]
a = Assignment.objects.get(slug="platform-smoke")
names = {f.name for f in Assignment._meta.get_fields()}
setattr(a, "parts" if "parts" in names else "scoring", parts)
a.save()

def report(score, accuracy):
    metrics = {"cnn/accuracy": accuracy}
    return {"status": "scored", "score": score, "checks": [], "metrics": metrics}

for name, score, accuracy in [("mentee1", 80.0, 0.91), ("mentee2", 90.0, 0.88), ("mentee3", 70.0, 0.95)]:
    owner = User.objects.get(username=name)
    content = f"# {name}".encode()
    s = Submission(owner=owner, assignment=a, sha256=hashlib.sha256(content).hexdigest(),
                   original_filename="submission.py", size_bytes=len(content),
                   status=Status.SCORED, score=score, report=report(score, accuracy))
    s.file.save("submission.py", ContentFile(content), save=False)
    s.save()
    update_entry(a, owner)
_, baseline = grade_baseline(a)
baseline.status, baseline.score, baseline.report = Status.SCORED, 85.0, report(85.0, 0.9)
baseline.save()
"""


@pytest.fixture(scope="module")
def board_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("board") / "home"
    home.mkdir()
    stack = Stack(home=home, services=False)
    try:
        stack.prepare()
        # Static files collected as a deployment does: the page's own stylesheet is served.
        stack.env["ARENA_STATIC_ROOT"] = str(home.parent / "static")
        stack.manage("collectstatic", "--noinput", "-v", "0", "-i", "admin", "-i", "rest_framework")
        stack.manage("shell", "-c", ENTRIES)
        stack.start_web()
        yield stack.url
    except BaseException:
        print(stack.logs())
        raise
    finally:
        stack.stop()


@pytest.fixture
def page(board_url: str) -> Iterator[Page]:
    assert Path(CHROMIUM).is_file(), f"{CHROMIUM} is missing: apt-get install chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(base_url=board_url)
        opened = context.new_page()
        opened.set_default_timeout(20_000)
        yield opened
        browser.close()


def names(page: Page) -> list[str]:
    cells = page.locator('table[data-board="public-board"] tbody tr td:nth-child(2)')
    return [text.split()[0] for text in cells.all_inner_texts()]


def test_the_board_marks_me_and_the_baseline_and_sorts_by_a_heading(page: Page) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("mentee1")
    page.get_by_label("Password").fill("mentee-demo")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/courses/"))
    page.goto(f"/assignments/{SMOKE_SLUG}/leaderboard/")

    assert names(page) == ["mentee2", "Baseline", "mentee1", "mentee3"]
    mine = page.locator("tr.me")
    assert mine.count() == 1 and "mentee1" in mine.inner_text() and "you" in mine.inner_text()
    # Highlighted for the eye, not only in the markup.
    background = mine.evaluate("row => getComputedStyle(row).backgroundColor")
    assert background == "rgb(255, 248, 220)", background
    baseline = page.locator("tr.baseline")
    assert baseline.locator("td").first.inner_text().strip() == "–"  # no rank
    assert "baseline" in baseline.inner_text()

    heading = page.get_by_role("columnheader", name=re.compile("^Accuracy"))
    heading.get_by_role("link").click()
    page.wait_for_url(re.compile(r"sort=cnn%2Faccuracy"))
    assert names(page) == ["mentee3", "mentee1", "Baseline", "mentee2"]
    assert (
        page.get_by_role("columnheader", name=re.compile("^Accuracy")).get_attribute("aria-sort")
        == "descending"
    )
    page.get_by_role("columnheader", name=re.compile("^Accuracy")).get_by_role("link").click()
    page.wait_for_url(re.compile(r"order=asc"))
    assert names(page) == ["mentee2", "Baseline", "mentee1", "mentee3"]
