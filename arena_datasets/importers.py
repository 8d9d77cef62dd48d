"""Importers for data sets a mentor brings, all returning an ``ImportedDataset``.

Formats: a torchvision-style CIFAR-10 folder (``cifar-10-batches-py``), an ImageFolder tree
(``root/<class>/<image>``), and an ``.npz`` with ``images`` and ``labels`` (and optionally
``classes``). Images come back as ``uint8 [N,C,H,W]`` (``C`` is 1 or 3), labels as ``int64 [N]``.

Trust: these run on the trusted side, on files the *mentor* chose. The CIFAR-10 batches are
Python pickles; unpickling runs code, so ``import_cifar10`` must only ever see the official
archive a mentor put on disk, never anything a mentee uploaded. The other importers never unpickle.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import NamedTuple

import numpy as np

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm"}
CIFAR_TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
CIFAR_TEST_BATCHES = ("test_batch",)


class ImportedDataset(NamedTuple):
    images: np.ndarray  # uint8 [N, C, H, W]
    labels: np.ndarray  # int64 [N]
    classes: list[str]  # classes[label] is the class name


class DatasetFormatError(ValueError):
    """The folder or file is not in the format the importer expects."""


def _unpickle_mentor_file(path: Path) -> dict[bytes, object]:
    # Mentor-trusted input only (see the module docstring): pickle can execute code.
    with path.open("rb") as handle:
        return pickle.load(handle, encoding="bytes")


def import_cifar10(folder: Path, split: str = "train") -> ImportedDataset:
    """Read ``cifar-10-batches-py`` (``data_batch_1..5`` or ``test_batch`` and ``batches.meta``)."""
    folder = Path(folder)
    names = {"train": CIFAR_TRAIN_BATCHES, "test": CIFAR_TEST_BATCHES}.get(split)
    if names is None:
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    missing = [n for n in (*names, "batches.meta") if not (folder / n).is_file()]
    if missing:
        raise DatasetFormatError(f"{folder} is not a cifar-10-batches-py folder: missing {missing}")
    meta = _unpickle_mentor_file(folder / "batches.meta")
    classes = [name.decode() for name in meta[b"label_names"]]  # type: ignore[union-attr]
    images, labels = [], []
    for name in names:
        batch = _unpickle_mentor_file(folder / name)
        # Each row is 3072 bytes: the red plane, then green, then blue (32x32 each).
        images.append(np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
        labels.append(np.asarray(batch[b"labels"], dtype=np.int64))
    return ImportedDataset(np.concatenate(images), np.concatenate(labels), classes)


def _load_image(path: Path, mode: str, size: tuple[int, int] | None) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as image:
        converted = image.convert(mode)
        if size is not None and converted.size != (size[1], size[0]):
            converted = converted.resize((size[1], size[0]), Image.Resampling.BILINEAR)
        pixels = np.asarray(converted, dtype=np.uint8)
    return pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)


def import_image_folder(
    root: Path, mode: str = "RGB", size: tuple[int, int] | None = None
) -> ImportedDataset:
    """Read ``root/<class>/<image>`` like torchvision's ``ImageFolder`` (classes sorted by name).

    ``mode`` is a PIL mode (``"RGB"`` or ``"L"``); ``size`` is ``(H, W)`` to resize to, needed
    when the images do not all share one size.
    """
    root = Path(root)
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise DatasetFormatError(f"{root} has no class folders")
    images, labels = [], []
    for index, name in enumerate(classes):
        for path in sorted((root / name).rglob("*")):
            if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES:
                images.append(_load_image(path, mode, size))
                labels.append(index)
    if not images:
        raise DatasetFormatError(f"{root} holds no images")
    if len({image.shape for image in images}) > 1:
        raise DatasetFormatError(f"images under {root} differ in size: pass size=(H, W)")
    return ImportedDataset(np.stack(images), np.asarray(labels, dtype=np.int64), classes)


def _as_nchw(images: np.ndarray) -> np.ndarray:
    if images.ndim == 3:
        return images[:, None]
    if images.ndim == 4 and images.shape[1] in (1, 3):
        return images
    if images.ndim == 4 and images.shape[3] in (1, 3):
        return images.transpose(0, 3, 1, 2)
    raise DatasetFormatError(
        f"images of shape {images.shape} are neither [N,H,W], [N,C,H,W] nor [N,H,W,C]"
    )


def import_npz(path: Path) -> ImportedDataset:
    """Read an ``.npz`` with ``images`` (``[N,H,W]``, ``[N,C,H,W]`` or ``[N,H,W,C]``, uint8 or
    floats in [0,1]), ``labels`` (``[N]`` integers) and optionally ``classes`` (strings)."""
    with np.load(Path(path), allow_pickle=False) as data:
        if "images" not in data or "labels" not in data:
            raise DatasetFormatError(f"{path} needs arrays 'images' and 'labels', has {list(data)}")
        images, labels = data["images"], data["labels"]
        classes = [str(c) for c in data["classes"]] if "classes" in data else None
    if images.dtype != np.uint8:
        if not np.issubdtype(images.dtype, np.floating) or images.min() < 0 or images.max() > 1:
            raise DatasetFormatError("images must be uint8, or floats in [0, 1]")
        images = np.rint(images * 255.0).astype(np.uint8)
    if (
        labels.ndim != 1
        or len(labels) != len(images)
        or not np.issubdtype(labels.dtype, np.integer)
    ):
        raise DatasetFormatError("labels must be one integer per image")
    labels = labels.astype(np.int64)
    classes = classes or [str(i) for i in range(int(labels.max()) + 1)]
    if labels.min() < 0 or labels.max() >= len(classes):
        raise DatasetFormatError(f"labels must lie in 0..{len(classes) - 1}")
    return ImportedDataset(_as_nchw(images), labels, classes)


def import_dataset(path: Path, split: str = "train") -> ImportedDataset:
    """Recognise the format of ``path`` and import it."""
    path = Path(path)
    if path.is_file() and path.suffix == ".npz":
        return import_npz(path)
    if path.is_dir() and (path / "batches.meta").is_file():
        return import_cifar10(path, split)
    if path.is_dir():
        return import_image_folder(path)
    raise DatasetFormatError(
        f"{path}: not an .npz, a cifar-10-batches-py folder or an image folder"
    )
