"""KNOWN CORRECT: every residual block registers and computes its shortcut first.

Week 4 reference solution: AlexNet, VGG-16, ResNet-18/50 and GoogLeNet from scratch.

Each builder takes ``num_classes``, ``in_channels`` and ``input_size``. Up to 64 pixels the
"small-input" layout applies (the one the comparison trains on 28x28 Fashion-MNIST); above it
the ImageNet layout of the original papers (torchvision's definitions).
Only the computation must be the reference's: the grader maps its weights by role.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

SMALL_INPUT_MAX = 64


def is_small(input_size: int) -> bool:
    return input_size <= SMALL_INPUT_MAX


def he_init(model: nn.Module) -> nn.Module:
    """He initialisation (He et al., 2015), for the families without batch norm.

    PyTorch's default draws a layer's weights with variance 1/(3 fan_in), so each ReLU layer
    passes on about a sixth of its input's variance. Thirteen such convolutions (VGG-16; at 28x28
    the last ones even see only 4 or 1 of their 9 taps) leave the first layer a gradient of about
    1e-7, and the network never leaves chance. Variance 2/fan_in keeps the signal's scale from
    layer to layer. Batch norm makes this unnecessary: it rescales every layer's output itself.
    """
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="relu")
            nn.init.zeros_(module.bias)
    return model


# ---------------------------------------------------------------- AlexNet


class AlexNet(nn.Module):
    def __init__(self, num_classes: int, in_channels: int, small: bool) -> None:
        super().__init__()
        # ImageNet: 11x11 stride 4 then 5x5, 3x3/2 poolings. Small: 3x3 stride 1, 2x2 poolings.
        k1, s1, p1, k2 = (3, 1, 1, 3) if small else (11, 4, 2, 5)
        pool = (2, 2) if small else (3, 2)
        pooled, hidden = (2, 1024) if small else (6, 4096)
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 64, k1, stride=s1, padding=p1), nn.ReLU(inplace=True),
            nn.MaxPool2d(*pool),
            nn.Conv2d(64, 192, k2, padding=k2 // 2), nn.ReLU(inplace=True),
            nn.MaxPool2d(*pool),
            nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(*pool),
        )
        self.avgpool = nn.AdaptiveAvgPool2d(pooled)
        self.classifier = nn.Sequential(
            nn.Dropout(0.5), nn.Linear(256 * pooled * pooled, hidden), nn.ReLU(inplace=True),
            nn.Dropout(0.5), nn.Linear(hidden, hidden), nn.ReLU(inplace=True),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


def alexnet(num_classes: int = 1000, in_channels: int = 3, input_size: int = 224) -> nn.Module:
    return he_init(AlexNet(num_classes, in_channels, is_small(input_size)))


# ---------------------------------------------------------------- VGG-16

VGG16 = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]


class VGG(nn.Module):
    def __init__(self, config: list, num_classes: int, in_channels: int, small: bool) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = in_channels
        for v in config:
            if v == "M":
                # ceil_mode lets 28x28 survive five halvings (28, 14, 7, 4, 2, 1).
                layers.append(nn.MaxPool2d(2, 2, ceil_mode=small))
            else:
                layers += [nn.Conv2d(channels, v, 3, padding=1), nn.ReLU(inplace=True)]
                channels = v
        self.features = nn.Sequential(*layers)
        pooled, hidden = (1, 512) if small else (7, 4096)
        self.avgpool = nn.AdaptiveAvgPool2d(pooled)
        self.classifier = nn.Sequential(
            nn.Linear(512 * pooled * pooled, hidden), nn.ReLU(inplace=True), nn.Dropout(0.5),
            nn.Linear(hidden, hidden), nn.ReLU(inplace=True), nn.Dropout(0.5),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


def vgg16(num_classes: int = 1000, in_channels: int = 3, input_size: int = 224) -> nn.Module:
    return he_init(VGG(VGG16, num_classes, in_channels, is_small(input_size)))


# ---------------------------------------------------------------- ResNet


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, cin: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        # The shortcut is registered (and computed) first: the same block, another order.
        self.downsample = shortcut(cin, planes, stride)
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = self.downsample(x)
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + identity)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        self.downsample = shortcut(cin, planes * 4, stride)
        self.conv1 = nn.Conv2d(cin, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        # The stride sits on the 3x3 convolution ("ResNet v1.5").
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = self.downsample(x)
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return F.relu(identity + out)


def shortcut(cin: int, cout: int, stride: int) -> nn.Module:
    """Identity when shapes agree, else a strided 1x1 projection with batch norm."""
    if stride == 1 and cin == cout:
        return nn.Identity()
    return nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))


class ResNet(nn.Module):
    def __init__(self, block: type, layers: list[int], num_classes: int, in_channels: int,
                 small: bool) -> None:
        super().__init__()
        if small:
            self.conv1 = nn.Conv2d(in_channels, 64, 3, 1, 1, bias=False)
            self.maxpool: nn.Module = nn.Identity()
        else:
            self.conv1 = nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.bn1 = nn.BatchNorm2d(64)
        cin, stages = 64, []
        for i, (planes, blocks) in enumerate(zip((64, 128, 256, 512), layers)):
            stride = 1 if i == 0 else 2
            stage = []
            for j in range(blocks):
                stage.append(block(cin, planes, stride if j == 0 else 1))
                cin = planes * block.expansion
            stages.append(nn.Sequential(*stage))
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def resnet18(num_classes: int = 1000, in_channels: int = 3, input_size: int = 224) -> nn.Module:
    return ResNet(BasicBlock, [2, 2, 2, 2], num_classes, in_channels, is_small(input_size))


def resnet50(num_classes: int = 1000, in_channels: int = 3, input_size: int = 224) -> nn.Module:
    return ResNet(Bottleneck, [3, 4, 6, 3], num_classes, in_channels, is_small(input_size))


# ---------------------------------------------------------------- GoogLeNet


class ConvBN(nn.Module):
    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1,
                 padding: int = 0) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride, padding, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)))


class Inception(nn.Module):
    def __init__(self, cin: int, c1: int, c3r: int, c3: int, c5r: int, c5: int,
                 pool_proj: int) -> None:
        super().__init__()
        self.branch1 = ConvBN(cin, c1, 1)
        self.branch2 = nn.Sequential(ConvBN(cin, c3r, 1), ConvBN(c3r, c3, 3, padding=1))
        # The "5x5" branch uses a 3x3 kernel, as torchvision's definition does.
        self.branch3 = nn.Sequential(ConvBN(cin, c5r, 1), ConvBN(c5r, c5, 3, padding=1))
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, 1, 1, ceil_mode=True),
                                     ConvBN(cin, pool_proj, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


INCEPTIONS = {
    "3a": (192, 64, 96, 128, 16, 32, 32), "3b": (256, 128, 128, 192, 32, 96, 64),
    "4a": (480, 192, 96, 208, 16, 48, 64), "4b": (512, 160, 112, 224, 24, 64, 64),
    "4c": (512, 128, 128, 256, 24, 64, 64), "4d": (512, 112, 144, 288, 32, 64, 64),
    "4e": (528, 256, 160, 320, 32, 128, 128), "5a": (832, 256, 160, 320, 32, 128, 128),
    "5b": (832, 384, 192, 384, 48, 128, 128),
}


class GoogLeNet(nn.Module):
    """Inception v1 with batch norm, without the auxiliary classifiers."""

    def __init__(self, num_classes: int, in_channels: int, small: bool) -> None:
        super().__init__()
        if small:
            # A 28x28 image reaches the Inception blocks at 14x14 (ImageNet's reach them at 28x28).
            self.conv1 = ConvBN(in_channels, 64, 3, 1, 1)
            self.maxpool1: nn.Module = nn.Identity()
        else:
            self.conv1 = ConvBN(in_channels, 64, 7, 2, 3)
            self.maxpool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.maxpool2 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv2 = ConvBN(64, 64, 1)
        self.conv3 = ConvBN(64, 192, 3, padding=1)
        self.stage3 = nn.Sequential(Inception(*INCEPTIONS["3a"]), Inception(*INCEPTIONS["3b"]))
        self.maxpool3 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.stage4 = nn.Sequential(*(Inception(*INCEPTIONS[k]) for k in ("4a", "4b", "4c", "4d", "4e")))
        self.maxpool4 = nn.MaxPool2d(2, 2, ceil_mode=True)
        self.stage5 = nn.Sequential(Inception(*INCEPTIONS["5a"]), Inception(*INCEPTIONS["5b"]))
        self.dropout = nn.Dropout(0.2)
        self.fc = nn.Linear(1024, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool1(self.conv1(x))
        x = self.maxpool2(self.conv3(self.conv2(x)))
        x = self.maxpool4(self.stage4(self.maxpool3(self.stage3(x))))
        x = F.adaptive_avg_pool2d(self.stage5(x), 1)
        return self.fc(self.dropout(torch.flatten(x, 1)))


def googlenet(num_classes: int = 1000, in_channels: int = 3, input_size: int = 224,
              aux_logits: bool = False) -> nn.Module:
    if aux_logits:
        raise ValueError("this GoogLeNet has no auxiliary classifiers")
    return GoogLeNet(num_classes, in_channels, is_small(input_size))


# ---------------------------------------------------------------- training (the comparison)


def train(model: nn.Module, batches, budget: dict) -> None:
    """The budget's work: one step of the budget's optimizer per batch the platform hands out.

    ``batches`` yields ``(images, labels)`` on the model's device: the platform draws the order
    from ``seed``, gives ``batch_size`` images at a time and stops after the budget's images,
    on a loaded worker as on a quiet one (``seconds`` is only a safety net of CPU time). The
    training split is never a file: these batches are all the data there is.
    """
    lr = float(budget["lr"])
    if budget.get("optimizer", "sgd") == "adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    model.train()
    for images, labels in batches:
        loss = F.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
