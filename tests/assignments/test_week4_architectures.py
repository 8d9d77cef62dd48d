"""Week 4 bundle: recipe, equivalence of the reference solution, the known-wrong uploads,
the comparison's training, and the public tests."""

from __future__ import annotations

import re
import shutil
import tomllib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from grader.bundle import load_bundle
from tests.assignments.conftest import (
    assert_full_marks,
    assert_loses_exactly,
    assert_same_arrays,
    build_hidden_data,
    bundle_dir,
    check_points,
    describe,
    graded,
    load_arrays,
    prefetch,
    settle_prefetches,
    wrong_params,
    zip_solution,
)

SLUG = "week4-architectures"
EQUIVALENCE_PARTS = ("imagenet", "small")
FAMILIES = ("alexnet", "vgg16", "resnet18", "googlenet")
# Every family's reference leaves chance under both budgets (measured: assignment.toml).
LEARNING = tuple(f"train_{family}" for family in FAMILIES)
TRAIN_SPLIT = 2000


def test_the_bundle_is_valid_and_worth_100_points():
    bundle = load_bundle(SLUG)
    assert bundle.max_points == pytest.approx(100.0)
    assert [p.name for p in bundle.parts] == [*EQUIVALENCE_PARTS, *(f"train_{f}" for f in FAMILIES)]


def test_every_family_gets_the_same_work_and_its_own_recipe():
    """The comparison is fair: on each kind of worker every family trains on the same images
    from the same seed. The recipe (batch size, learning rate) is the family's own: the
    batch-norm families share one, the plain families (AlexNet, VGG-16) another."""
    trains = {p.name: p for p in load_bundle(SLUG).parts if p.kind == "train"}
    for device in ("cpu", "cuda"):
        budgets = {name: part.on_device(device).budget for name, part in trains.items()}
        work = {(b.epochs, b.images, b.optimizer, b.seed) for b in budgets.values()}
        assert len(work) == 1, (device, work)
        assert budgets["train_resnet18"] == budgets["train_googlenet"], device
        assert budgets["train_alexnet"] == budgets["train_vgg16"], device
        assert budgets["train_alexnet"].lr < budgets["train_resnet18"].lr, device


def test_the_comparison_asks_for_a_model_that_learned():
    """A budget of fixed work (seconds only a CPU-time safety net, far above the reference's
    needs), larger on GPU workers, and thresholds above chance (10 classes: 10%; an untrained
    model scores 0.10 on the 500 hidden images) on either kind of worker."""
    for part in load_bundle(SLUG).parts:
        if part.kind != "train":
            continue
        budget, gpu = part.budget, part.on_device("cuda").budget
        assert budget.images > 0 and budget.optimizer == "adam", part.name
        gpu_images = gpu.images or gpu.epochs * TRAIN_SPLIT
        assert gpu_images > budget.images, part.name
        for scoring in (part.scoring, part.on_device("cuda").scoring):
            assert scoring.accuracy_points == 7.5
            assert part.name in LEARNING
            assert scoring.metric_zero >= 0.11 and scoring.metric_full > scoring.metric_zero
        assert budget.seconds >= 300 and gpu.seconds >= 300, part.name


def test_a_wrong_upload_fails_the_comparison():
    raw = tomllib.loads((bundle_dir(SLUG) / "wrong" / "expectations.toml").read_text())
    trained = [w for w in raw["wrong"] if any(p.startswith("train_") for p in w["parts"])]
    assert trained and all(
        any(f.startswith("train_") for f in w["fails"]) for w in trained
    ), "each case graded on a comparison part must lose it"


def test_the_recipe_is_deterministic_and_gives_every_family_the_same_data(tmp_path):
    first = build_hidden_data(SLUG, tmp_path / "a")
    assert_same_arrays(first, build_hidden_data(SLUG, tmp_path / "b"))
    assert load_arrays(first / "imagenet" / "inputs.npz")["images"].shape == (2, 3, 224, 224)
    reference = {name: load_arrays(first / "train_alexnet" / name)
                 for name in ("train.npz", "inputs.npz", "labels.npz")}
    for family in FAMILIES[1:]:
        for name, arrays in reference.items():
            other = load_arrays(first / f"train_{family}" / name)
            assert all(np.array_equal(arrays[k], other[k]) for k in arrays), (family, name)
    labels = reference["labels.npz"]["labels"]
    assert np.bincount(labels, minlength=10).tolist() == [50] * 10  # 500 hidden images
    assert not (first / "train_alexnet" / "inputs.npz").read_bytes().count(b"labels")


def equivalence_bundle(tmp_path: Path, imagenet_checks: tuple[str, ...]) -> Path:
    """A copy of the bundle with the whole ``small`` part and only ``imagenet_checks`` of the
    ``imagenet`` part, points scaled to sum to 100. The recipe and seed, and so the hidden
    data, are unchanged; ImageNet-size checks cost a minute each on a CPU, so a wrong case
    grades the ones it breaks, and the cheap small part shows that the rest stays right."""
    copy = tmp_path / SLUG
    shutil.copytree(bundle_dir(SLUG), copy, ignore=shutil.ignore_patterns("wrong", "solution"))
    raw = tomllib.loads((copy / "assignment.toml").read_text())
    kept = []
    for part in raw["parts"]:
        if part["name"] == "small":
            kept.append(part)
        elif part["name"] == "imagenet":
            checks = [c for c in part["checks"] if c["name"] in imagenet_checks]
            kept += [{**part, "checks": checks}] if checks else []
    total = sum(c["points"] for p in kept for c in p["checks"])
    text = (copy / "assignment.toml").read_text().split("[[parts]]")[0]
    for part in kept:
        text += f'[[parts]]\nname = "{part["name"]}"\nkind = "{part["kind"]}"\n'
        text += f'input_shape = {part["input_shape"]}\nnum_classes = {part["num_classes"]}\n'
        kwargs = ", ".join(f"{k} = {v}" for k, v in part["builder_kwargs"].items())
        text += f"builder_kwargs = {{ {kwargs} }}\n"
        for check in part["checks"]:
            extra = ", ".join(f"{k} = {str(v).lower() if isinstance(v, bool) else v}"
                              for k, v in check.get("kwargs", {}).items())
            text += (f'[[parts.checks]]\nname = "{check["name"]}"\n'
                     f'function = "{check.get("function", check["name"])}"\n'
                     f'points = {check["points"] * 100.0 / total}\n'
                     f'rtol = {check["rtol"]}\natol = {check["atol"]}\n'
                     f"kwargs = {{ {extra} }}\n")
    (copy / "assignment.toml").write_text(text)
    assert load_bundle(copy).max_points == pytest.approx(100.0)
    return copy


def parts_bundle(tmp_path: Path, parts: tuple[str, ...]) -> Path:
    """A copy of the bundle with only ``parts``, every points value scaled so they sum to 100.
    The recipe and seed, and so the hidden data, are unchanged."""
    copy = tmp_path / SLUG
    shutil.copytree(bundle_dir(SLUG), copy, ignore=shutil.ignore_patterns("wrong", "solution"))
    head, *blocks = (copy / "assignment.toml").read_text().split("[[parts]]\n")
    names = [re.search(r'^name = "([^"]+)"', b, re.MULTILINE).group(1) for b in blocks]
    assert set(parts) <= set(names), names
    kept = [b for b, name in zip(blocks, names) if name in parts]
    points = re.compile(r"^(\s*(?:accuracy_)?points = )([0-9.]+)", re.MULTILINE)
    total = sum(float(m.group(2)) for b in kept for m in points.finditer(b))
    kept = [points.sub(lambda m: f"{m.group(1)}{float(m.group(2)) * 100.0 / total!r}", b)
            for b in kept]
    (copy / "assignment.toml").write_text(head + "".join("[[parts]]\n" + b for b in kept))
    assert load_bundle(copy).max_points == pytest.approx(100.0)
    return copy


@pytest.mark.slow
@pytest.mark.bwrap
@pytest.mark.timeout(2700)  # a cold reference cache, when this file runs alone
def test_the_solution_earns_full_marks_on_every_family():
    # The same report as test_every_bundle's (``graded``: one week 4 grading per session).
    report = graded(SLUG, bundle_dir(SLUG) / "solution")
    assert_full_marks(report)
    checks = {c["name"] for c in report["checks"]}
    assert {f"train_{f}/accuracy" for f in FAMILIES} <= checks, describe(report)


def wrong_case_bundle(tmp_path: Path, path: str, fails: tuple[str, ...]) -> Path:
    """The reduced copy of the bundle a wrong case is graded on (its ``parts``)."""
    raw = tomllib.loads((bundle_dir(SLUG) / "wrong" / "expectations.toml").read_text())
    parts = tuple(next(w for w in raw["wrong"] if w["path"] == path)["parts"])
    if set(parts) <= set(EQUIVALENCE_PARTS):  # the ImageNet-size checks it breaks, if any
        return equivalence_bundle(tmp_path, fails)
    # A training bug: the comparison part it breaks (and any cheap part named with it).
    assert any(p.startswith("train_") for p in parts), parts
    return parts_bundle(tmp_path, parts)


@pytest.fixture(scope="module")
def wrong_gradings(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, tuple[Path, Path]]]:
    """``(bundle copy, upload)`` of each wrong case, all started at the first one two at a time
    (conftest ``prefetch``: week 4 scores no speed)."""
    jobs = {}
    for param in wrong_params(SLUG):
        case = param.values[0]
        bundle = wrong_case_bundle(tmp_path_factory.mktemp("wrong"), case.path, case.fails)
        jobs[case.path] = (bundle, zip_solution(case.upload))
    for bundle, upload in jobs.values():
        prefetch(bundle, [upload])
    yield jobs
    settle_prefetches()


@pytest.mark.slow
@pytest.mark.bwrap
@pytest.mark.parametrize("case", wrong_params(SLUG))
def test_each_wrong_upload_loses_exactly_its_checks(case, wrong_gradings):
    assert_loses_exactly(graded(*wrong_gradings[case.path]), case)


@pytest.mark.slow
@pytest.mark.bwrap
def test_resnet50_is_the_extra_a_submission_without_it_loses_only_its_points(tmp_path):
    """The statement calls ResNet-50 the extra: the solution with its ``resnet50`` left as the
    starter ships it costs that check and nothing else."""
    def builder(path: Path) -> str:
        text = path.read_text()
        found = re.search(r"^def resnet50\(.*?(?=^\S)", text, re.MULTILINE | re.DOTALL)
        assert found, path
        return found.group(0)

    solution_path = bundle_dir(SLUG) / "solution" / "submission.py"
    starter_stub = builder(bundle_dir(SLUG) / "starter" / "submission.py")
    upload = tmp_path / "submission.py"
    upload.write_text(solution_path.read_text().replace(builder(solution_path), starter_stub))
    from grader.grading import GradeOptions, grade

    bundle = equivalence_bundle(tmp_path / "bundle", ("resnet50",))
    report = grade(bundle, zip_solution(upload), GradeOptions(sandbox="bwrap")).to_dict()
    points = check_points(report)
    assert report["status"] == "scored", describe(report)
    assert points.pop("resnet50")[0] == 0.0, describe(report)
    assert points and all(got == pytest.approx(full) for got, full in points.values()), (
        describe(report)
    )
    resnet50 = next(c for c in report["checks"] if c["name"] == "resnet50")
    assert "raised an exception" in resnet50["message"], resnet50
