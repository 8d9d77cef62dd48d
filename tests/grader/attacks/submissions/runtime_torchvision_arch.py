"""Threat 40: a "from scratch" architecture part answered with torchvision's model zoo."""

import torchvision
from torch import nn


def simple_cnn(width: int = 4, num_classes: int = 10) -> nn.Module:
    return torchvision.models.resnet18(num_classes=num_classes)
