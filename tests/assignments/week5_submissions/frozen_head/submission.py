"""Test upload for week 5: both backbones frozen, only the heads shipped.

The classifier is the platform's ResNet-18 (width 16) pretrained on Fashion-MNIST with a new
linear head; the localizer is the ImageNet MobileNetV2 trunk with two linear heads. Both trunks
are read from the read-only mount (``pretrained.py``), so ``classifier.safetensors`` and
``localizer.safetensors`` hold only ``head.*`` (the parts declare ``weights_strict = false``).
It may score low: it exists to prove that such an upload loads and runs.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from pretrained import load_backbone
from torch import nn

WIDTH = 16
MOBILENET_STAGES = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1))


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                            nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


class ResNetTrunk(nn.Module):
    """``reference_models`` ResNet-18 for 1x28x28 inputs, without its ``fc``: same keys."""

    def __init__(self, width: int = WIDTH) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, width, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        channels = width
        for i, stride in enumerate((1, 2, 2, 2)):
            out = width * 2**i
            setattr(self, f"layer{i + 1}", nn.Sequential(BasicBlock(channels, out, stride),
                                                         BasicBlock(out, out, 1)))
            channels = out
        self.channels = channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return F.adaptive_avg_pool2d(x, 1).flatten(1)


def conv_bn(cin: int, cout: int, kernel: int = 3, stride: int = 1, groups: int = 1) -> nn.Module:
    return nn.Sequential(nn.Conv2d(cin, cout, kernel, stride, (kernel - 1) // 2, groups=groups,
                                   bias=False), nn.BatchNorm2d(cout), nn.ReLU6(inplace=True))


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expansion: int) -> None:
        super().__init__()
        hidden = cin * expansion
        layers = [] if expansion == 1 else [conv_bn(cin, hidden, 1)]
        layers += [conv_bn(hidden, hidden, stride=stride, groups=hidden),
                   nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout)]
        self.conv = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.residual else self.conv(x)


def mobilenet_trunk(blocks: int = 14) -> nn.Sequential:
    layers: list[nn.Module] = [conv_bn(3, 32, stride=2)]
    channels = 32
    for expansion, cout, repeats, stride in MOBILENET_STAGES:
        for i in range(repeats):
            layers.append(InvertedResidual(channels, cout, stride if i == 0 else 1, expansion))
            channels = cout
    trunk = nn.Sequential(*layers[:blocks])
    state = load_backbone("mobilenet_v2_imagenet", prefix="features.")
    trunk.load_state_dict({k: v for k, v in state.items() if int(k.split(".")[0]) < blocks})
    return trunk


class Classifier(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.backbone = ResNetTrunk()
        state = load_backbone("resnet18w16_fashion-mnist")
        self.backbone.load_state_dict({k: v for k, v in state.items() if not k.startswith("fc.")})
        self.head = nn.Linear(self.backbone.channels, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x))


class Localizer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = mobilenet_trunk()
        self.head = nn.Linear(96, 14)  # 10 logits, then centre and size of the box

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean = torch.tensor((0.485, 0.456, 0.406)).view(1, 3, 1, 1)
        std = torch.tensor((0.229, 0.224, 0.225)).view(1, 3, 1, 1)
        features = self.features((x.expand(-1, 3, -1, -1) - mean) / std)
        out = self.head(F.adaptive_avg_pool2d(features, 1).flatten(1))
        cx, cy, w, h = torch.sigmoid(out[:, 10:]).unbind(1)
        boxes = torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1) * 64
        return out[:, :10], boxes


def build_classifier() -> nn.Module:
    return Classifier()


def build_localizer() -> nn.Module:
    return Localizer()
