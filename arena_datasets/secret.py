"""The per-deployment secret that hidden sets derived from public data are drawn through.

Every data set of the course is public, so a hidden set taken from one verbatim can be looked up
(threat 36). The secret decides which public items a hidden set holds, which go public or private
and how each is transformed; without it a mentee cannot rebuild the set from the public data.

It is 32 random bytes in ``ARENA_HOME/secret/hidden.key`` (mode 0600), created on first use (the
install runs ``build-hidden``, which creates it). It never enters the repo (``var/`` is ignored),
a bundle, a manifest or a sandbox: the data key records only ``fingerprint()``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

import numpy as np

from arena_datasets.paths import arena_home

SECRET_BYTES = 32
SECRET_FILE = Path("secret") / "hidden.key"


class SecretError(RuntimeError):
    """The secret file exists but is not a secret this module wrote."""


def secret_path() -> Path:
    return arena_home() / SECRET_FILE


def _create(path: Path) -> None:
    """Write a fresh secret atomically: readers never see a short file; a racing worker's wins."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, os.urandom(SECRET_BYTES))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(temporary, path)  # fails if another process created it first: keep theirs
    except FileExistsError:
        pass
    finally:
        temporary.unlink()


def deployment_secret() -> bytes:
    """The 32 secret bytes of this ``ARENA_HOME``, created on first use."""
    path = secret_path()
    if not path.exists():
        _create(path)
    if path.is_symlink() or not path.is_file():
        raise SecretError(f"{path} is not a regular file")
    if path.stat().st_mode & 0o077:
        raise SecretError(f"{path} is readable by others; it must be mode 0600")
    secret = path.read_bytes()
    if len(secret) != SECRET_BYTES:
        raise SecretError(f"{path} holds {len(secret)} bytes, not {SECRET_BYTES}")
    return secret


def fingerprint() -> str:
    """A public name of the secret (for the data key): changes with it, reveals nothing of it."""
    return hmac.new(deployment_secret(), b"arena fingerprint", hashlib.sha256).hexdigest()[:16]


def derived_seed(*keys: object) -> int:
    """A 128-bit integer seed from the secret and ``keys`` (a slug, a part, a purpose)."""
    label = "\x1f".join(str(k) for k in keys).encode()
    digest = hmac.new(deployment_secret(), label, hashlib.sha256).digest()
    return int.from_bytes(digest[:16], "big")


def secret_rng(*keys: object) -> np.random.Generator:
    """An independent stream per ``keys``, unpredictable without the secret."""
    return np.random.default_rng(derived_seed(*keys))
