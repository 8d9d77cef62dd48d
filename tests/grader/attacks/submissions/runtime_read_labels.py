"""Threat 37: answer from the published test split if any copy is readable in the sandbox.

Looks in every place a dataset file has been found on a worker (Debian's dataset package, the
data layer's cache) and then walks the whole file system for the files by name; a hit builds a
table from image bytes to label and answers every query exactly.
"""

import gzip
import os

import numpy as np
import torch
from torch import nn

NAMES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
PLACES = ("/usr/share/datasets/fashion-mnist", "/work/main/var/cache/data/fashion-mnist")


def _find() -> str | None:
    for place in PLACES:
        if all(os.path.isfile(os.path.join(place, n)) for n in NAMES):
            return place
    for dirpath, _, filenames in os.walk("/"):
        if dirpath.startswith(("/proc", "/sys", "/dev")):
            continue
        if all(n in filenames for n in NAMES):
            return dirpath
    return None


def _table() -> dict[bytes, int]:
    place = _find()
    if place is None:
        return {}
    print(f"ESCAPED: read the published labels in {place}")
    with gzip.open(os.path.join(place, NAMES[0])) as handle:
        images = np.frombuffer(handle.read(), np.uint8, offset=16).reshape(-1, 784)
    with gzip.open(os.path.join(place, NAMES[1])) as handle:
        labels = np.frombuffer(handle.read(), np.uint8, offset=8)
    return {image.tobytes(): int(label) for image, label in zip(images, labels)}


class Lookup(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(1))
        self.table: dict[bytes, int] | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.table is None:
            self.table = _table()
        pixels = (x.reshape(len(x), -1) * 255).round().to(torch.uint8).numpy()
        logits = torch.zeros(len(x), 10)
        for row, image in enumerate(pixels):
            logits[row, self.table.get(image.tobytes(), 0)] = self.scale.detach()
        return logits


def build_model() -> nn.Module:
    return Lookup()
