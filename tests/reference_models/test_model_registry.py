from __future__ import annotations

import pytest

import reference_models


def test_it_lists_every_family() -> None:
    names = reference_models.list_models()
    expected = {"alexnet", "googlenet", "mobilenet_v2", "simple_cnn"}
    expected |= {f"vgg{d}{bn}" for d in (11, 13, 16, 19) for bn in ("", "_bn")}
    expected |= {f"resnet{d}" for d in (18, 34, 50, 101, 152)}
    assert set(names) == expected
    assert reference_models.list_models("resnet") == [
        "resnet18", "resnet34", "resnet50", "resnet101", "resnet152"]


def test_it_refuses_an_unknown_name_and_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="resnet18"):
        reference_models.build("resnet17")


def test_builders_keep_their_own_defaults() -> None:
    model = reference_models.build("simple_cnn")
    assert model.features[0].in_channels == 1
    assert model.classifier[-1].out_features == 10
