"""Week 4's correct uploads written in other styles than the solution (``variants/``) earn full
marks on every equivalence check they are graded on, through the real grader and bubblewrap
sandbox: the reference weights are mapped by role inside the sandbox, the outputs on hidden
inputs compared on the trusted side. Those written with another initialisation or training
recipe also earn full marks on the comparison's parts they list (``train``)."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.assignments.conftest import (
    bundle_dir,
    describe,
    graded,
    prefetch,
    settle_prefetches,
    zip_solution,
)
from tests.assignments.test_week4_architectures import SLUG, equivalence_bundle, parts_bundle

VARIANTS = bundle_dir(SLUG) / "variants"


@dataclass(frozen=True)
class Variant:
    path: str
    imagenet: tuple[str, ...]
    train: tuple[str, ...] = ()


def variants() -> list[Variant]:
    raw = tomllib.loads((VARIANTS / "expectations.toml").read_text())
    return [
        Variant(v["path"], tuple(v["imagenet"]), tuple(v.get("train", ()))) for v in raw["variant"]
    ]


def test_every_variant_file_is_listed_once_and_exists() -> None:
    listed = [v.path for v in variants()]
    assert len(listed) == len(set(listed))
    assert sorted(listed) == sorted(p.name for p in VARIANTS.glob("*.py"))


# The solution's full marks through the same mapping are test_week4_architectures' job.
CASES = [Variant(f"variants/{v.path}", v.imagenet, v.train) for v in variants()]
TRAINED = [(v, part) for v in CASES for part in v.train]


@pytest.fixture(scope="module")
def gradings(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[tuple[str, ...], tuple[Path, Path]]]:
    """``(bundle copy, upload)`` of every grading of this file, all started at the first test
    two at a time (conftest ``prefetch``: week 4 scores no speed, so two side by side change
    wall-clock times only; training budgets are work, and CPU seconds their safety net)."""
    jobs: dict[tuple[str, ...], tuple[Path, Path]] = {}
    for variant in CASES:
        bundle = equivalence_bundle(tmp_path_factory.mktemp("variant"), variant.imagenet)
        jobs[(variant.path,)] = (bundle, zip_solution(bundle_dir(SLUG) / variant.path))
    for variant, part in TRAINED:
        bundle = parts_bundle(tmp_path_factory.mktemp("trained"), (part,))
        jobs[(variant.path, part)] = (bundle, zip_solution(bundle_dir(SLUG) / variant.path))
    for bundle, upload in jobs.values():
        prefetch(bundle, [upload])
    yield jobs
    settle_prefetches()


@pytest.mark.slow
@pytest.mark.bwrap
@pytest.mark.parametrize("variant", CASES, ids=lambda v: v.path)
def test_a_correct_variant_earns_full_marks_on_every_check(variant: Variant, gradings) -> None:
    report = graded(*gradings[(variant.path,)])
    assert report["status"] == "scored", describe(report)
    expected = {*variant.imagenet, "alexnet_small", "vgg16_small", "resnet18_small",
                "googlenet_small"}
    checks = {c["name"]: c for c in report["checks"]}
    assert set(checks) == expected, describe(report)
    for check in checks.values():
        assert check["points"] == pytest.approx(check["max_points"]), describe(report)
    assert report["score"] == pytest.approx(100.0), describe(report)


@pytest.mark.slow
@pytest.mark.bwrap
@pytest.mark.parametrize(
    ("variant", "part"), TRAINED, ids=[f"{v.path}-{part}" for v, part in TRAINED]
)
def test_a_correct_recipe_or_initialisation_earns_full_marks_in_the_comparison(
    variant: Variant, part: str, gradings
) -> None:
    """Trained by the platform under the CPU budget, then scored on the hidden images: the
    thresholds reward learning, not the solution's recipe (bench/week4_recipe_spread.py)."""
    report = graded(*gradings[(variant.path, part)])
    assert report["status"] == "scored", describe(report)
    assert report["score"] == pytest.approx(100.0), describe(report)
