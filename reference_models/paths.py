"""Run-time paths of ``reference_models``: everything under ``ARENA_HOME`` (default ``<repo>/var``)."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"


def arena_home() -> Path:
    configured = os.environ.get("ARENA_HOME")
    return Path(configured).resolve() if configured else REPO_ROOT / "var"


def weights_dir() -> Path:
    """``var/weights``: pretrained backbones (``<name>.safetensors`` + ``<name>.json``)."""
    return arena_home() / "weights"
