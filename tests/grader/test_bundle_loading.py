"""assignment.toml into typed records, with errors a mentor can act on."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.bundle import BundleError, list_bundles, load_bundle

BUNDLES = Path(__file__).resolve().parent / "bundles"


def test_it_loads_every_fixture_bundle() -> None:
    slugs = [b.slug for b in list_bundles(BUNDLES)]
    assert set(slugs) >= {"fx-functions", "fx-model", "fx-train", "fx-arch", "fx-attacks"}
    assert all(abs(b.max_points - 100) < 1e-9 for b in list_bundles(BUNDLES))


def test_it_types_a_model_part() -> None:
    part = load_bundle(BUNDLES / "fx-model").parts[0]
    assert (part.kind, part.input_shape, part.outputs[0].shape) == ("model", (1, 8, 8), (2,))
    assert part.scoring.speed_points == 30 and part.timing.batch_size == 32


def test_it_finds_a_bundle_by_slug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARENA_ASSIGNMENTS", str(BUNDLES))
    assert load_bundle("fx-arch").parts[0].checks[1].kwargs == {"width": 8}


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    target = tmp_path / "fx-functions"
    shutil.copytree(BUNDLES / "fx-functions", target)
    return target


def edit(bundle: Path, old: str, new: str) -> None:
    path = bundle / "assignment.toml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


@pytest.mark.parametrize(
    "old,new,complaint",
    [
        ("points = 40", "points = 50", "sum to 110"),
        ('kind = "functions"\n\n[submission]', 'kind = "magic"\n\n[submission]', "not one of"),
        ('slug = "fx-functions"', 'slug = "other"', "must equal the folder name"),
        ('recipe = "recipe.py"', 'recipe = "missing.py"', "does not exist"),
        ("wall_seconds = 60", "wall_minutes = 60", "unknown keys"),
        ("memory_mb = 1536", "memory_mb = -1", "must be positive"),
        ('entry = "submission.py"', 'entry = "../x.py"', "top-level .py"),
        ('name = "scale"', 'name = "scale"\n  arg_type = "jax"', "arg_type"),
        ("week = 1", 'week = "one"', "'week' must be int"),
    ],
    ids=[
        "points",
        "kind",
        "slug",
        "recipe",
        "limit-key",
        "limit-value",
        "entry",
        "arg-type",
        "type",
    ],
)
def test_it_names_the_mistake(bundle: Path, old: str, new: str, complaint: str) -> None:
    edit(bundle, old, new)
    with pytest.raises(BundleError, match=complaint) as caught:
        load_bundle(bundle)
    assert "assignment.toml" in str(caught.value)
    assert caught.value.permanent


def test_it_rejects_a_model_part_without_scoring(tmp_path: Path) -> None:
    target = tmp_path / "fx-model"
    shutil.copytree(BUNDLES / "fx-model", target)
    path = target / "assignment.toml"
    text = path.read_text()
    path.write_text(text[: text.index("  [parts.scoring]")])
    with pytest.raises(BundleError, match="needs \\[parts.scoring\\]"):
        load_bundle(target)


def test_an_unknown_slug_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARENA_ASSIGNMENTS", str(BUNDLES))
    with pytest.raises(BundleError, match="no assignment bundle named 'nope'"):
        load_bundle("nope")


@pytest.fixture
def model_bundle(tmp_path: Path) -> Path:
    target = tmp_path / "fx-model"
    shutil.copytree(BUNDLES / "fx-model", target)
    return target


def test_scoring_takes_an_empty_label_as_a_class(model_bundle: Path) -> None:
    assert load_bundle(model_bundle).parts[0].scoring.empty_label is None
    edit(model_bundle, "  accuracy_floor = 0.9\n", "  accuracy_floor = 0.9\n  empty_label = 1\n")
    scoring = load_bundle(model_bundle).parts[0].scoring
    assert scoring.empty_label == 1 and isinstance(scoring.empty_label, int)


@pytest.mark.parametrize(
    "value,complaint",
    [
        ("10", "must be a class in \\[0, 10\\)"),  # fx-model: 10 classes (the default)
        ("-1", "must not be negative"),
        ("0.5", "'empty_label' must be int"),
        ("true", "must be int, not a boolean"),
        ('"none"', "'empty_label' must be int"),
    ],
    ids=["too-large", "negative", "float", "bool", "string"],
)
def test_scoring_rejects_an_empty_label_that_is_not_a_class(
    model_bundle: Path, value: str, complaint: str
) -> None:
    edit(
        model_bundle,
        "  accuracy_floor = 0.9\n",
        f"  accuracy_floor = 0.9\n  empty_label = {value}\n",
    )
    with pytest.raises(BundleError, match=complaint):
        load_bundle(model_bundle)


def test_the_bonus_declares_its_empty_class() -> None:
    root = Path(__file__).resolve().parents[2] / "assignments"
    parts = {p.name: p for p in load_bundle(root / "bonus-faces").parts}
    assert parts["detect"].scoring.empty_label == 0
    assert parts["localize"].scoring.empty_label is None
