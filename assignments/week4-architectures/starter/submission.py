"""Week 4: AlexNet, VGG-16, ResNet-18 (ResNet-50 for extra points) and GoogLeNet from scratch.

Every builder takes ``num_classes``, ``in_channels`` and ``input_size`` and returns an
``nn.Module`` mapping ``[N, in_channels, input_size, input_size]`` to ``[N, num_classes]``.
``input_size <= 64`` selects the small-input layout, larger sizes the ImageNet layout; README.md
gives both layouts layer by layer. Name and order your layers as you like: the grader maps its
reference weights onto your model by their role in the computation.
AlexNet and VGG-16 have no batch norm: initialise their weights as README.md's "Initialise the
plain networks" says, or the comparison's training leaves them at chance.
Only ``torch`` is available in the grader's sandbox (no torchvision).
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

SMALL_INPUT_MAX = 64


def alexnet(num_classes: int = 1000, in_channels: int = 3, input_size: int = 224) -> nn.Module:
    raise NotImplementedError("AlexNet: five convolutions, three fully connected layers")


def vgg16(num_classes: int = 1000, in_channels: int = 3, input_size: int = 224) -> nn.Module:
    raise NotImplementedError("VGG-16: configuration D, thirteen 3x3 convolutions")


def resnet18(num_classes: int = 1000, in_channels: int = 3, input_size: int = 224) -> nn.Module:
    raise NotImplementedError("ResNet-18: basic blocks [2, 2, 2, 2]")


def resnet50(num_classes: int = 1000, in_channels: int = 3, input_size: int = 224) -> nn.Module:
    raise NotImplementedError("ResNet-50 (extra points): bottleneck blocks [3, 4, 6, 3]")


def googlenet(num_classes: int = 1000, in_channels: int = 3, input_size: int = 224,
              aux_logits: bool = False) -> nn.Module:
    raise NotImplementedError("GoogLeNet: nine Inception modules, batch norm, no aux heads")


def train(model: nn.Module, batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
          budget: dict) -> None:
    """Optional. The platform trains each family with this (or, if you delete it, with its
    own loop: one step of the budget's optimizer per batch). ``batches`` yields ``(images,
    labels)`` batches of ``[batch_size, 1, 28, 28]`` and ``[batch_size]`` on the model's
    device, in the order and number the budget fixes: the training split is not a file, these
    batches are all the data there is. ``budget`` holds ``seconds``, ``epochs``, ``images``,
    ``batch_size``, ``lr``, ``optimizer`` and ``seed`` (README.md, "The comparison"); using
    more than ``budget["seconds"]`` of CPU time (a safety net far above what the work needs)
    fails the part."""
    raise NotImplementedError("write a training loop, or delete this function")
