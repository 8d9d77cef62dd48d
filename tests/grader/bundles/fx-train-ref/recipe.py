"""Ten classes of 12x12 noise, each with its own bright pixel: a training split, hidden and
public examples."""

from pathlib import Path

import numpy as np


def images_of(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    labels = rng.integers(0, 10, count)
    images = rng.standard_normal((count, 1, 12, 12)).astype(np.float32) * 0.3
    images[np.arange(count), 0, labels + 1, labels + 1] += 3.0
    return images, labels.astype(np.int64)


def build(out: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    folder = out / "cnn"
    folder.mkdir(parents=True)
    images, labels = images_of(rng, 512)
    np.savez(folder / "train.npz", images=images, labels=labels)
    images, labels = images_of(rng, 96)
    np.savez(folder / "inputs.npz", images=images)
    np.savez(folder / "labels.npz", labels=labels)
    images, labels = images_of(rng, 8)
    np.savez(folder / "public.npz", images=images)
    np.savez(folder / "public_labels.npz", labels=labels)
