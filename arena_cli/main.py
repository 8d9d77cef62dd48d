"""`arena login | assignments | submit | status | leaderboard` (contracts.md section 4)."""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from pathlib import Path
from typing import Any

from arena_cli.client import ArenaClient, ArenaError, forget_token, load_token, save_token

FINAL = {"scored", "failed", "error", "rejected"}
POLL_S = 1.0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except ArenaError as exc:
        print(f"arena: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="arena", description="Deep Dive Arena client (ARENA_URL picks the server)."
    )
    commands = parser.add_subparsers(required=True, dest="command")
    login = commands.add_parser("login", help="get a token and keep it in ~/.config/arena/token")
    login.add_argument("--username")
    login.add_argument("--password")
    login.set_defaults(handler=cmd_login)
    commands.add_parser(
        "logout", help="revoke the token on the server and forget it here"
    ).set_defaults(handler=cmd_logout)
    commands.add_parser("assignments", help="list the assignments").set_defaults(
        handler=cmd_assignments
    )
    submit = commands.add_parser("submit", help="upload a .py, .zip or .ipynb")
    submit.add_argument("slug")
    submit.add_argument("file", type=Path)
    submit.add_argument("--wait", action="store_true", help="follow the grading until the verdict")
    submit.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait at most")
    submit.set_defaults(handler=cmd_submit)
    status = commands.add_parser("status", help="show one submission")
    status.add_argument("id", type=int)
    status.set_defaults(handler=cmd_status)
    board = commands.add_parser("leaderboard", help="show an assignment's leaderboard")
    board.add_argument("slug")
    board.set_defaults(handler=cmd_leaderboard)
    return parser


def _client() -> ArenaClient:
    token = load_token()
    if token is None:
        raise ArenaError("Not logged in: run `arena login` first.")
    return ArenaClient(token=token)


def cmd_login(args: argparse.Namespace) -> int:
    username = args.username or input("username: ")
    password = args.password or getpass.getpass("password: ")
    issued = ArenaClient().login(username, password)
    path = save_token(str(issued["token"]))
    expiry = f" (it expires {issued['expires']})" if issued.get("expires") else ""
    print(f"Logged in as {username}; token saved in {path}{expiry}.")
    return 0


def cmd_logout(args: argparse.Namespace) -> int:
    """The server forgets the token first: a copy left on another machine stops working too."""
    token = load_token()
    if token is None:
        print("Not logged in.")
        return 0
    try:
        ArenaClient(token=token).revoke_token()
    except ArenaError as exc:
        if "arena login" not in str(exc):  # expired or revoked already: nothing to revoke
            raise
    forget_token()
    print("Logged out: the token is revoked.")
    return 0


def cmd_assignments(args: argparse.Namespace) -> int:
    rows = [
        (f"week {a['week']}", a["slug"], a["kind"], a["deadline"] or "-", a["title"])
        for a in _client().assignments()
    ]
    _table(("week", "slug", "kind", "deadline", "title"), rows)
    return 0


def cmd_submit(args: argparse.Namespace) -> int:
    if not args.file.is_file():
        raise ArenaError(f"{args.file} is not a file.")
    client = _client()
    created = client.submit(args.slug, args.file)
    print(f"Submission {created['id']} is {created['status']}.")
    if not args.wait:
        return 0
    submission = _wait(client, int(created["id"]), args.timeout)
    _show(submission)
    return 0 if submission["status"] == "scored" else 1


def _wait(client: ArenaClient, submission_id: int, timeout: float) -> dict[str, Any]:
    started = time.monotonic()
    progress = Progress()
    while True:
        submission = client.submission(submission_id)
        elapsed = time.monotonic() - started
        if submission["status"] in FINAL:
            progress.done()
            return submission
        if elapsed > timeout:
            progress.done()
            raise ArenaError(
                f"Still {submission['status']} after {timeout:.0f} s; "
                f"check later with `arena status {submission_id}`."
            )
        progress.show(state(submission), elapsed)
        time.sleep(POLL_S)


def state(submission: dict[str, Any]) -> str:
    """The status, with the queue position and estimated start while it waits."""
    queue = submission.get("queue") or {}
    if submission.get("status") != "queued" or not queue.get("position"):
        return str(submission.get("status"))
    text = f"queued, position {queue['position']}"
    wait = queue.get("estimated_wait_s")
    if isinstance(wait, int | float):
        text += (
            f", starts in about {wait / 60:.0f} min"
            if wait >= 90
            else f", starts in about {wait:.0f} s"
        )
    return text


class Progress:
    """A spinner with the elapsed time on a terminal; one line per change of status otherwise."""

    FRAMES = "|/-\\"

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.tick = 0
        self.last_status = ""

    def show(self, status: str, elapsed: float) -> None:
        if self.tty:
            frame = self.FRAMES[self.tick % len(self.FRAMES)]
            sys.stderr.write(f"\r\033[K{frame} {status} ({elapsed:.0f} s)")
            sys.stderr.flush()
            self.tick += 1
        elif status != self.last_status:
            print(f"... {status} ({elapsed:.0f} s)", file=sys.stderr)
        self.last_status = status

    def done(self) -> None:
        if self.tty:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def cmd_status(args: argparse.Namespace) -> int:
    submission = _client().submission(args.id)
    _show(submission)
    return 0 if submission["status"] in ("scored", "queued", "running") else 1


def _show(submission: dict[str, Any]) -> None:
    score = submission.get("score")
    print(
        f"Submission {submission['id']} ({submission['assignment']}): {state(submission)}"
        + (f", score {score:.2f}" if score is not None else "")
    )
    for check in submission.get("checks") or []:
        mark = "PASS" if check.get("passed") else "FAIL"
        line = f"  {mark} {check.get('name')}: {check.get('points', 0):g}/{check.get('max_points', 0):g}"
        if check.get("message"):
            line += f"  {check['message']}"
        print(line)
    for key, value in sorted((submission.get("metrics") or {}).items()):
        if not isinstance(value, dict):
            print(f"  {key}: {value}")
    if error := submission.get("error"):
        print(f"  {error.get('kind')}: {error.get('message')}")
    if review := submission.get("review"):
        print(f"  {review.get('message')}")


def cmd_leaderboard(args: argparse.Namespace) -> int:
    board = _client().leaderboard(args.slug)
    for name in ("public", "private"):
        rows = board.get(name)
        if rows is None:
            continue
        print(f"{name} leaderboard")
        _table(
            ("rank", "user", "score", "submission", "submitted"),
            [
                (
                    r["rank"],
                    r["user"],
                    f"{r['score']:.2f}",
                    r["submission_id"],
                    r["submitted_at"][:16],
                )
                for r in rows
            ],
        )
        baseline = (board.get("baseline") or {}).get(name)
        if baseline:  # the reference solution: shown for comparison, never ranked
            print(f"  baseline: {baseline['user']} {baseline['score']:.2f}")
    return 0


def _table(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    cells = [tuple(str(c) for c in header)] + [tuple(str(c) for c in row) for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for row in cells:
        print("  ".join(value.ljust(width) for value, width in zip(row, widths)).rstrip())


if __name__ == "__main__":
    sys.exit(main())
