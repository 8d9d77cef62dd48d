"""Reproduce ``solution/logreg.safetensors``: full-batch gradient descent with the solution's own
``gradient_descent_step`` on ``starter/digits_train.npz`` (what the mentees get).

    .venv/bin/python assignments/week2-neural-nets/solution/train.py
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

HERE = Path(__file__).resolve().parent
STEPS = 3000
LEARNING_RATE = 0.5


def train(images: np.ndarray, labels: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    from submission import gradient_descent_step

    x = torch.from_numpy(images.reshape(len(images), -1).astype(np.float32) / 16.0)
    y = torch.from_numpy(labels)
    weight, bias = torch.zeros(64, 10), torch.zeros(10)
    for _ in range(STEPS):
        weight, bias = gradient_descent_step(weight, bias, x, y, LEARNING_RATE)
    return weight, bias


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=HERE / "logreg.safetensors")
    args = parser.parse_args()
    torch.set_num_threads(1)  # tiny matrices: threads only add contention (and nondeterminism)
    sys.path.insert(0, str(HERE))
    data = np.load(HERE.parent / "starter" / "digits_train.npz")
    weight, bias = train(data["images"], data["labels"])
    # nn.Linear stores the weight as [out, in]: the transpose of x @ weight.
    save_file({"linear.weight": weight.T.contiguous(), "linear.bias": bias}, str(args.out))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
