"""Train the bonus reference solution on canvases of LFW crops 0 to 69; writes face.safetensors.

    .venv/bin/python assignments/bonus-faces/solution/train.py [--out DIR] [--quick]
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

import submission

from arena_datasets.localization import face_canvases

TRAIN_CROPS = slice(0, 70)
TRAIN_SEED = 11


def box_loss(pred: torch.Tensor, true: torch.Tensor) -> torch.Tensor:
    l1 = F.smooth_l1_loss(pred / submission.CANVAS, true / submission.CANVAS, beta=0.05)
    lo = torch.maximum(pred[:, :2], true[:, :2])
    hi = torch.minimum(pred[:, 2:], true[:, 2:])
    inter = (hi - lo).clamp(min=0).prod(1)
    area_pred = (pred[:, 2:] - pred[:, :2]).clamp(min=0).prod(1)
    area_true = (true[:, 2:] - true[:, :2]).clamp(min=0).prod(1)
    iou = inter / (area_pred + area_true - inter + 1e-6)
    return 5.0 * l1 + (1.0 - iou).mean()


def train(count: int, epochs: int, batch_size: int = 64) -> torch.nn.Module:
    data = face_canvases(count, TRAIN_SEED, crops=TRAIN_CROPS)
    x = torch.from_numpy(data.images)[:, None]
    face = torch.from_numpy((data.labels == 1).astype(np.int64))
    boxes = torch.from_numpy(data.boxes)
    model = submission.build_model()
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    steps = epochs * ((count + batch_size - 1) // batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, 3e-3, total_steps=steps)
    model.train()
    for epoch in range(epochs):
        for batch in torch.randperm(count).split(batch_size):
            images = x[batch].float() / 255.0
            if torch.rand(()) < 0.5:  # a mirrored face is a face: flip image and box together
                images = images.flip(3)
                flipped = boxes[batch].clone()
                flipped[:, [0, 2]] = submission.CANVAS - boxes[batch][:, [2, 0]]
            else:
                flipped = boxes[batch]
            logits, pred = model(images)
            has_face = face[batch] == 1
            loss = F.cross_entropy(logits, face[batch])
            if has_face.any():
                loss = loss + box_loss(pred[has_face], flipped[has_face])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
        print(f"epoch {epoch + 1}/{epochs}: last loss {loss.item():.3f}", flush=True)
    return model.eval()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--quick", action="store_true", help="a smoke run, not the reference")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    count, epochs = (256, 1) if args.quick else (5000, 10)
    state = {k: v.contiguous() for k, v in train(count, epochs).state_dict().items()}
    args.out.mkdir(parents=True, exist_ok=True)
    save_file(state, str(args.out / "face.safetensors"))


if __name__ == "__main__":
    main()
