"""The first 500 Fashion-MNIST test images and labels, exactly as published."""

from pathlib import Path

import numpy as np

from arena_datasets.real import fashion_mnist

COUNT = 500


def build(out: Path, seed: int) -> None:
    images, labels = fashion_mnist("test")
    folder = out / "fashion"
    folder.mkdir(parents=True)
    pixels = images[:COUNT, None].astype(np.float32) / 255.0
    np.savez(folder / "inputs.npz", images=pixels)
    np.savez(folder / "labels.npz", labels=labels[:COUNT])
