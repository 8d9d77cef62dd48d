"""The halves task of ``fx-model`` with a training split and a few public examples."""

from pathlib import Path

import numpy as np


def halves(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    labels = rng.integers(0, 2, count)
    images = rng.standard_normal((count, 1, 8, 8)).astype(np.float32)
    sign = np.where(labels == 1, 1.0, -1.0).astype(np.float32)[:, None, None]
    images[:, 0, :, :4] += 0.8 * sign
    images[:, 0, :, 4:] -= 0.8 * sign
    return images, labels.astype(np.int64)


def build(out: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    folder = out / "halves"
    folder.mkdir(parents=True)
    images, labels = halves(rng, 1024)
    np.savez(folder / "train.npz", images=images, labels=labels)
    images, labels = halves(rng, 256)
    np.savez(folder / "inputs.npz", images=images)
    np.savez(folder / "labels.npz", labels=labels)
    images, labels = halves(rng, 8)
    np.savez(folder / "public.npz", images=images)
    np.savez(folder / "public_labels.npz", labels=labels)
