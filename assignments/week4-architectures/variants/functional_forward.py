"""KNOWN CORRECT: ResNets with a functional forward (F.conv2d, F.batch_norm on nn.Parameter).

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


def _kernel(module: nn.Module, name: str, cin: int, cout: int, k: int) -> None:
    weight = nn.Parameter(torch.empty(cout, cin, k, k))
    nn.init.kaiming_uniform_(weight, a=5 ** 0.5)
    module.register_parameter(name, weight)


def _norm(module: nn.Module, name: str, channels: int) -> None:
    """A batch norm kept as loose tensors (no module, no num_batches_tracked)."""
    module.register_parameter(f"{name}_gamma", nn.Parameter(torch.ones(channels)))
    module.register_parameter(f"{name}_beta", nn.Parameter(torch.zeros(channels)))
    module.register_buffer(f"{name}_mean", torch.zeros(channels))
    module.register_buffer(f"{name}_var", torch.ones(channels))


def _bn(module: nn.Module, name: str, x: torch.Tensor) -> torch.Tensor:
    def get(suffix: str) -> torch.Tensor:
        return getattr(module, f"{name}_{suffix}")

    return F.batch_norm(x, get("mean"), get("var"), get("gamma"), get("beta"),
                        module.training, 0.1, 1e-5)


class BasicBlock(nn.Module):
    """Functional: parameters as nn.Parameter, ops from torch.nn.functional, the batch-norm
    tensors registered before the kernels and the last kernel first."""

    expansion = 1

    def __init__(self, cin: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        self.stride, self.project = stride, stride != 1 or cin != planes
        for name in ("bn1", "bn2", "bn_sc") if self.project else ("bn1", "bn2"):
            _norm(self, name, planes)
        if self.project:
            _kernel(self, "w_sc", cin, planes, 1)
        _kernel(self, "w2", planes, planes, 3)
        _kernel(self, "w1", cin, planes, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(_bn(self, "bn1", F.conv2d(x, self.w1, stride=self.stride, padding=1)))
        out = _bn(self, "bn2", F.conv2d(out, self.w2, padding=1))
        if self.project:
            x = _bn(self, "bn_sc", F.conv2d(x, self.w_sc, stride=self.stride))
        return F.relu(out + x)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        self.stride, self.project = stride, stride != 1 or cin != planes * 4
        if self.project:
            _norm(self, "bn_sc", planes * 4)
            _kernel(self, "w_sc", cin, planes * 4, 1)
        _norm(self, "bn3", planes * 4)
        _kernel(self, "w3", planes, planes * 4, 1)
        for name in ("bn1", "bn2"):
            _norm(self, name, planes)
        _kernel(self, "w2", planes, planes, 3)
        _kernel(self, "w1", cin, planes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(_bn(self, "bn1", F.conv2d(x, self.w1)))
        # The stride sits on the 3x3 convolution ("ResNet v1.5").
        out = F.relu(_bn(self, "bn2", F.conv2d(out, self.w2, stride=self.stride, padding=1)))
        out = _bn(self, "bn3", F.conv2d(out, self.w3))
        if self.project:
            x = _bn(self, "bn_sc", F.conv2d(x, self.w_sc, stride=self.stride))
        return F.relu(out + x)


class ResNet(nn.Module):
    def __init__(self, block: type, layers: list[int], num_classes: int, in_channels: int,
                 small: bool) -> None:
        super().__init__()
        self.small = small
        width = 512 * block.expansion
        self.fc_weight = nn.Parameter(torch.empty(num_classes, width))
        self.fc_bias = nn.Parameter(torch.empty(num_classes))
        nn.init.kaiming_uniform_(self.fc_weight, a=5 ** 0.5)
        nn.init.uniform_(self.fc_bias, -width ** -0.5, width ** -0.5)
        cin, blocks = 64, []
        for i, (planes, count) in enumerate(zip((64, 128, 256, 512), layers)):
            for j in range(count):
                blocks.append(block(cin, planes, 2 if i > 0 and j == 0 else 1))
                cin = planes * block.expansion
        self.blocks = nn.ModuleList(blocks)
        _norm(self, "bn_stem", 64)
        _kernel(self, "w_stem", in_channels, 64, 3 if small else 7)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        stride, padding = (1, 1) if self.small else (2, 3)
        x = F.relu(_bn(self, "bn_stem", F.conv2d(x, self.w_stem, stride=stride, padding=padding)))
        if not self.small:
            x = F.max_pool2d(x, 3, 2, 1)
        for block in self.blocks:
            x = block(x)
        return F.linear(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1), self.fc_weight, self.fc_bias)


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
