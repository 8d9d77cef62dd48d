"""The pretrained backbones of week 5, in the grader's sandbox and on your own machine.

Keep this file next to ``submission.py`` and put it in your upload. In the sandbox the grader
mounts the backbones read-only and sets ``$ARENA_PRETRAINED`` to their folder (it is
``/arena/pretrained``); on your machine the first folder that has the file wins:

1. ``$ARENA_PRETRAINED``, when set (in the sandbox, the only place looked at);
2. ``$ARENA_WEIGHTS``, then ``$ARENA_HOME/weights``;
3. ``weights/`` in the current folder, then next to this file;
4. ``var/weights/`` of a checkout of the platform above this file (what ``make setup`` fills);
5. ``~/.cache/arena/weights``.

Names: ``mobilenet_v2_imagenet`` (torchvision's ImageNet MobileNetV2, ``IMAGENET1K_V1``) and
``resnet18w16_fashion-mnist`` (the platform's ResNet-18, width 16, on 28x28 Fashion-MNIST).

    from pretrained import load_backbone
    trunk.load_state_dict(load_backbone("mobilenet_v2_imagenet", prefix="features."), strict=False)
"""

from __future__ import annotations

import os
from pathlib import Path

ENV = "ARENA_PRETRAINED"


def search_folders() -> list[Path]:
    """Where ``pretrained_path`` looks, in order."""
    if os.environ.get(ENV):
        return [Path(os.environ[ENV])]  # the grader's mount: nothing else counts there
    folders = []
    if os.environ.get("ARENA_WEIGHTS"):
        folders.append(Path(os.environ["ARENA_WEIGHTS"]))
    if os.environ.get("ARENA_HOME"):
        folders.append(Path(os.environ["ARENA_HOME"]) / "weights")
    here = Path(__file__).resolve().parent
    folders += [Path.cwd() / "weights", here / "weights"]
    folders += [parent / "var" / "weights" for parent in here.parents]
    folders.append(Path.home() / ".cache" / "arena" / "weights")
    return folders


def pretrained_path(name: str) -> Path:
    """The file ``<name>.safetensors`` of a pretrained backbone."""
    for folder in search_folders():
        path = folder / f"{name}.safetensors"
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"no {name}.safetensors in {[str(f) for f in search_folders()]}: in a checkout of the "
        "platform run `make setup` (or `python -m reference_models fetch-weights`), or put the "
        "file in a weights/ folder next to submission.py (see README.md)"
    )


def load_backbone(name: str, prefix: str = "") -> dict:
    """The backbone's state dict (tensors, on the CPU).

    ``prefix``: keep only the keys that start with it, and strip it (``"features."`` gives the
    keys of ``mobilenet_v2().features``: ``"0.0.weight"``, ``"1.conv.0.0.weight"``, ...).
    """
    from safetensors.torch import load_file

    state = load_file(str(pretrained_path(name)))
    if prefix:
        state = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
    return state
