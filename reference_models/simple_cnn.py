"""A small plain CNN for the course's small data sets (digits, Fashion-MNIST, faces).

Three stages of 3x3 convolutions with batch norm and max pooling, global average pooling and
one linear layer: about 0.2 M parameters and 20 M multiply-accumulates at 28x28, enough for
99% on MNIST-sized digits while training in seconds per epoch on a laptop CPU.
"""

from __future__ import annotations

import torch
from torch import nn

from reference_models.registry import register_model

__all__ = ["SimpleCNN", "simple_cnn"]


def _conv_bn_relu(in_channels: int, out_channels: int) -> list[nn.Module]:
    return [
        nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    ]


class SimpleCNN(nn.Module):
    def __init__(self, num_classes: int = 10, in_channels: int = 1, width: int = 32,
                 dropout: float = 0.2) -> None:
        super().__init__()
        w = width
        self.features = nn.Sequential(
            *_conv_bn_relu(in_channels, w), *_conv_bn_relu(w, w), nn.MaxPool2d(2),
            *_conv_bn_relu(w, 2 * w), *_conv_bn_relu(2 * w, 2 * w), nn.MaxPool2d(2),
            *_conv_bn_relu(2 * w, 4 * w),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout), nn.Linear(4 * w, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.flatten(self.pool(self.features(x)), 1)
        return self.classifier(x)


@register_model("simple_cnn", default_input_size=28)
def simple_cnn(
    num_classes: int = 10,
    in_channels: int = 1,
    input_size: int = 28,
    width: int = 32,
    dropout: float = 0.2,
) -> SimpleCNN:
    del input_size  # global pooling makes the network independent of the input size
    return SimpleCNN(num_classes, in_channels, width, dropout)
