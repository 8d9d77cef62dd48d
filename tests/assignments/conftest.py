"""Shared helpers of the bundle tests (weeks 1 to 5 and bonus).

- ``grade_bundle(slug, upload)``: the real grader (``grader.grade``) in the bubblewrap sandbox.
- ``zip_solution(folder)``: a mentor folder zipped the way a mentee uploads it.
- ``wrong_params(slug)``: one pytest parameter per ``[[wrong]]`` of ``wrong/expectations.toml``.
- ``check_points(report)`` / ``assert_loses_exactly(report, fails)``: reading a report.
- ``run_public_tests(slug, submission)``: the bundle's public tests in a pytest subprocess,
  as a mentee runs them.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENTS = REPO_ROOT / "assignments"
PUBLIC_TESTS_TIMEOUT_S = 300


def bundle_dir(slug: str) -> Path:
    path = ASSIGNMENTS / slug
    assert (path / "assignment.toml").is_file(), f"no bundle {slug}"
    return path


def load_recipe(slug: str) -> Any:
    """The bundle's trusted ``recipe.py`` as a module."""
    path = bundle_dir(slug) / "recipe.py"
    spec = importlib.util.spec_from_file_location(f"recipe_{slug.replace('-', '_')}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_solution(slug: str) -> Any:
    """The bundle's ``solution/submission.py`` under a name of its own (every bundle's entry is
    called ``submission``, so a plain import would return whichever bundle came first)."""
    path = bundle_dir(slug) / "solution" / "submission.py"
    spec = importlib.util.spec_from_file_location(f"solution_{slug.replace('-', '_')}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_hidden_data(slug: str, out: Path) -> Path:
    """Run the recipe with the bundle's seed into ``out`` (not the shared cache)."""
    seed = tomllib.loads((bundle_dir(slug) / "assignment.toml").read_text())["data"]["seed"]
    load_recipe(slug).build(out, seed)
    return out


def load_arrays(path: Path) -> dict[str, Any]:
    import numpy as np

    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def zip_solution(folder: Path, destination: Path | None = None) -> Path:
    """Zip ``folder`` (or a single ``.py`` file, stored as the bundle's entry) like an upload.

    Files sit at the root of the archive; caches are left out.
    """
    folder = Path(folder)
    target = destination or Path(tempfile.mkdtemp(prefix="arena-upload-")) / f"{folder.stem}.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        if folder.is_file():
            archive.write(folder, "submission.py")
            return target
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, path.relative_to(folder).as_posix())
    return target


def grade_bundle(slug: str | Path, upload: Path, sandbox: str = "bwrap") -> dict[str, Any]:
    """Grade ``upload`` (a zip, a ``.py`` file or a folder) with the real grader: a report dict."""
    from grader.grading import GradeOptions, grade

    report = grade(slug, Path(upload), GradeOptions(sandbox=sandbox)).to_dict()
    return report


@dataclass(frozen=True)
class WrongCase:
    slug: str
    path: str
    status: str
    fails: tuple[str, ...]

    @property
    def upload(self) -> Path:
        return bundle_dir(self.slug) / "wrong" / self.path


def wrong_cases(slug: str) -> list[WrongCase]:
    raw = tomllib.loads((bundle_dir(slug) / "wrong" / "expectations.toml").read_text())
    return [
        WrongCase(slug, w["path"], w.get("status", "scored"), tuple(w["fails"]))
        for w in raw["wrong"]
    ]


def wrong_params(slug: str, *marks: pytest.MarkDecorator) -> list[Any]:
    """``@pytest.mark.parametrize("case", wrong_params(SLUG))``: one test per known-wrong upload."""
    return [pytest.param(case, id=case.path, marks=list(marks)) for case in wrong_cases(slug)]


def check_points(report: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """``{check name: (points, max_points)}`` of a report."""
    return {c["name"]: (c["points"], c["max_points"]) for c in report["checks"]}


def describe(report: dict[str, Any]) -> str:
    checks = "; ".join(
        f"{c['name']} {c['points']:g}/{c['max_points']:g} {c['message']}" for c in report["checks"]
    )
    return f"status={report['status']} score={report['score']} error={report['error']} | {checks}"


def assert_closed_vocabulary(report: dict[str, Any]) -> None:
    """Every check message is a sentence of grader.vocabulary (issue 11, class 4), so every
    bundle's solution and wrong uploads prove it over real reports."""
    from grader.vocabulary import in_vocabulary

    outside = [c["message"] for c in report["checks"] if not in_vocabulary(c["message"])]
    assert not outside, f"messages outside the vocabulary: {outside}"


def assert_full_marks(report: dict[str, Any]) -> None:
    assert report["status"] == "scored", describe(report)
    assert report["score"] == pytest.approx(100.0), describe(report)
    assert_closed_vocabulary(report)


def assert_loses_exactly(report: dict[str, Any], case: WrongCase) -> None:
    """The named checks earn 0 points, every other check its maximum, and the score adds up."""
    assert report["status"] == case.status, describe(report)
    assert_closed_vocabulary(report)
    points = check_points(report)
    unknown = set(case.fails) - set(points)
    assert not unknown, f"expectations name checks the report lacks: {unknown}; {describe(report)}"
    for name, (earned, maximum) in points.items():
        expected = 0.0 if name in case.fails else maximum
        assert earned == pytest.approx(expected), f"{name}: {describe(report)}"
    lost = sum(points[name][1] for name in case.fails)
    assert report["score"] == pytest.approx(100.0 - lost), describe(report)


def run_public_tests(slug: str, submission: Path) -> subprocess.CompletedProcess[str]:
    """Run the bundle's ``public_tests`` against ``submission`` (a folder or ``submission.py``)
    in a subprocess, from a scratch working directory, the way a mentee would."""
    tests = bundle_dir(slug) / "public_tests"
    env = {**os.environ, "ARENA_SUBMISSION": str(Path(submission).resolve())}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tests),
            "-c",
            os.devnull,
            str(tests),
        ],
        cwd=tests,
        env=env,
        capture_output=True,
        text=True,
        timeout=PUBLIC_TESTS_TIMEOUT_S,
        check=False,
    )


def assert_function_cases_cover_every_check(slug: str, hidden: Path, part: str) -> None:
    """Every check of ``part`` has hidden and public cases; expected outputs stay out of inputs."""
    raw = tomllib.loads((bundle_dir(slug) / "assignment.toml").read_text())
    checks = next(p for p in raw["parts"] if p["name"] == part)["checks"]
    for inputs_name, labels_name in (
        ("inputs.npz", "labels.npz"),
        ("public.npz", "public_labels.npz"),
    ):
        inputs, labels = (
            load_arrays(hidden / part / inputs_name),
            load_arrays(hidden / part / labels_name),
        )
        assert not any("/out/" in key for key in inputs), "expected outputs leaked into inputs"
        assert all("/out/" in key for key in labels), "inputs leaked into labels"
        for check in checks:
            cases = {key.split("/")[1] for key in inputs if key.startswith(check["name"] + "/")}
            outs = {key.split("/")[1] for key in labels if key.startswith(check["name"] + "/")}
            assert cases and cases == outs, f"{check['name']}: cases {cases}, outputs {outs}"


def assert_same_arrays(first: Path, second: Path) -> None:
    """Two builds of a recipe hold identical files and arrays."""
    names = sorted(p.relative_to(first) for p in first.rglob("*.npz"))
    assert names == sorted(p.relative_to(second) for p in second.rglob("*.npz"))
    for name in names:
        a, b = load_arrays(first / name), load_arrays(second / name)
        assert a.keys() == b.keys(), name
        for key in a:
            assert a[key].dtype == b[key].dtype and (a[key] == b[key]).all(), f"{name}:{key}"


# -- Grading each upload once per session -------------------------------------------------
# The generic battery (test_every_bundle.py) and a bundle's own tests ask for the same
# reports (the solution's, each wrong upload's): ``graded`` grades an upload once and hands
# every later caller the same report, keyed by what decides it (the bundle, the upload's
# bytes, the sandbox and the ARENA_* environment).
GradingKey = tuple[str, str, str, tuple[tuple[str, str], ...]]
_GRADED: dict[GradingKey, dict[str, Any]] = {}
# Gradings started ahead of their test (``prefetch``), in worker processes of their own.
_PENDING: dict[GradingKey, Any] = {}
_POOL: Any = None
# Two gradings at a time: one per core of the 2-core machine the suite is sized for.
PREFETCH_WORKERS = 2


def graded(slug: str | Path, upload: Path, sandbox: str = "bwrap") -> dict[str, Any]:
    """``grade_bundle`` of ``upload`` (a folder or file is zipped first), cached per session.
    Callers must not change the report they get. ``slug`` may be a bundle folder (a reduced
    copy of a bundle, as week 4's tests grade)."""
    key, archive = _grading_key(slug, upload, sandbox)
    if key not in _GRADED and key not in _PENDING and not untimed(slug):
        _drain()  # a grading that times its submission runs with no other beside it
    if key not in _GRADED:
        pending = _PENDING.pop(key, None)
        _GRADED[key] = pending.result() if pending is not None else grade_bundle(
            slug, archive, sandbox
        )
    return _GRADED[key]


def prefetch(slug: str | Path, uploads: list[Path], sandbox: str = "bwrap") -> None:
    """Start the gradings of ``uploads`` two at a time in worker processes, so that the tests
    asking ``graded`` for them one by one find them done or under way.

    Only for bundles that time nothing they score (``untimed``): two sandboxes side by side
    change wall-clock times, never verdicts, points or CPU-time budgets. Each worker is a
    fresh (spawned) process that grades in its main thread, as a Celery worker's grading
    subprocess does, with the ARENA_* environment of the moment of the call.
    """
    if not untimed(slug):
        return
    import concurrent.futures
    import multiprocessing

    global _POOL
    if _POOL is None:
        _POOL = concurrent.futures.ProcessPoolExecutor(
            PREFETCH_WORKERS, mp_context=multiprocessing.get_context("spawn")
        )
    for upload in uploads:
        key, archive = _grading_key(slug, upload, sandbox)
        if key not in _GRADED and key not in _PENDING:
            _PENDING[key] = _POOL.submit(_grade_with_environment, slug, archive, sandbox, key[3])


def _drain() -> None:
    """Wait for every prefetched grading (their reports stay for their tests)."""
    for key, pending in list(_PENDING.items()):
        _GRADED[key] = pending.result()
        del _PENDING[key]


def settle_prefetches() -> None:
    """Cancel the prefetched gradings no test asked for (a ``-k`` run), wait for those under
    way: nothing grades in the background once a module is done with its gradings."""
    for key, pending in list(_PENDING.items()):
        if not pending.cancel():
            _GRADED[key] = pending.result()
        del _PENDING[key]


@functools.cache
def untimed(slug: str | Path) -> bool:
    """No part of the bundle scores speed (functions parts, models with no speed points)."""
    from grader.bundle import load_bundle

    return all(
        part.scoring is None or part.scoring.speed_points == 0
        for part in load_bundle(slug).parts
    )


def _grade_with_environment(
    slug: str | Path, archive: Path, sandbox: str, environment: tuple[tuple[str, str], ...]
) -> dict[str, Any]:
    """A prefetch worker's grading, under the ARENA_* variables it was asked with."""
    for name in [k for k in os.environ if k.startswith("ARENA_")]:
        del os.environ[name]
    os.environ.update(dict(environment))
    return grade_bundle(slug, archive, sandbox)


def _grading_key(slug: str | Path, upload: Path, sandbox: str) -> tuple[GradingKey, Path]:
    import hashlib

    upload = Path(upload)
    archive = upload if upload.suffix == ".zip" else zip_solution(upload)
    environment = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("ARENA_")))
    return (str(slug), hashlib.sha256(_zip_contents(archive)).hexdigest(), sandbox, environment), archive


def _zip_contents(archive: Path) -> bytes:
    """The names and bytes of the archive's members (not the zip's timestamps)."""
    with zipfile.ZipFile(archive) as opened:
        return b"\0".join(
            info.filename.encode() + b"\0" + opened.read(info)
            for info in sorted(opened.infolist(), key=lambda i: i.filename)
        )


@dataclass(frozen=True)
class BundleExpectations:
    """``wrong/expectations.toml`` beyond its ``[[wrong]]`` cases:

    - ``[solution] partial``: checks the reference earns only part of (a competition that
      leaves headroom above the reference); every other check it earns in full.
    - ``[starter] copies``: starter files that are copies of repository files
      (``{"canvases.py" = "arena_datasets/localization.py"}``), checked byte for byte.
    """

    partial: tuple[str, ...] = ()
    copies: tuple[tuple[str, str], ...] = ()


def bundle_expectations(slug: str) -> BundleExpectations:
    path = bundle_dir(slug) / "wrong" / "expectations.toml"
    raw = tomllib.loads(path.read_text()) if path.is_file() else {}
    return BundleExpectations(
        partial=tuple(raw.get("solution", {}).get("partial", ())),
        copies=tuple(sorted(raw.get("starter", {}).get("copies", {}).items())),
    )


def wrong_upload(case: WrongCase, work: Path) -> Path:
    """The upload of a wrong case: its file or folder, plus the solution's non-Python files
    (weights) and any solution module it lacks when ``weights_from = "solution"`` (the bug is in
    the code; weights are not committed once per case)."""
    raw = tomllib.loads((bundle_dir(case.slug) / "wrong" / "expectations.toml").read_text())
    entry = next(w for w in raw["wrong"] if w["path"] == case.path)
    if entry.get("weights_from") != "solution":
        return case.upload
    import shutil

    folder = work / Path(case.path).stem
    if case.upload.is_dir():
        shutil.copytree(case.upload, folder)
    else:
        folder.mkdir(parents=True)
        shutil.copy(case.upload, folder / "submission.py")
    solution = bundle_dir(case.slug) / "solution"
    for path in sorted(solution.iterdir()):
        wanted = path.suffix != ".py" or _imported_by(folder, path.stem)
        if path.is_file() and wanted and not (folder / path.name).exists():
            shutil.copy(path, folder / path.name)
    return folder


def _imported_by(folder: Path, module: str) -> bool:
    """Whether a module of ``folder`` imports ``module`` (a solution helper such as pretrained.py)."""
    import ast

    for source in folder.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import) and any(a.name == module for a in node.names):
                return True
            if isinstance(node, ast.ImportFrom) and node.module == module:
                return True
    return False


def assert_earns(report: dict[str, Any], fails: tuple[str, ...], partial: tuple[str, ...]) -> None:
    """``fails`` earn 0, ``partial`` checks something up to their maximum, every other check
    its maximum; the score is the sum."""
    assert report["status"] == "scored", describe(report)
    assert_closed_vocabulary(report)
    points = check_points(report)
    unknown = (set(fails) | set(partial)) - set(points)
    assert not unknown, f"expectations name checks the report lacks: {unknown}; {describe(report)}"
    for name, (earned, maximum) in points.items():
        if name in fails:
            assert earned == pytest.approx(0.0), f"{name}: {describe(report)}"
        elif name in partial:
            assert 0.0 < earned <= maximum + 1e-9, f"{name}: {describe(report)}"
        else:
            assert earned == pytest.approx(maximum), f"{name}: {describe(report)}"
    assert report["score"] == pytest.approx(sum(p for p, _ in points.values())), describe(report)
