"""Finds the submission these public tests check.

Order: the ``ARENA_SUBMISSION`` environment variable (a ``submission.py`` or the folder holding
it), then ``submission.py`` in the current directory, then next to this ``public_tests`` folder.
Run from your working folder: ``pytest public_tests``.
"""

import importlib.util
import os
import sys
from pathlib import Path

import pytest

ENTRY = "submission.py"


def _submission_path() -> Path:
    configured = os.environ.get("ARENA_SUBMISSION")
    candidates = (
        [Path(configured)] if configured else [Path.cwd(), Path(__file__).resolve().parent.parent]
    )
    for candidate in candidates:
        path = candidate / ENTRY if candidate.is_dir() else candidate
        if path.is_file():
            return path.resolve()
    raise FileNotFoundError(
        f"no {ENTRY} found in {[str(c) for c in candidates]}; "
        "run pytest from your working folder or set ARENA_SUBMISSION"
    )


@pytest.fixture(scope="session")
def submission():
    path = _submission_path()
    sys.path.insert(0, str(path.parent))  # so the submission can import its own helper modules
    spec = importlib.util.spec_from_file_location("submission", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def submission_dir(submission) -> Path:
    return Path(submission.__file__).resolve().parent


@pytest.fixture(scope="session")
def validation_images():
    """The first 2,000 Fashion-MNIST training images (train_cnn.py holds out the first 5,000),
    float32 [N, 1, 28, 28] in [0, 1], from Debian's package or torchvision's download."""
    import gzip

    import numpy as np
    import torch

    debian = Path("/usr/share/datasets/fashion-mnist")
    if (debian / "train-images-idx3-ubyte.gz").is_file():
        with gzip.open(debian / "train-images-idx3-ubyte.gz") as handle:
            images = np.frombuffer(handle.read(), np.uint8, offset=16)
        with gzip.open(debian / "train-labels-idx1-ubyte.gz") as handle:
            labels = np.frombuffer(handle.read(), np.uint8, offset=8)
        images, labels = (
            torch.from_numpy(images.reshape(-1, 28, 28).copy()),
            torch.from_numpy(labels.copy()),
        )
    else:
        from torchvision.datasets import FashionMNIST

        data = FashionMNIST(str(Path.cwd() / "data"), train=True, download=True)
        images, labels = data.data, data.targets
    return images[:2000].float().div(255.0)[:, None], labels[:2000].long()
