"""Code similarity between mentees' submissions of one assignment, by ``copydetect`` (winnowed
fingerprints of the tokenised code: renamed variables and reformatting do not hide a copy).

It runs on the trusted web side, on demand, over the stored uploads: a ``.py`` as it is, a
notebook's code cells, a zip's ``.py`` members read in memory with size caps (nothing is
extracted or run). The bundle's starter code is boilerplate: code every mentee was given does not
count as copied.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from courses.models import Assignment
from django.db.models import QuerySet
from submissions.models import Status, Submission

NOISE_TOKENS = 25  # copydetect's default: shorter common runs are noise
GUARANTEE_TOKENS = 30  # a common run this long is always found
DEFAULT_THRESHOLD = 0.5
PER_MENTEE = 3  # latest distinct uploads of each mentee compared
MAX_SOURCE_BYTES = 512 * 1024
MAX_ZIP_MEMBERS = 200
_PSEUDO_NAME = "submission.py"  # tells copydetect's tokenizer the language


@dataclass(frozen=True)
class Pair:
    left: Submission
    right: Submission
    similarity: float  # the mean of both sides' copied fractions, 0..1
    left_fraction: float
    right_fraction: float


@dataclass(frozen=True)
class SideBySide:
    left_html: str  # escaped code with <mark> around the common parts
    right_html: str
    pair: Pair


def source_of(submission: Submission) -> str:
    """The Python source of an upload, for comparison only ('' when none can be read)."""
    try:
        with submission.file.open("rb") as handle:
            data = handle.read(MAX_SOURCE_BYTES * 4 + 1)
    except OSError:
        return ""
    extension = submission.extension
    if extension == ".py":
        return _text(data[:MAX_SOURCE_BYTES])
    if extension == ".ipynb":
        return _notebook_code(data)
    if extension == ".zip":
        return _zip_code(data)
    return ""


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _notebook_code(data: bytes) -> str:
    try:
        cells = json.loads(data).get("cells", [])
    except (ValueError, AttributeError):
        return ""
    chunks = []
    for cell in cells if isinstance(cells, list) else []:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            chunks.append("".join(source) if isinstance(source, list) else str(source))
    return "\n\n".join(chunks)[:MAX_SOURCE_BYTES]


def _zip_code(data: bytes) -> str:
    """``.py`` members in name order, each read with a cap: a zip bomb inflates no further."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [i for i in archive.infolist() if i.filename.endswith(".py")]
    except (zipfile.BadZipFile, ValueError):
        return ""
    chunks, left = [], MAX_SOURCE_BYTES
    for info in sorted(members, key=lambda i: i.filename)[:MAX_ZIP_MEMBERS]:
        if left <= 0:
            break
        try:
            with archive.open(info) as member:
                chunk = member.read(left)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError):
            # A damaged, encrypted (RuntimeError) or oddly compressed (NotImplementedError)
            # member: compare the rest of the upload rather than fail the mentor's page.
            continue
        left -= len(chunk)
        chunks.append(f"# {info.filename}\n{_text(chunk)}")
    return "\n\n".join(chunks)


def starter_code(assignment: Assignment) -> str:
    starter = assignment.bundle_path / "starter"
    if not starter.is_dir():
        return ""
    files = sorted(p for p in starter.rglob("*.py") if p.is_file() and not p.is_symlink())
    return "\n\n".join(_read(path) for path in files)


def _read(path: Path) -> str:
    return path.read_bytes()[:MAX_SOURCE_BYTES].decode("utf-8", errors="replace")


def candidates(assignment: Assignment) -> QuerySet[Submission]:
    """Mentees' uploads that were accepted (a rejected one is not code that ran; mentors' runs,
    the reference baseline among them, are not a mentee's work)."""
    from dashboard.queries import mentees

    return (
        Submission.objects.filter(assignment=assignment, owner__in=mentees())
        .exclude(status=Status.REJECTED)
        .select_related("owner", "assignment")
        .defer("report")
        .order_by("owner__username", "-created_at", "-id")
    )


def _latest_per_mentee(assignment: Assignment) -> list[Submission]:
    chosen: list[Submission] = []
    seen: dict[int, set[str]] = {}
    for submission in candidates(assignment):
        hashes = seen.setdefault(submission.owner_id, set())
        if len(hashes) < PER_MENTEE and submission.sha256 not in hashes:
            hashes.add(submission.sha256)
            chosen.append(submission)
    return chosen


def _fingerprint(code: str, boilerplate: list[int]):  # type: ignore[no-untyped-def]
    from copydetect import CodeFingerprint  # matplotlib comes with it: only when asked

    return CodeFingerprint(
        _PSEUDO_NAME,
        NOISE_TOKENS,
        GUARANTEE_TOKENS - NOISE_TOKENS + 1,
        boilerplate=boilerplate,
        fp=io.StringIO(code),
    )


def _boilerplate(assignment: Assignment) -> list[int]:
    code = starter_code(assignment)
    return list(_fingerprint(code, []).hashes) if code.strip() else []


def similar_pairs(assignment: Assignment, threshold: float = DEFAULT_THRESHOLD) -> list[Pair]:
    """Pairs of different mentees' uploads at or above ``threshold``, most similar first; for
    each two mentees only their most similar pair."""
    from copydetect import compare_files

    boilerplate = _boilerplate(assignment)
    prints = [
        (s, _fingerprint(code, boilerplate))
        for s in _latest_per_mentee(assignment)
        if (code := source_of(s)).strip()
    ]
    best: dict[tuple[int, int], Pair] = {}
    for (a, fa), (b, fb) in combinations(prints, 2):
        if a.owner_id == b.owner_id:
            continue
        _, (frac_a, frac_b), _ = compare_files(fa, fb)
        pair = Pair(a, b, (float(frac_a) + float(frac_b)) / 2, float(frac_a), float(frac_b))
        key = (min(a.owner_id, b.owner_id), max(a.owner_id, b.owner_id))
        if pair.similarity >= threshold and (
            key not in best or pair.similarity > best[key].similarity
        ):
            best[key] = pair
    return sorted(best.values(), key=lambda p: -p.similarity)


def side_by_side(left: Submission, right: Submission) -> SideBySide:
    """Both sources, HTML-escaped, the parts they share marked."""
    from copydetect import compare_files

    boilerplate = _boilerplate(left.assignment)
    fa = _fingerprint(source_of(left), boilerplate)
    fb = _fingerprint(source_of(right), boilerplate)
    _, (frac_a, frac_b), (slices_a, slices_b) = compare_files(fa, fb)
    pair = Pair(left, right, (float(frac_a) + float(frac_b)) / 2, float(frac_a), float(frac_b))
    return SideBySide(_marked(fa.raw_code, slices_a), _marked(fb.raw_code, slices_b), pair)


def _marked(code: str, slices) -> str:  # type: ignore[no-untyped-def]
    from html import escape

    from copydetect.utils import highlight_overlap

    if slices is None or getattr(slices, "size", 0) == 0 or slices.shape[0] == 0:
        return escape(code)
    marked, _ = highlight_overlap(code, slices, "<mark>", "</mark>", escape_html=True)
    return marked
