"""Week 5: transfer learning. Fill in both builders and ship both weight files.

Upload a zip with this file, ``pretrained.py``, ``classifier.safetensors`` and
``localizer.safetensors``. The grader calls each builder with no arguments, loads the weights
file over the model, calls ``model.eval()`` and feeds float32 batches in [0, 1]:

- ``build_classifier()``: ``[N, 1, 28, 28]`` MNIST digits -> ``logits [N, 10]`` (digit order).
- ``build_localizer()``: ``[N, 1, 64, 64]`` canvases -> ``(logits [N, 10], boxes [N, 4])``:
  the Fashion-MNIST class of the object and its box ``x0, y0, x1, y1`` in canvas pixels.

Only ``torch`` and ``safetensors`` are available in the sandbox (no torchvision): write the
backbone's layers here, with the same structure as the pretrained weights, and load them in the
builder with ``pretrained.load_backbone`` (the grader mounts them read-only at
``$ARENA_PRETRAINED``). A weights file may then leave out the tensors of a frozen backbone: it
needs only what you trained (see README.md for the exact rule).
"""

from __future__ import annotations

import torch
from torch import nn

from pretrained import load_backbone  # noqa: F401 - load_backbone("mobilenet_v2_imagenet")

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def build_classifier() -> nn.Module:
    raise NotImplementedError("a pretrained backbone and a 10-way head for 28x28 digits")


def build_localizer() -> nn.Module:
    raise NotImplementedError("a pretrained backbone with a class head and a box head")
