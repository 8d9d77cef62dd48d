"""A mentee's training script with a classic bug: it assumes the training file is sorted by class
in ten equal blocks (as some MNIST dumps are) and rebuilds the labels from the position, ignoring
``labels`` in the file. The split is in fact interleaved, so the model learns noise.

    .venv/bin/python assignments/week2-neural-nets/wrong/labels_assumed_sorted/train.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

HERE = Path(__file__).resolve().parent
BUNDLE = HERE.parent.parent


def main() -> None:
    sys.path.insert(0, str(BUNDLE / "solution"))
    from train import train  # the reference training loop, fed the wrong labels

    torch.set_num_threads(1)
    data = np.load(BUNDLE / "starter" / "digits_train.npz")
    count = len(data["labels"])
    labels_from_position = (np.arange(count) * 10 // count).astype(np.int64)
    weight, bias = train(data["images"], labels_from_position)
    save_file(
        {"linear.weight": weight.T.contiguous(), "linear.bias": bias},
        str(HERE / "logreg.safetensors"),
    )


if __name__ == "__main__":
    main()
