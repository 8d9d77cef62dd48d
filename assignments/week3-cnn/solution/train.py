"""Reproduce ``solution/cnn.safetensors``: the reference SmallCNN trained on the 60,000
Fashion-MNIST training images (what the mentees get), on the CPU, seeded.

    .venv/bin/python assignments/week3-cnn/solution/train.py [--epochs 4]

About 3 minutes per epoch on 2 CPU cores. Reports the accuracy on the first 5,000 training
images it holds out for validation, never on the hidden test images.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

HERE = Path(__file__).resolve().parent
SEED = 3
VALIDATION = 5000
BATCH_SIZE = 128


def accuracy(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    model.eval()
    with torch.no_grad():
        predictions = torch.cat([model(batch).argmax(1) for batch in images.split(1000)])
    model.train()
    return (predictions == labels).float().mean().item()


def train(epochs: int) -> torch.nn.Module:
    sys.path.insert(0, str(HERE))
    from submission import build_model

    from arena_datasets.real import fashion_mnist

    torch.manual_seed(SEED)
    raw_images, raw_labels = fashion_mnist("train")
    images = torch.from_numpy(raw_images).float().div_(255.0)[:, None]
    labels = torch.from_numpy(raw_labels)
    val_images, val_labels = images[:VALIDATION], labels[:VALIDATION]
    train_images, train_labels = images[VALIDATION:], labels[VALIDATION:]
    model = build_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    steps = epochs * (len(train_images) // BATCH_SIZE)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=4e-3, total_steps=steps)
    generator = torch.Generator().manual_seed(SEED)
    for epoch in range(epochs):
        order = torch.randperm(len(train_images), generator=generator)
        for start in range(0, len(order) - BATCH_SIZE + 1, BATCH_SIZE):
            batch = order[start : start + BATCH_SIZE]
            loss = F.cross_entropy(model(train_images[batch]), train_labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
        print(
            f"epoch {epoch + 1}: validation accuracy {accuracy(model, val_images, val_labels):.4f}",
            flush=True,
        )
    return model


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=4)
    args = parser.parse_args()
    model = train(args.epochs)
    state = {name: tensor.contiguous() for name, tensor in model.state_dict().items()}
    save_file(state, str(HERE / "cnn.safetensors"))
    print(f"wrote {HERE / 'cnn.safetensors'}")


if __name__ == "__main__":
    main()
