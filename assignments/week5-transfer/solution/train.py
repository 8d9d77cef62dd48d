"""Train the week 5 reference solution and write its two weight files (float16 safetensors).

The builders load the ImageNet trunk themselves (``pretrained.py``); ``classifier.safetensors``
gets the whole fine-tuned model, ``localizer.safetensors`` only the head trained over the
frozen trunk (the grader loads the trunk from its read-only mount).

    .venv/bin/python assignments/week5-transfer/solution/train.py [--out DIR] [--quick]

Needs ``make data`` (MNIST, Fashion-MNIST, textures) and the MobileNetV2 ImageNet backbone in
``var/weights``. Takes about 10 minutes on a CPU core; ``--quick`` is a smoke run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import recipe
import submission

from arena_datasets.localization import fashion_canvases

LOCALIZER_TRAIN_SEED = 7   # any seed but the hidden one; mentees pick their own


def shift(batch: torch.Tensor, pixels: int = 2) -> torch.Tensor:
    """Random translation by up to ``pixels``: the only augmentation 100 digits need."""
    padded = F.pad(batch, (pixels,) * 4)
    top, left = np.random.randint(0, 2 * pixels + 1, size=2)
    return padded[:, :, top: top + batch.shape[2], left: left + batch.shape[3]]


def train_classifier(epochs: int) -> torch.nn.Module:
    images, labels, _ = recipe.training_digits()
    x = torch.from_numpy(images).float()[:, None] / 255.0
    y = torch.from_numpy(labels)
    model = submission.build_classifier()  # the ImageNet trunk is loaded by the builder
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    steps_per_epoch = 4
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, 1e-3, total_steps=epochs * steps_per_epoch)
    model.train()
    for _ in range(epochs):
        for batch in torch.randperm(len(y)).chunk(steps_per_epoch):
            loss = F.cross_entropy(model(shift(x[batch])), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
    return model.eval()


def box_loss(pred: torch.Tensor, true: torch.Tensor) -> torch.Tensor:
    """L1 on coordinates scaled to the canvas plus 1 - IoU, which L1 alone undervalues."""
    l1 = F.smooth_l1_loss(pred / submission.CANVAS, true / submission.CANVAS, beta=0.05)
    lo = torch.maximum(pred[:, :2], true[:, :2])
    hi = torch.minimum(pred[:, 2:], true[:, 2:])
    inter = (hi - lo).clamp(min=0).prod(1)
    area = lambda b: (b[:, 2:] - b[:, :2]).clamp(min=0).prod(1)
    iou = inter / (area(pred) + area(true) - inter + 1e-6)
    return l1 * 5.0 + (1.0 - iou).mean()


@torch.no_grad()
def trunk_features(model: torch.nn.Module, images: np.ndarray, batch_size: int = 256) -> torch.Tensor:
    """The frozen trunk's output for every canvas, computed once (the slow part on a CPU)."""
    model.eval()
    chunks = [model.features(model.input(torch.from_numpy(images[i: i + batch_size])[:, None]
                                          .float() / 255.0))
              for i in range(0, len(images), batch_size)]
    return torch.cat(chunks)


def train_localizer(count: int, epochs: int, batch_size: int = 128) -> torch.nn.Module:
    data = fashion_canvases("train", count, LOCALIZER_TRAIN_SEED)
    model = submission.build_localizer()
    features = trunk_features(model, data.images)
    y = torch.from_numpy(data.labels)
    boxes = torch.from_numpy(data.boxes)
    head = model.head
    optimizer = torch.optim.AdamW(head.parameters(), lr=2e-3, weight_decay=1e-3)
    steps = epochs * ((count + batch_size - 1) // batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, 2e-3, total_steps=steps)
    head.train()
    for epoch in range(epochs):
        for batch in torch.randperm(count).split(batch_size):
            logits, pred = head(features[batch])
            loss = F.cross_entropy(logits, y[batch]) + box_loss(pred, boxes[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
        print(f"localizer epoch {epoch + 1}/{epochs}: last loss {loss.item():.3f}", flush=True)
    return model.eval()


def save_half(model: torch.nn.Module, path: Path, skip: str = "") -> None:
    """Float16 halves the upload; ``load_state_dict`` casts back to the model's float32.

    ``skip``: a key prefix left out (the frozen trunk, which the grader mounts)."""
    state = {k: (v.half() if v.is_floating_point() else v).contiguous()
             for k, v in model.state_dict().items() if not (skip and k.startswith(skip))}
    save_file(state, str(path))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--quick", action="store_true", help="a smoke run, not the reference")
    parser.add_argument("--only", choices=("classifier", "localizer"), help="train one model")
    args = parser.parse_args()
    # One thread: on a shared 2-core machine two threads mostly wait for each other.
    torch.set_num_threads(1)
    torch.manual_seed(0)
    np.random.seed(0)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.only != "localizer":
        save_half(train_classifier(epochs=3 if args.quick else 30),
                  args.out / "classifier.safetensors")
        print("classifier written", flush=True)
    if args.only == "classifier":
        return
    count, epochs = (256, 1) if args.quick else (8000, 40)
    save_half(train_localizer(count, epochs), args.out / "localizer.safetensors",
              skip="features.")
    print("localizer written", flush=True)


if __name__ == "__main__":
    main()
