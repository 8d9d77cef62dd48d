"""Every ImageNet-size reference model is the canonical definition: same parameter count, same
state-dict shapes (and keys) as torchvision's, checked on the meta device (no memory, no math)."""

from __future__ import annotations

import pytest
import torch
import torchvision.models as tvm

import reference_models
from reference_models.cards import count_params

IMAGENET_MODELS = [n for n in reference_models.list_models() if n != "simple_cnn"]

CANONICAL_PARAMS = {
    "alexnet": 61_100_840,
    "vgg16": 138_357_544,
    "resnet18": 11_689_512,
    "resnet50": 25_557_032,
}


def _torchvision(name: str, **kwargs: object) -> torch.nn.Module:
    if name == "googlenet":
        kwargs = {"init_weights": True, **kwargs}
    return getattr(tvm, name)(weights=None, **kwargs)


def _shapes(model: torch.nn.Module) -> list[tuple[str, tuple[int, ...]]]:
    return [(k, tuple(v.shape)) for k, v in model.state_dict().items()]


@pytest.mark.parametrize("name", IMAGENET_MODELS)
def test_it_matches_torchvision_parameter_for_parameter(name: str) -> None:
    extra = {"aux_logits": True} if name == "googlenet" else {}
    with torch.device("meta"):
        ours = reference_models.build(name, num_classes=1000, in_channels=3, input_size=224)
        theirs = _torchvision(name, **extra)
    assert count_params(ours) == count_params(theirs)
    assert _shapes(ours) == _shapes(theirs)


@pytest.mark.parametrize("name, expected", sorted(CANONICAL_PARAMS.items()))
def test_it_has_the_published_parameter_count(name: str, expected: int) -> None:
    with torch.device("meta"):
        assert count_params(reference_models.build(name)) == expected


def test_googlenet_without_auxiliary_heads_has_the_published_count() -> None:
    with torch.device("meta"):
        model = reference_models.build("googlenet", aux_logits=False)
    assert count_params(model) == 6_624_904


@pytest.mark.parametrize("name", IMAGENET_MODELS)
def test_it_gives_imagenet_logits_at_224(name: str) -> None:
    with torch.device("meta"):
        model = reference_models.build(name).eval()
        out = model(torch.empty(2, 3, 224, 224))
    assert out.shape == (2, 1000)


@pytest.mark.parametrize("name", ["alexnet", "resnet18", "mobilenet_v2"])
def test_it_computes_real_logits_at_224(name: str) -> None:
    model = reference_models.build(name).eval()
    with torch.no_grad():
        out = model(torch.rand(1, 3, 224, 224))
    assert out.shape == (1, 1000) and torch.isfinite(out).all()


def test_googlenet_returns_both_auxiliary_logits_in_training_mode() -> None:
    model = reference_models.build("googlenet", num_classes=1000).train()
    out = model(torch.rand(2, 3, 224, 224))
    assert [tuple(t.shape) for t in out] == [(2, 1000)] * 3
    assert out.aux_logits1 is not None and out.aux_logits2 is not None
    model.eval()
    with torch.no_grad():
        assert model(torch.rand(1, 3, 224, 224)).shape == (1, 1000)
