"""Two classes of 8x8 noise images: the brighter half (left or right) is the label."""

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
    images, labels = halves(rng, 512)
    np.savez(folder / "inputs.npz", images=images)
    np.savez(folder / "labels.npz", labels=labels)
