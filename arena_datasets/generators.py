"""Seeded, versioned, deterministic generators for recipes.

The same ``(seed, keys)`` gives the same arrays on every machine and NumPy version that keeps
PCG64 (the bit generator NumPy promises to keep stable). ``GENERATOR_VERSION`` is part of what a
recipe hashes: bump it whenever a generator below would produce different values.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

GENERATOR_VERSION = 1

_FLOAT_DTYPES = ("float16", "float32", "float64")
_INT_DTYPES = ("int8", "int16", "int32", "int64", "uint8")


def rng_for(seed: int, *keys: str | int) -> np.random.Generator:
    """An independent generator for one named stream, e.g. ``rng_for(seed, "softmax", 3)``.

    Keys are hashed with SHA-256 (not Python's salted ``hash``) so streams are stable across runs,
    and adding a check to a recipe leaves the cases of the other checks unchanged.
    """
    text = "/".join([str(GENERATOR_VERSION), str(seed), *map(str, keys)])
    words = np.frombuffer(hashlib.sha256(text.encode()).digest(), dtype=np.uint32)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(words.tolist())))


def random_array(
    rng: np.random.Generator,
    shape: Sequence[int],
    dtype: str = "float32",
    low: float = -1.0,
    high: float = 1.0,
) -> np.ndarray:
    """Uniform values in ``[low, high)`` (integers: ``[low, high)`` too) of the given dtype."""
    if dtype in _FLOAT_DTYPES:
        return rng.uniform(low, high, size=tuple(shape)).astype(dtype)
    if dtype in _INT_DTYPES:
        return rng.integers(int(low), int(high), size=tuple(shape), dtype=np.int64).astype(dtype)
    raise ValueError(f"unsupported dtype {dtype!r}")


def random_normal(
    rng: np.random.Generator, shape: Sequence[int], dtype: str = "float32", scale: float = 1.0
) -> np.ndarray:
    if dtype not in _FLOAT_DTYPES:
        raise ValueError(f"random_normal needs a float dtype, not {dtype!r}")
    return (rng.standard_normal(size=tuple(shape)) * scale).astype(dtype)


def random_labels(rng: np.random.Generator, n: int, num_classes: int) -> np.ndarray:
    """``int64 [n]`` class indices, every class present when ``n >= num_classes``."""
    labels = rng.integers(0, num_classes, size=n, dtype=np.int64)
    if n >= num_classes:
        labels[rng.permutation(n)[:num_classes]] = np.arange(num_classes)
    return labels


def public_private_split(
    n: int, seed: int, public_fraction: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """Split ``range(n)`` into sorted ``int64`` public and private index arrays by ``seed``."""
    if not 0.0 < public_fraction < 1.0:
        raise ValueError("public_fraction must be strictly between 0 and 1")
    order = rng_for(seed, "public_private_split", n).permutation(n)
    cut = round(n * public_fraction)
    return np.sort(order[:cut]).astype(np.int64), np.sort(order[cut:]).astype(np.int64)


def stratified_split(
    labels: np.ndarray, seed: int, test_fraction: float
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted ``int64`` train and test indices holding ``test_fraction`` of every class out."""
    rng = rng_for(seed, "stratified_split", len(labels))
    train, test = [], []
    for cls in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == cls))
        cut = round(len(members) * test_fraction)
        test.append(members[:cut])
        train.append(members[cut:])
    return np.sort(np.concatenate(train)).astype(np.int64), np.sort(np.concatenate(test)).astype(
        np.int64
    )
