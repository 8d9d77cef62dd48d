"""The figures of README part (a): transfer against learning from scratch, on the published
100 training digits and the hidden test of the recipe.

    .venv/bin/python assignments/week5-transfer/solution/compare_scratch.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import recipe
import submission
import train


def small_cnn() -> nn.Module:
    """A week-3 style CNN: what 100 digits can teach a network that starts from nothing."""
    def block(cin: int, cout: int) -> list[nn.Module]:
        return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU()]
    return nn.Sequential(*block(1, 32), nn.MaxPool2d(2), *block(32, 64), nn.MaxPool2d(2),
                         *block(64, 128), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10))


def fit(model: nn.Module, params, epochs: int, lr: float, frozen: nn.Module | None = None) -> nn.Module:
    images, labels, _ = recipe.training_digits()
    x = torch.from_numpy(images).float()[:, None] / 255.0
    y = torch.from_numpy(labels)
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, lr, total_steps=epochs * 4)
    for _ in range(epochs):
        model.train()
        if frozen is not None:
            frozen.eval()
        for batch in torch.randperm(len(y)).chunk(4):
            loss = F.cross_entropy(model(train.shift(x[batch])), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
    return model.eval()


def hidden_accuracy(model: nn.Module, folder: Path) -> float:
    with np.load(folder / "digits" / "inputs.npz") as data:
        x = torch.from_numpy(data["images"])
    with np.load(folder / "digits" / "labels.npz") as data:
        y = data["labels"]
    with torch.no_grad():
        predicted = np.concatenate([model(b).argmax(1).numpy() for b in x.split(100)])
    return float((predicted == y).mean())


def main() -> None:
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        recipe.build_digits(Path(tmp), seed=20261203)
        torch.manual_seed(0)
        np.random.seed(0)
        scratch = small_cnn()
        print(f"small CNN from scratch: {hidden_accuracy(fit(scratch, scratch.parameters(), 60, 3e-3), Path(tmp)):.3f}")
        torch.manual_seed(0)
        np.random.seed(0)
        frozen = submission.build_classifier()  # the builder loads the ImageNet trunk
        for p in frozen.features.parameters():
            p.requires_grad_(False)
        fit(frozen, frozen.head.parameters(), 30, 3e-3, frozen=frozen.features)
        print(f"MobileNetV2 trunk frozen, linear head: {hidden_accuracy(frozen, Path(tmp)):.3f}")


if __name__ == "__main__":
    main()
