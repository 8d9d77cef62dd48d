"""Hidden data built once per data key (recipe, [data], generators, raw data), atomically,
with a manifest."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import arena_datasets.generators
from arena_datasets import hidden
from arena_datasets.checksums import sha256_file
from arena_datasets.hidden import HiddenDataError, ensure_hidden, read_manifest, verify_hidden

BUNDLES = Path(__file__).resolve().parent / "bundles"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ARENA_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    return Path(shutil.copytree(BUNDLES / "fx-functions", tmp_path / "fx-functions"))


def test_it_builds_into_the_content_addressed_folder(home: Path, bundle: Path) -> None:
    folder = ensure_hidden(bundle)
    assert folder.parent == home / "hidden" / "fx-functions"
    manifest = json.loads((folder / "manifest.json").read_text())["files"]
    assert set(manifest) == {
        "functions/inputs.npz",
        "functions/labels.npz",
        "functions/public.npz",
        "functions/public_labels.npz",
    }
    assert manifest["functions/labels.npz"] == sha256_file(folder / "functions/labels.npz")
    verify_hidden(folder)


def test_it_builds_only_once(home: Path, bundle: Path) -> None:
    first = ensure_hidden(bundle)
    stamp = (first / "functions/inputs.npz").stat().st_mtime_ns
    assert ensure_hidden(bundle) == first
    assert (first / "functions/inputs.npz").stat().st_mtime_ns == stamp


def test_a_new_seed_or_recipe_gets_a_new_folder(home: Path, bundle: Path) -> None:
    first = ensure_hidden(bundle)
    toml = bundle / "assignment.toml"
    toml.write_text(toml.read_text().replace("seed = 11", "seed = 12"))
    second = ensure_hidden(bundle)
    (bundle / "recipe.py").write_text((bundle / "recipe.py").read_text() + "\n# changed\n")
    third = ensure_hidden(bundle)
    assert len({first, second, third}) == 3


def test_a_failing_recipe_leaves_nothing_behind(home: Path, bundle: Path) -> None:
    (bundle / "recipe.py").write_text(
        "def build(out, seed):\n    (out / 'x').write_text('half')\n"
        "    raise RuntimeError('broken recipe')\n"
    )
    with pytest.raises(RuntimeError, match="broken recipe"):
        ensure_hidden(bundle)
    assert list((home / "hidden" / "fx-functions").iterdir()) == [
        p for p in (home / "hidden" / "fx-functions").iterdir() if p.name.endswith(".lock")
    ]


def test_tampering_is_detected(home: Path, bundle: Path) -> None:
    folder = ensure_hidden(bundle)
    (folder / "functions/labels.npz").write_bytes(b"tampered")
    with pytest.raises(HiddenDataError):
        verify_hidden(folder)


# --- the data key: what makes hidden data stale ---------------------------------------------

# The fixture recipe, drawing its cases from the course's generators (``rng_for``) instead of
# a bare NumPy generator, so the generators' version and code shape its data.
GENERATOR_RECIPE = """
from pathlib import Path

from arena_datasets.generators import rng_for
from arena_datasets.recipe_tools import FunctionCases


def build(out: Path, seed: int) -> None:
    cases = FunctionCases()
    rng = rng_for(seed, "add")
    a, b = rng.standard_normal((2, 3)).astype("float32")
    cases.add("add", [a, b], a + b)
    cases.save(out / "functions", public=cases)
"""


@pytest.fixture
def gen_bundle(bundle: Path) -> Path:
    (bundle / "recipe.py").write_text(GENERATOR_RECIPE)
    return bundle


def _no_recipe_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("the recipe ran again")

    monkeypatch.setattr(hidden, "_run_recipe", refuse)


def test_the_manifest_records_the_key(home: Path, gen_bundle: Path) -> None:
    folder = ensure_hidden(gen_bundle)
    manifest = read_manifest(folder)
    key = manifest["key"]
    assert manifest["key_hash"] == folder.name == hidden.content_hash(key)
    assert (key["data_version"], key["seed"]) == (1, 11)
    assert key["recipe"]["sha256"] == sha256_file(gen_bundle / "recipe.py")
    assert set(key["modules"]) == {"arena_datasets.generators", "arena_datasets.recipe_tools"}
    generators = key["modules"]["arena_datasets.generators"]
    assert generators["versions"] == {"GENERATOR_VERSION": arena_datasets.generators.GENERATOR_VERSION}
    assert len(generators["code"]) == 64
    assert key["raw_data"] == {}  # this recipe reads no real data
    assert manifest["rebuilt_because"] == ["first build"]


def test_same_inputs_never_rebuild(home: Path, gen_bundle: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    first = ensure_hidden(gen_bundle)
    manifest = (first / "manifest.json").read_bytes()
    _no_recipe_runs(monkeypatch)
    assert ensure_hidden(gen_bundle) == first == hidden.hidden_dir_for(gen_bundle)
    assert (first / "manifest.json").read_bytes() == manifest
    assert [p.name for p in first.parent.iterdir() if not p.name.startswith(".")] == [first.name]


def test_a_new_generator_version_rebuilds(home: Path, gen_bundle: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    first = ensure_hidden(gen_bundle)
    old = arena_datasets.generators.GENERATOR_VERSION
    with monkeypatch.context() as patch:
        patch.setattr(arena_datasets.generators, "GENERATOR_VERSION", old + 1)
        second = ensure_hidden(gen_bundle)
    assert second != first
    manifest = read_manifest(second)
    assert manifest["rebuilt_because"] == [
        f"arena_datasets.generators.GENERATOR_VERSION {old} -> {old + 1}"
    ]
    # The new version really changes the cases, so the old folder was stale.
    assert manifest["files"]["functions/inputs.npz"] != read_manifest(first)["files"][
        "functions/inputs.npz"]
    _no_recipe_runs(monkeypatch)
    assert ensure_hidden(gen_bundle) == first  # the old version again: its folder, no build


def test_a_changed_generator_rebuilds_even_without_a_version_bump(
    home: Path, gen_bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = Path(arena_datasets.generators.__file__)
    copy = tmp_path / "generators.py"
    copy.write_text(source.read_text())
    real_module_file = hidden._module_file
    monkeypatch.setattr(hidden, "_module_file", lambda name: copy
                        if name == "arena_datasets.generators" else real_module_file(name))
    first = ensure_hidden(gen_bundle)
    # A comment, blank lines and a docstring edit do not change the code: no rebuild.
    copy.write_text("# a comment\n" + source.read_text()
                    .replace('"""Seeded, versioned,', '"""Edited docstring. Seeded, versioned,')
                    .replace("GENERATOR_VERSION = 1", "GENERATOR_VERSION = 1  # the version\n"))
    assert ensure_hidden(gen_bundle) == first
    # A generator whose values change: a rebuild, and the manifest says why.
    copy.write_text(source.read_text().replace("* scale).astype(dtype)", "* scale * 2).astype(dtype)"))
    second = ensure_hidden(gen_bundle)
    assert second != first
    assert read_manifest(second)["rebuilt_because"] == ["arena_datasets.generators code changed"]


def test_a_new_data_version_rebuilds(home: Path, gen_bundle: Path) -> None:
    first = ensure_hidden(gen_bundle)
    toml = gen_bundle / "assignment.toml"
    toml.write_text(toml.read_text().replace("version = 1", "version = 2"))
    second = ensure_hidden(gen_bundle)
    assert second != first
    assert read_manifest(second)["rebuilt_because"] == ["[data] version 1 -> 2"]


def test_new_raw_data_checksums_rebuild_recipes_that_read_real_data(
    home: Path, gen_bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = ensure_hidden(gen_bundle)
    reader = Path(shutil.copytree(gen_bundle, tmp_path / "reader"))
    (reader / "assignment.toml").write_text(
        (reader / "assignment.toml").read_text().replace('slug = "fx-functions"',
                                                         'slug = "fx-reader"'))
    (reader / "recipe.py").write_text(
        "from arena_datasets import real  # noqa: F401  (the key only sees the import)\n"
        + GENERATOR_RECIPE)
    first = ensure_hidden(reader)
    assert "fashion-mnist" in read_manifest(first)["key"]["raw_data"]
    checksums = tmp_path / "checksums.toml"
    pinned = hidden.CHECKSUMS_FILE.read_text()
    checksums.write_text(pinned.replace('"digits.csv.gz" = "0', '"digits.csv.gz" = "1'))
    assert checksums.read_text() != pinned
    monkeypatch.setattr(hidden, "CHECKSUMS_FILE", checksums)
    second = ensure_hidden(reader)
    assert second != first
    assert read_manifest(second)["rebuilt_because"] == ["raw data sklearn checksums changed"]
    assert ensure_hidden(gen_bundle) == plain  # no real data read: unaffected


def test_folders_built_before_the_key_still_verify(home: Path, bundle: Path) -> None:
    folder = ensure_hidden(bundle)
    files = read_manifest(folder)["files"]
    (folder / "manifest.json").write_text(json.dumps(files))  # the old, flat format
    assert read_manifest(folder)["key"] is None
    verify_hidden(folder)
