"""Week 4's correct uploads written in other styles than the solution (``variants/``) earn full
marks on every equivalence check they are graded on, through the real grader and bubblewrap
sandbox: the reference weights are mapped by role inside the sandbox, the outputs on hidden
inputs compared on the trusted side."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.assignments.conftest import bundle_dir, describe, zip_solution
from tests.assignments.test_week4_architectures import SLUG, equivalence_bundle

VARIANTS = bundle_dir(SLUG) / "variants"


@dataclass(frozen=True)
class Variant:
    path: str
    imagenet: tuple[str, ...]


def variants() -> list[Variant]:
    raw = tomllib.loads((VARIANTS / "expectations.toml").read_text())
    return [Variant(v["path"], tuple(v["imagenet"])) for v in raw["variant"]]


def test_every_variant_file_is_listed_once_and_exists() -> None:
    listed = [v.path for v in variants()]
    assert len(listed) == len(set(listed))
    assert sorted(listed) == sorted(p.name for p in VARIANTS.glob("*.py"))


def grade_variant(variant: Variant, tmp_path: Path) -> dict:
    from grader.grading import GradeOptions, grade

    bundle = equivalence_bundle(tmp_path, variant.imagenet)
    upload = zip_solution(bundle_dir(SLUG) / variant.path)
    return grade(bundle, upload, GradeOptions(sandbox="bwrap")).to_dict()


# The solution's full marks through the same mapping are test_week4_architectures' job.
CASES = [Variant(f"variants/{v.path}", v.imagenet) for v in variants()]


@pytest.mark.slow
@pytest.mark.bwrap
@pytest.mark.parametrize("variant", CASES, ids=lambda v: v.path)
def test_a_correct_variant_earns_full_marks_on_every_check(variant: Variant, tmp_path) -> None:
    report = grade_variant(variant, tmp_path)
    assert report["status"] == "scored", describe(report)
    expected = {*variant.imagenet, "alexnet_small", "vgg16_small", "resnet18_small",
                "googlenet_small"}
    graded = {c["name"]: c for c in report["checks"]}
    assert set(graded) == expected, describe(report)
    for check in graded.values():
        assert check["points"] == pytest.approx(check["max_points"]), describe(report)
    assert report["score"] == pytest.approx(100.0), describe(report)
