"""The pinned SHA-256 of every fetched file (``checksums.toml``) and how to check them."""

from __future__ import annotations

import functools
import hashlib
import tomllib
from pathlib import Path

CHECKSUMS_FILE = Path(__file__).with_name("checksums.toml")


class ChecksumMismatch(RuntimeError):
    """A fetched file is not the one the project pinned."""


@functools.cache
def pinned() -> dict[str, dict[str, str]]:
    with CHECKSUMS_FILE.open("rb") as handle:
        return tomllib.load(handle)


def expected(source: str, filename: str) -> str:
    return pinned()[source][filename]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_file(path: Path, source: str) -> None:
    """Raise ``ChecksumMismatch`` unless ``path`` hashes to its pinned value."""
    actual = sha256_file(path)
    want = expected(source, path.name)
    if actual != want:
        raise ChecksumMismatch(f"{path}: sha256 {actual} but {source} pins {want}")
