"""AlexNet (Krizhevsky et al., 2012), in the single-tower form torchvision uses.

At ImageNet size this is exactly ``torchvision.models.alexnet`` (61,100,840 parameters at 1000
classes, same module tree and state-dict keys). The small-input layout swaps the 11x11/5x5
stride-4 stem for 3x3 stride-1 convolutions with 2x2 poolings and narrows the classifier,
keeping every module in the same place.
"""

from __future__ import annotations

import torch
from torch import nn

from reference_models._layout import is_small_input
from reference_models.registry import register_model

__all__ = ["AlexNet", "alexnet"]


class AlexNet(nn.Module):
    def __init__(
        self,
        num_classes: int = 1000,
        in_channels: int = 3,
        dropout: float = 0.5,
        small_input: bool = False,
    ) -> None:
        super().__init__()
        if small_input:
            k1, s1, p1, k2, p2 = 3, 1, 1, 3, 1
            pool: dict[str, int] = {"kernel_size": 2, "stride": 2}
            pooled, hidden = 2, 1024
        else:
            k1, s1, p1, k2, p2 = 11, 4, 2, 5, 2
            pool = {"kernel_size": 3, "stride": 2}
            pooled, hidden = 6, 4096
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 64, kernel_size=k1, stride=s1, padding=p1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(**pool),
            nn.Conv2d(64, 192, kernel_size=k2, padding=p2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(**pool),
            nn.Conv2d(192, 384, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(**pool),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((pooled, pooled))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            nn.Linear(256 * pooled * pooled, hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(p=dropout),
            nn.Linear(hidden, hidden),
            nn.ReLU(inplace=True),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        return self.classifier(x)


@register_model("alexnet")
def alexnet(
    num_classes: int = 1000, in_channels: int = 3, input_size: int = 224, dropout: float = 0.5
) -> AlexNet:
    return AlexNet(num_classes, in_channels, dropout, small_input=is_small_input(input_size))
