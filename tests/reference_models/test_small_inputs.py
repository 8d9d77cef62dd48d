"""Every registered model takes the course's small images and any number of classes: it trains
(forward and backward, batch 2) on 28x28 digits, and gives the right shapes at 32 and 64
(checked on the meta device, which computes shapes without arithmetic).

ResNet-101 and ResNet-152 are ResNet-50's stem, bottleneck and head with more blocks of the
same kind: their backward at 28x28 proves nothing ResNet-50's does not, and costs 45 s of the
suite; their shapes are checked below like every model's."""

from __future__ import annotations

import pytest
import torch

import reference_models

ALL_MODELS = reference_models.list_models()
DEEPER_COPIES = ("resnet101", "resnet152")  # ResNet-50's blocks, more of them
TRAINED = [name for name in ALL_MODELS if name not in DEEPER_COPIES]


def _logits(out: object) -> torch.Tensor:
    return out if isinstance(out, torch.Tensor) else out[0]  # type: ignore[index,return-value]


@pytest.mark.parametrize("name", TRAINED)
def test_it_trains_on_28x28_gray_digits(name: str) -> None:
    model = reference_models.build(name, num_classes=10, in_channels=1, input_size=28).train()
    out = model(torch.rand(2, 1, 28, 28))
    assert _logits(out).shape == (2, 10)
    heads = [out] if isinstance(out, torch.Tensor) else [t for t in out if t is not None]
    sum(h.sum() for h in heads).backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


@pytest.mark.parametrize("size, channels, classes", [(32, 3, 7), (64, 3, 2), (28, 3, 100)])
@pytest.mark.parametrize("name", ALL_MODELS)
def test_it_gives_logits_for_any_small_size_and_class_count(
    name: str, size: int, channels: int, classes: int
) -> None:
    with torch.device("meta"):
        model = reference_models.build(name, num_classes=classes, in_channels=channels,
                                       input_size=size)
        for mode in (True, False):
            out = model.train(mode)(torch.empty(2, channels, size, size))
            assert _logits(out).shape == (2, classes)


@pytest.mark.parametrize("name", ["alexnet", "vgg11", "resnet18", "mobilenet_v2"])
def test_it_computes_real_logits_at_32x32_and_64x64(name: str) -> None:
    for size in (32, 64):
        model = reference_models.build(name, num_classes=10, input_size=size).eval()
        with torch.no_grad():
            out = model(torch.rand(1, 3, size, size))
        assert out.shape == (1, 10) and torch.isfinite(out).all()


def test_the_small_layout_starts_just_above_the_imagenet_one() -> None:
    assert reference_models.is_small_input(64)
    assert not reference_models.is_small_input(65)
    with pytest.raises(ValueError):
        reference_models.is_small_input(8)
