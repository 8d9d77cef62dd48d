"""Hidden data built once per recipe content, atomically, with a manifest."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from arena_datasets.checksums import sha256_file
from arena_datasets.hidden import HiddenDataError, ensure_hidden, verify_hidden

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
    manifest = json.loads((folder / "manifest.json").read_text())
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
