"""A board as a page shows it: the columns the viewer may read and the rows, sorted on request.

Rows come in rank order (``services.board_rows``, the baseline placed where it would rank).
A viewer may sort by any column they can read; equal values keep the rank order, and rows
without a value go last whichever the direction. A column the viewer may not read (a timing
metric before the deadline) is not offered and sorting by it is ignored, so its order cannot
be read back from the rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from courses.models import Assignment
from courses.roles import AnyUser
from submissions.visibility import rights, visible_columns

from leaderboards.columns import Column, board_columns
from leaderboards.services import BoardRow, board_rows

FIXED_SORTS = ("rank", "score", "submitted")
# Smaller first for these; larger first for points and metrics.
ASCENDING_FIRST = ("rank", "submitted")


@dataclass(frozen=True)
class Header:
    """A column heading: what it sorts by, the query that sorts by it, its ``aria-sort``."""

    key: str
    heading: str
    query: str  # "?sort=...&order=..."
    aria_sort: str  # "ascending" | "descending" | "none"
    numeric: bool
    column: Column | None = None


@dataclass(frozen=True)
class Board:
    columns: list[Column]
    public_rows: list[BoardRow]
    private_rows: list[BoardRow] | None
    sort: str = "rank"
    descending: bool = False
    headers: list[Header] = field(default_factory=list)


def visible_board_columns(assignment: Assignment, viewer: AnyUser) -> list[Column]:
    allowed = rights(assignment, viewer)
    keys = set(visible_columns([c.key for c in board_columns(assignment)], allowed))
    return [c for c in board_columns(assignment) if c.key in keys]


def chosen_sort(columns: list[Column], sort: str, order: str) -> tuple[str, bool]:
    """``(sort key, descending)``: what the request asked for where the viewer may sort by it,
    else by rank; the column's natural direction unless ``order`` says ``asc`` or ``desc``."""
    sortable = {*FIXED_SORTS, *(c.key for c in columns)}
    if sort not in sortable:
        sort = "rank"
    descending = order == "desc" if order in ("asc", "desc") else sort not in ASCENDING_FIRST
    return sort, descending


def board(assignment: Assignment, viewer: AnyUser, sort: str = "rank", order: str = "") -> Board:
    columns = visible_board_columns(assignment, viewer)
    sort, descending = chosen_sort(columns, sort, order)
    public = board_rows(assignment, private=False, viewer=viewer) or []
    private = board_rows(assignment, private=True, viewer=viewer)
    return Board(
        columns=columns,
        public_rows=sort_rows(public, sort, descending),
        private_rows=None if private is None else sort_rows(private, sort, descending),
        sort=sort,
        descending=descending,
        headers=_headers(columns, sort, descending),
    )


def _headers(columns: list[Column], sort: str, descending: bool) -> list[Header]:
    fixed = [("rank", "Rank", True, None), ("user", "Mentee", False, None)]
    fixed.append(("score", "Score", True, None))
    fixed += [(c.key, c.heading, True, c) for c in columns]
    fixed.append(("submitted", "Submitted", False, None))
    headers = []
    for key, heading, numeric, column in fixed:
        if key == "user":  # names are not a ranking: not sortable
            headers.append(Header(key, heading, "", "none", numeric))
            continue
        natural_desc = key not in ASCENDING_FIRST
        flip = not descending if key == sort else natural_desc
        query = f"?{urlencode({'sort': key, 'order': 'desc' if flip else 'asc'})}"
        aria = ("descending" if descending else "ascending") if key == sort else "none"
        headers.append(Header(key, heading, query, aria, numeric, column))
    return headers


def _value(row: BoardRow, sort: str, position: int) -> float | str | None:
    if sort == "rank":
        return position  # the rank order, the baseline where it would rank
    if sort == "score":
        return row["score"]
    if sort == "submitted":
        return row["submitted_at"]
    value: Any = row["metrics"].get(sort)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def sort_rows(rows: list[BoardRow], sort: str, descending: bool) -> list[BoardRow]:
    """Stable: equal values keep the rank order; missing values last."""
    valued = [(_value(row, sort, i), i, row) for i, row in enumerate(rows)]
    present = [v for v in valued if v[0] is not None]
    missing = [v for v in valued if v[0] is None]
    present.sort(key=lambda v: v[1])
    present.sort(key=lambda v: v[0], reverse=descending)  # type: ignore[arg-type, return-value]
    return [row for *_, row in present + missing]
