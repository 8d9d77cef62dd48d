"""Week 5 reference solution: an ImageNet MobileNetV2 trunk, fine-tuned, with small heads.

Both models keep the first 14 blocks of torchvision's MobileNetV2 (stride 16, 96 channels,
0.54 M parameters): the later blocks add little for 64-pixel gray images. The trunk is written
out here (same module tree and state-dict keys as ``torchvision.models.mobilenet_v2().features``)
so the sandbox needs nothing but torch. The builders load its ImageNet weights from the
read-only mount (``pretrained.py``: ``$ARENA_PRETRAINED`` in the sandbox, ``var/weights``
locally); the uploaded weights then override what was fine-tuned. The classifier fine-tunes its
trunk, so ``classifier.safetensors`` holds the whole model; the localizer keeps its trunk
frozen, so ``localizer.safetensors`` holds only its head (the part declares
``weights_strict = false``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from pretrained import load_backbone
from torch import nn

BACKBONE = "mobilenet_v2_imagenet"
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# (expansion, channels, repeats, stride) of MobileNetV2's inverted-residual stages.
STAGES = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1))
TRUNK_BLOCKS = 14
CANVAS = 64


class ConvBNReLU6(nn.Sequential):
    def __init__(self, cin: int, cout: int, kernel: int = 3, stride: int = 1,
                 groups: int = 1) -> None:
        super().__init__(
            nn.Conv2d(cin, cout, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU6(inplace=True),
        )


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expansion: int) -> None:
        super().__init__()
        hidden = cin * expansion
        layers: list[nn.Module] = [] if expansion == 1 else [ConvBNReLU6(cin, hidden, 1)]
        layers += [ConvBNReLU6(hidden, hidden, stride=stride, groups=hidden),
                   nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout)]
        self.conv = nn.Sequential(*layers)
        self.use_residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.use_residual else self.conv(x)


def mobilenet_v2_trunk(blocks: int = TRUNK_BLOCKS) -> nn.Sequential:
    """``torchvision.models.mobilenet_v2().features[:blocks]``, written out."""
    layers: list[nn.Module] = [ConvBNReLU6(3, 32, stride=2)]
    channels = 32
    for expansion, cout, repeats, stride in STAGES:
        for i in range(repeats):
            layers.append(InvertedResidual(channels, cout, stride if i == 0 else 1, expansion))
            channels = cout
    return nn.Sequential(*layers[:blocks])


def pretrained_trunk(blocks: int = TRUNK_BLOCKS) -> nn.Sequential:
    """The trunk with torchvision's ImageNet weights, read from the mounted backbone."""
    trunk = mobilenet_v2_trunk(blocks)
    state = load_backbone(BACKBONE, prefix="features.")
    trunk.load_state_dict({k: v for k, v in state.items() if int(k.split(".", 1)[0]) < blocks})
    return trunk


class ImageNetInput(nn.Module):
    """Gray images in [0, 1] -> the 3-channel, mean/std-normalised input the trunk was trained on."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] != self.size:
            x = F.interpolate(x, size=(self.size, self.size), mode="bilinear",
                              align_corners=False)
        return (x.expand(-1, 3, -1, -1) - self.mean) / self.std


class DigitClassifier(nn.Module):
    """28x28 digits, upsampled to 64 so the trunk sees strokes at the scale it knows."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.input = ImageNetInput(64)
        self.features = pretrained_trunk()
        self.head = nn.Sequential(nn.Dropout(0.2), nn.Linear(96, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.features(self.input(x))
        return self.head(F.adaptive_avg_pool2d(features, 1).flatten(1))


class Localizer(nn.Module):
    """One object on a 64x64 canvas: class logits and its box ``x0, y0, x1, y1`` in pixels.

    The trunk stays as ImageNet trained it (frozen: 16,000 canvases cannot improve 0.5 M
    general-purpose weights much, and frozen features can be computed once). The head reads
    the whole 4x4 map, because where a feature fires is exactly what a box needs.
    """

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.input = ImageNetInput(CANVAS)
        self.features = pretrained_trunk()
        self.head = LocalizerHead(num_classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.head(self.features(self.input(x)))


class LocalizerHead(nn.Module):
    def __init__(self, num_classes: int) -> None:
        super().__init__()
        self.shared = nn.Sequential(
            ConvBNReLU6(96, 64), nn.Flatten(), nn.Dropout(0.2),
            nn.Linear(64 * 4 * 4, 256), nn.ReLU(inplace=True),
        )
        self.classify = nn.Linear(256, num_classes)
        self.locate = nn.Linear(256, 4)

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.shared(features)
        # Centre and size in 0..1 keep every predicted box inside the canvas and well formed.
        cx, cy, w, h = torch.sigmoid(self.locate(hidden)).unbind(1)
        boxes = torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1) * CANVAS
        return self.classify(hidden), boxes


def build_classifier() -> nn.Module:
    return DigitClassifier()


def build_localizer() -> nn.Module:
    return Localizer()
