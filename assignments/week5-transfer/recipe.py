"""Hidden data of week 5 (trusted, mentor-written).

- ``digits``: 10 labelled MNIST digits per class are the whole training set (published in the
  starter as ``train_digits.npz``); the hidden test is 1,000 other digits of the same source.
- ``localize`` and ``boxes``: Fashion-MNIST *test* items on 64x64 canvases
  (``arena_datasets.localization.FASHION_SPEC``); mentees train on *train* items with any seed,
  so neither the objects nor the canvases of the hidden set are ever seen in training.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from arena_datasets import real
from arena_datasets.localization import LocalizationSet, fashion_canvases

SHOTS_PER_CLASS = 10
TRAIN_SEED = 20261201          # fixed forever: the starter's train_digits.npz is drawn with it
DIGITS_TEST = 1000
LOCALIZE_TEST = 1000
BOXES_TEST = 300
PUBLIC = 16


def training_digits() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The published training set: ``(images uint8 [100,28,28], labels, source indices)``."""
    images, labels = real.mnist_digits()
    rng = np.random.default_rng(TRAIN_SEED)
    chosen = np.concatenate([rng.choice(np.flatnonzero(labels == c), SHOTS_PER_CLASS,
                                        replace=False) for c in range(10)])
    chosen = rng.permutation(chosen)   # shuffled: the file is not in class order
    return images[chosen], labels[chosen], chosen


def _as_input(images: np.ndarray) -> np.ndarray:
    return (images.astype(np.float32) / 255.0)[:, None]


def _write(folder: Path, images: np.ndarray, labels: np.ndarray, public: int,
           boxes: np.ndarray | None = None) -> None:
    """Public sanity examples first, then the hidden test; boxes go with the labels."""
    folder.mkdir(parents=True, exist_ok=True)
    extra = {} if boxes is None else {"boxes": boxes[public:]}
    np.savez_compressed(folder / "public.npz", images=_as_input(images[:public]))
    np.savez_compressed(folder / "public_labels.npz", labels=labels[:public])
    np.savez_compressed(folder / "inputs.npz", images=_as_input(images[public:]))
    np.savez_compressed(folder / "labels.npz", labels=labels[public:], **extra)


def build_digits(out: Path, seed: int) -> None:
    images, labels = real.mnist_digits()
    _, _, taken = training_digits()
    pool = np.setdiff1d(np.arange(len(labels)), taken)
    chosen = np.random.default_rng(seed).choice(pool, PUBLIC + DIGITS_TEST, replace=False)
    _write(out / "digits", images[chosen], labels[chosen], PUBLIC)


def _canvases(out: Path, part: str, data: LocalizationSet) -> None:
    _write(out / part, data.images, data.labels, PUBLIC, boxes=data.boxes)


def build(out: Path, seed: int) -> None:
    build_digits(out, seed)
    _canvases(out, "localize", fashion_canvases("test", PUBLIC + LOCALIZE_TEST, seed + 1))
    _canvases(out, "boxes", fashion_canvases("test", PUBLIC + BOXES_TEST, seed + 2))
