"""Reading whom to invite: addresses typed in a box, or a CSV of email[, name[, username]].

Every bad row is reported with its number and reason; the good rows are still usable, so a
mentor fixes only what was wrong.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

MAX_CSV_BYTES = 512 * 1024
MAX_ROWS = 2000
# Mails are sent while the mentor's request waits: a few hundred at most, or it times out.
MAX_AT_ONCE = 200
CSV_COLUMNS = ("email", "name", "username")
_SEPARATORS = re.compile(r"[\s,;]+")


@dataclass(frozen=True)
class Recipient:
    row: int
    email: str
    name: str = ""
    username: str = ""


@dataclass(frozen=True)
class RowError:
    row: int
    text: str
    reason: str
    where: str = "row"  # "row" of the CSV file, or "address" typed in the box

    def __str__(self) -> str:
        return f"{self.where} {self.row} ({self.text!r}): {self.reason}"


@dataclass
class Parsed:
    recipients: list[Recipient]
    errors: list[RowError]


class UnreadableFile(ValueError):
    """The request as a whole is refused (not UTF-8, too large, too many): nothing was invited."""


def at_most_per_request(parsed: Parsed) -> Parsed:
    if len(parsed.recipients) > MAX_AT_ONCE:
        raise UnreadableFile(
            f"{len(parsed.recipients)} addresses at once is too many: invite at most "
            f"{MAX_AT_ONCE} per request (split the file)."
        )
    return parsed


def from_text(text: str) -> Parsed:
    items = [item for item in _SEPARATORS.split(text.strip()) if item]
    return _checked(
        [Recipient(row=n, email=item) for n, item in enumerate(items, start=1)], where="address"
    )


def from_csv(data: bytes) -> Parsed:
    if len(data) > MAX_CSV_BYTES:
        raise UnreadableFile(f"The CSV file is over {MAX_CSV_BYTES // 1024} KiB.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableFile("The CSV file is not UTF-8 text (save it as CSV UTF-8).") from None
    rows = list(csv.reader(io.StringIO(text)))
    if len(rows) > MAX_ROWS:
        raise UnreadableFile(f"The CSV file has {len(rows)} rows; at most {MAX_ROWS} at once.")
    columns, start = _columns(rows)
    recipients, errors = [], []
    for number, cells in enumerate(rows[start:], start=start + 1):
        if not any(cell.strip() for cell in cells):
            continue  # blank lines are not mistakes
        if len(cells) > len(columns):
            errors.append(RowError(number, ",".join(cells), f"more than {len(columns)} columns"))
            continue
        fields = dict(zip(columns, (cell.strip() for cell in cells), strict=False))
        recipients.append(Recipient(row=number, **fields))
    parsed = _checked(recipients)
    parsed.errors = sorted([*errors, *parsed.errors], key=lambda error: error.row)
    return parsed


def _columns(rows: list[list[str]]) -> tuple[tuple[str, ...], int]:
    """A header row names the columns (any order); without one they are email, name, username."""
    if rows:
        header = tuple(cell.strip().lower().replace("e-mail", "email") for cell in rows[0])
        if "email" in header and set(header) <= set(CSV_COLUMNS):
            return header, 1
    return CSV_COLUMNS, 0


def _checked(recipients: list[Recipient], where: str = "row") -> Parsed:
    good: list[Recipient] = []
    errors: list[RowError] = []
    first_row: dict[str, int] = {}
    for recipient in recipients:
        reason = _problem(recipient, first_row)
        if reason:
            errors.append(RowError(recipient.row, recipient.email, reason, where))
            continue
        first_row[recipient.email.lower()] = recipient.row
        good.append(recipient)
    return Parsed(good, errors)


def _problem(recipient: Recipient, first_row: dict[str, int]) -> str:
    try:
        validate_email(recipient.email)
    except ValidationError:
        return "not an e-mail address" if recipient.email else "no e-mail address"
    if recipient.email.lower() in first_row:
        return f"the same address as row {first_row[recipient.email.lower()]}"
    if len(recipient.name) > 150:
        return "the name is longer than 150 characters"
    return _username_problem(recipient.username)


def _username_problem(username: str) -> str:
    if not username:
        return ""
    user_model = get_user_model()
    if len(username) > 150:
        return "the username is longer than 150 characters"
    try:
        user_model.username_validator(username)
    except ValidationError:
        return "the username may hold only letters, digits and @ . + - _"
    if user_model.objects.filter(username__iexact=username).exists():
        return f"the username {username!r} is taken"
    return ""
