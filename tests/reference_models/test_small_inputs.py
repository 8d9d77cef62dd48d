"""Every registered model takes the course's small images and any number of classes, and
trains (forward and backward, batch 2)."""

from __future__ import annotations

import pytest
import torch

import reference_models

ALL_MODELS = reference_models.list_models()
ONE_PER_FAMILY = ["alexnet", "vgg11_bn", "resnet50", "googlenet", "mobilenet_v2", "simple_cnn"]


def _forward_backward(name: str, size: int, channels: int, classes: int) -> None:
    model = reference_models.build(name, num_classes=classes, in_channels=channels,
                                   input_size=size).train()
    out = model(torch.rand(2, channels, size, size))
    logits = out if isinstance(out, torch.Tensor) else out[0]
    assert logits.shape == (2, classes)
    heads = [out] if isinstance(out, torch.Tensor) else [t for t in out if t is not None]
    sum(h.sum() for h in heads).backward()
    grads = [p.grad for p in model.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)


@pytest.mark.parametrize("name", ALL_MODELS)
def test_it_trains_on_28x28_gray_digits(name: str) -> None:
    _forward_backward(name, size=28, channels=1, classes=10)


@pytest.mark.parametrize("name", ALL_MODELS)
def test_it_trains_on_32x32_colour_images_with_any_class_count(name: str) -> None:
    _forward_backward(name, size=32, channels=3, classes=7)


@pytest.mark.parametrize("name", ONE_PER_FAMILY)
def test_it_trains_on_64x64_images(name: str) -> None:
    _forward_backward(name, size=64, channels=3, classes=2)


def test_the_small_layout_starts_just_above_the_imagenet_one() -> None:
    assert reference_models.is_small_input(64)
    assert not reference_models.is_small_input(65)
    with pytest.raises(ValueError):
        reference_models.is_small_input(8)
