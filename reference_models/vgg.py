"""VGG (Simonyan and Zisserman, 2014): configurations A, B, D, E (11, 13, 16, 19 layers),
with and without batch normalisation.

At ImageNet size each variant is exactly its ``torchvision.models.vgg*`` counterpart (VGG-16:
138,357,544 parameters). The small-input layout keeps the convolution stack, pools with
``ceil_mode`` so 28x28 survives five halvings, averages to 1x1 and uses a 512-wide classifier.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from reference_models._layout import is_small_input
from reference_models.registry import register_model

__all__ = [
    "VGG", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
]

# Channels of each 3x3 convolution; "M" is a 2x2 max pooling.
cfgs: dict[str, list[int | Literal["M"]]] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
          512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
          512, 512, 512, 512, "M"],
}


def make_layers(
    cfg: list[int | Literal["M"]], in_channels: int, batch_norm: bool, ceil_mode: bool
) -> nn.Sequential:
    layers: list[nn.Module] = []
    channels = in_channels
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2, ceil_mode=ceil_mode))
            continue
        layers.append(nn.Conv2d(channels, v, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU(inplace=True))
        channels = v
    return nn.Sequential(*layers)


class VGG(nn.Module):
    def __init__(
        self,
        features: nn.Sequential,
        num_classes: int = 1000,
        dropout: float = 0.5,
        small_input: bool = False,
    ) -> None:
        super().__init__()
        pooled, hidden = (1, 512) if small_input else (7, 4096)
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((pooled, pooled))
        self.classifier = nn.Sequential(
            nn.Linear(512 * pooled * pooled, hidden),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(hidden, hidden),
            nn.ReLU(True),
            nn.Dropout(p=dropout),
            nn.Linear(hidden, num_classes),
        )
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.constant_(m.bias, 0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        return self.classifier(x)


def _vgg(
    cfg: str, batch_norm: bool, num_classes: int, in_channels: int, input_size: int,
    dropout: float,
) -> VGG:
    small = is_small_input(input_size)
    features = make_layers(cfgs[cfg], in_channels, batch_norm, ceil_mode=small)
    return VGG(features, num_classes, dropout, small_input=small)


@register_model("vgg")
def vgg11(num_classes: int = 1000, in_channels: int = 3, input_size: int = 224,
          dropout: float = 0.5) -> VGG:
    return _vgg("A", False, num_classes, in_channels, input_size, dropout)


@register_model("vgg")
def vgg11_bn(num_classes: int = 1000, in_channels: int = 3, input_size: int = 224,
             dropout: float = 0.5) -> VGG:
    return _vgg("A", True, num_classes, in_channels, input_size, dropout)


@register_model("vgg")
def vgg13(num_classes: int = 1000, in_channels: int = 3, input_size: int = 224,
          dropout: float = 0.5) -> VGG:
    return _vgg("B", False, num_classes, in_channels, input_size, dropout)


@register_model("vgg")
def vgg13_bn(num_classes: int = 1000, in_channels: int = 3, input_size: int = 224,
             dropout: float = 0.5) -> VGG:
    return _vgg("B", True, num_classes, in_channels, input_size, dropout)


@register_model("vgg")
def vgg16(num_classes: int = 1000, in_channels: int = 3, input_size: int = 224,
          dropout: float = 0.5) -> VGG:
    return _vgg("D", False, num_classes, in_channels, input_size, dropout)


@register_model("vgg")
def vgg16_bn(num_classes: int = 1000, in_channels: int = 3, input_size: int = 224,
             dropout: float = 0.5) -> VGG:
    return _vgg("D", True, num_classes, in_channels, input_size, dropout)


@register_model("vgg")
def vgg19(num_classes: int = 1000, in_channels: int = 3, input_size: int = 224,
          dropout: float = 0.5) -> VGG:
    return _vgg("E", False, num_classes, in_channels, input_size, dropout)


@register_model("vgg")
def vgg19_bn(num_classes: int = 1000, in_channels: int = 3, input_size: int = 224,
             dropout: float = 0.5) -> VGG:
    return _vgg("E", True, num_classes, in_channels, input_size, dropout)
