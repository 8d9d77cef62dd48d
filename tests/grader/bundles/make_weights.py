"""Regenerate the fixture weights: ``.venv/bin/python tests/grader/bundles/make_weights.py``.

The ``fx-model`` solution is a linear layer that compares the two halves of the image.
"""

from pathlib import Path

import torch
from safetensors.torch import save_file

HERE = Path(__file__).resolve().parent


def halves_weights() -> dict[str, torch.Tensor]:
    left = torch.zeros(8, 8)
    left[:, :4] = 1.0
    left[:, 4:] = -1.0
    weight = torch.stack([-left.reshape(-1), left.reshape(-1)]) * 0.1
    return {"1.weight": weight, "1.bias": torch.zeros(2)}


if __name__ == "__main__":
    save_file(halves_weights(), str(HERE / "fx-model" / "solution" / "model.safetensors"))
