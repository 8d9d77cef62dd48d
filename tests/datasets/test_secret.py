"""The per-deployment secret: created once per ARENA_HOME, private, never written anywhere else,
and a different secret gives different hidden data in a different folder."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import numpy as np
import pytest

from arena_datasets import secret
from arena_datasets.hidden import ensure_hidden, read_manifest
from arena_datasets.public_derived import derive, secret_split
from arena_datasets.secret_transforms import TransformSpec

BUNDLES = Path(__file__).resolve().parents[1] / "grader" / "bundles"

SECRET_RECIPE = '''
from pathlib import Path

import numpy as np

from arena_datasets.public_derived import derive
from arena_datasets.secret_transforms import TransformSpec

PUBLIC = np.random.default_rng(0).random((64, 1, 8, 8)).astype(np.float32)  # "public data"


def build(out: Path, seed: int) -> None:
    derived = derive(PUBLIC, np.arange(64) % 2, "fx/secret", TransformSpec(), (0.0, 1.0))
    (out / "functions").mkdir()
    np.savez(out / "functions" / "inputs.npz", images=derived.images)
    np.savez(out / "functions" / "labels.npz", labels=derived.labels)
'''


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ARENA_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def secret_bundle(tmp_path: Path) -> Path:
    bundle = Path(shutil.copytree(BUNDLES / "fx-functions", tmp_path / "fx-secret"))
    (bundle / "recipe.py").write_text(SECRET_RECIPE)
    return bundle


def test_it_creates_32_private_bytes_once(home: Path) -> None:
    first = secret.deployment_secret()
    path = home / "secret" / "hidden.key"
    assert len(first) == 32 and path.read_bytes() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert secret.deployment_secret() == first  # read back, not regenerated
    assert [p.name for p in path.parent.iterdir()] == ["hidden.key"]  # no temporary left


def test_each_deployment_draws_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    drawn = set()
    for name in ("a", "b"):
        monkeypatch.setenv("ARENA_HOME", str(tmp_path / name))
        drawn.add((secret.deployment_secret(), secret.fingerprint(), secret.derived_seed("x")))
    assert len(drawn) == 2


def test_it_refuses_a_secret_others_can_read_or_a_truncated_one(home: Path) -> None:
    path = secret.secret_path()
    secret.deployment_secret()
    path.chmod(0o644)
    with pytest.raises(secret.SecretError, match="0600"):
        secret.deployment_secret()
    path.chmod(0o600)
    path.write_bytes(b"short")
    with pytest.raises(secret.SecretError, match="5 bytes"):
        secret.deployment_secret()


def test_the_fingerprint_and_seeds_reveal_nothing_of_the_secret(home: Path) -> None:
    value = secret.deployment_secret()
    assert value.hex() not in secret.fingerprint() and secret.fingerprint() not in value.hex()
    assert secret.derived_seed("a") != secret.derived_seed("b")
    assert secret.derived_seed("a") == secret.derived_seed("a")


def test_the_secret_decides_selection_split_and_transforms(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    public = np.random.default_rng(1).random((200, 1, 8, 8)).astype(np.float32)
    labels = np.arange(200) % 10
    draws = []
    for name in ("a", "b"):
        monkeypatch.setenv("ARENA_HOME", str(tmp_path / name))
        draws.append((derive(public, labels, "p", TransformSpec(), (0.0, 1.0), count=100),
                      secret_split(100, "p")))
    (a, split_a), (b, split_b) = draws
    assert not np.array_equal(a.source_index, b.source_index)
    assert not np.array_equal(split_a[0], split_b[0])
    np.testing.assert_array_equal(a.labels, labels[a.source_index])  # labels follow their items
    np.testing.assert_array_equal(a.originals, public[a.source_index])
    # No secret image equals its public original, even rounded to the source's 8-bit grid.
    rounded = np.rint(a.images * 255) == np.rint(a.originals * 255)
    assert not rounded.reshape(100, -1).all(axis=1).any()


def test_a_new_secret_gives_a_new_folder_and_only_its_fingerprint_is_recorded(
    home: Path, secret_bundle: Path
) -> None:
    first = ensure_hidden(secret_bundle)
    manifest_text = (first / "manifest.json").read_text()
    key = read_manifest(first)["key"]
    assert key["secret"] == secret.fingerprint()
    assert secret.deployment_secret().hex() not in manifest_text
    assert ensure_hidden(secret_bundle) == first  # same secret: nothing rebuilt
    os.remove(secret.secret_path())  # another deployment's secret
    second = ensure_hidden(secret_bundle)
    assert second != first
    assert "the deployment secret changed" in read_manifest(second)["rebuilt_because"]
    with np.load(first / "functions" / "inputs.npz") as a, np.load(second / "functions" / "inputs.npz") as b:
        assert not np.array_equal(a["images"], b["images"])


def test_recipes_without_the_secret_do_not_depend_on_it(home: Path) -> None:
    bundle = BUNDLES / "fx-functions"
    first = ensure_hidden(bundle)
    assert "secret" not in read_manifest(first)["key"]
    os.remove(secret.secret_path()) if secret.secret_path().exists() else None
    assert ensure_hidden(bundle) == first
