"""An ``ARENA_HOME`` for the week 5 tests that holds both declared backbones.

The real ``var/weights`` is used when it has both. Until a mentor has published
``resnet18w16_fashion-mnist`` (``python -m reference_models fetch-weights``), a stand-in is
made: the same architecture (ResNet-18, width 16, 1x28x28, 10 classes), untrained, saved as a
verified checkpoint. The hidden data and data cache stay shared with the real ``var/``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from reference_models.paths import arena_home

MOBILENET = "mobilenet_v2_imagenet"
RESNET = "resnet18w16_fashion-mnist"
BACKBONES = (MOBILENET, RESNET)


def make_resnet_stand_in(weights: Path) -> None:
    import torch

    from reference_models import build
    from reference_models.training.checkpoint import CheckpointInfo, save_checkpoint

    torch.manual_seed(0)
    kwargs = {"num_classes": 10, "in_channels": 1, "input_size": 28, "width": 16}
    model = build("resnet18", **kwargs)
    info = CheckpointInfo(architecture="resnet18", model_kwargs=kwargs, dataset="fashion-mnist",
                          dataset_sha256="", accuracy=None, training_time_s=None,
                          extra={"stand_in": "untrained, for tests only"})
    save_checkpoint(model, weights / RESNET, info)


def week5_home(tmp: Path) -> Path:
    """A home whose ``weights/`` holds both backbones (copies), ``hidden``/``cache`` shared."""
    real = arena_home()
    if all((real / "weights" / f"{n}.json").is_file() for n in BACKBONES):
        return real
    home = tmp / "arena-home"
    (home / "weights").mkdir(parents=True, exist_ok=True)
    for name in ("hidden", "cache"):
        (real / name).mkdir(parents=True, exist_ok=True)
        if not (home / name).exists():
            (home / name).symlink_to(real / name)
    for name in BACKBONES:
        for suffix in (".safetensors", ".json"):
            source = real / "weights" / f"{name}{suffix}"
            if source.is_file():
                shutil.copyfile(source, home / "weights" / source.name)
    if not (home / "weights" / f"{RESNET}.json").is_file():
        make_resnet_stand_in(home / "weights")
    return home
