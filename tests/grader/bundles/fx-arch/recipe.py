"""Hidden inputs of the architecture fixture: a few random 12x12 images."""

from pathlib import Path

import numpy as np


def build(out: Path, seed: int) -> None:
    folder = out / "cnn"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    np.savez(folder / "inputs.npz", images=rng.standard_normal((4, 1, 12, 12)).astype(np.float32))
