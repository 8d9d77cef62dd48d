"""Functional equivalence: reference weights mapped (by order where it fits, else by role, see
test_equivalence_dataflow.py) onto another model of the same architecture reproduce the
reference outputs; a different architecture is refused by name."""

from __future__ import annotations

import pytest
import torch
import torchvision.models as tvm
from torch import nn

import reference_models
from reference_models.equivalence import (
    EquivalenceError,
    check_equivalence,
    load_reference_state,
    map_state_by_order,
    ordered_state,
    save_reference_state,
)


class RenamedSimpleCNN(nn.Module):
    """A mentee's simple_cnn: the same layers in the same order under other names."""

    def __init__(self) -> None:
        super().__init__()
        blocks: list[nn.Module] = []
        for cin, cout, pool in [(1, 32, False), (32, 32, True), (32, 64, False),
                                (64, 64, True), (64, 128, False)]:
            blocks += [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                       nn.ReLU()]
            if pool:
                blocks.append(nn.MaxPool2d(2))
        self.body = nn.Sequential(*blocks)
        self.drop = nn.Dropout(0.2)
        self.head = nn.Linear(128, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.drop(self.body(x).mean(dim=(2, 3))))


def _trained_bn_stats(model: nn.Module) -> nn.Module:
    """Give batch-norm running statistics non-default values, so they must be mapped too."""
    model.train()
    with torch.no_grad():
        model(torch.rand(8, 1, 28, 28))
    return model


def test_it_holds_for_a_mentee_model_with_other_names() -> None:
    reference = _trained_bn_stats(reference_models.build("simple_cnn"))
    result = check_equivalence(RenamedSimpleCNN(), reference, [torch.rand(4, 1, 28, 28)])
    assert result.equivalent, result.message
    assert result.max_abs_diff < 1e-5


@pytest.mark.parametrize("name", ["alexnet", "resnet18", "vgg11_bn", "googlenet"])
def test_it_holds_for_the_reference_against_itself(name: str) -> None:
    torch.manual_seed(1)
    reference = reference_models.build(name, num_classes=10, in_channels=3, input_size=32)
    torch.manual_seed(2)
    other = reference_models.build(name, num_classes=10, in_channels=3, input_size=32)
    result = check_equivalence(other, reference, [torch.rand(2, 3, 32, 32)])
    assert result.equivalent, result.message


@pytest.mark.parametrize("name, kwargs", [
    ("alexnet", {}), ("resnet18", {}), ("googlenet", {"aux_logits": True}),
    ("mobilenet_v2", {}),
])
def test_it_holds_against_torchvisions_definition(name: str, kwargs: dict) -> None:
    reference = reference_models.build(name, num_classes=1000, input_size=224, **kwargs)
    if name == "googlenet":
        kwargs = {**kwargs, "init_weights": True}
    theirs = getattr(tvm, name)(weights=None, **kwargs)
    result = check_equivalence(theirs, reference, [torch.rand(1, 3, 224, 224)], atol=1e-4)
    assert result.equivalent, result.message


def test_it_maps_every_vgg_variant_onto_torchvision_by_shape_alone() -> None:
    for name in reference_models.list_models("vgg"):
        with torch.device("meta"):
            reference = reference_models.build(name)
            theirs = getattr(tvm, name)(weights=None)
        map_state_by_order(ordered_state(reference), theirs)


def test_it_names_the_reference_layer_an_altered_architecture_lacks() -> None:
    reference = reference_models.build("resnet18", num_classes=10, input_size=32)
    altered = reference_models.build("resnet18", num_classes=10, input_size=32)
    altered.layer2[0].conv1 = nn.Conv2d(64, 128, kernel_size=5, stride=2, padding=2, bias=False)
    with pytest.raises(EquivalenceError, match=r"layer2\.0\.conv1\.weight \(128, 64, 3, 3\).*"
                       "no counterpart"):
        check_equivalence(altered, reference, [torch.rand(2, 3, 32, 32)])


def test_the_position_rule_still_names_the_first_mismatching_position() -> None:
    reference = reference_models.build("resnet18", num_classes=10, input_size=32)
    altered = reference_models.build("resnet18", num_classes=10, input_size=32)
    altered.layer2[0].conv1 = nn.Conv2d(64, 128, kernel_size=5, stride=2, padding=2, bias=False)
    with pytest.raises(EquivalenceError, match=r"position \d+.*layer2\.0\.conv1\.weight"):
        map_state_by_order(ordered_state(reference), altered)


def test_it_refuses_a_model_with_a_missing_layer() -> None:
    reference = reference_models.build("vgg11", num_classes=10, input_size=32)
    shorter = reference_models.build("vgg11", num_classes=10, input_size=32)
    # The same layers as the reference up to its last linear layer, which is missing.
    shorter.classifier = shorter.classifier[:-1]
    with pytest.raises(EquivalenceError, match="lacks"):
        map_state_by_order(ordered_state(reference), shorter)


def test_it_fails_when_shapes_agree_but_the_computation_differs() -> None:
    reference = reference_models.build("resnet18", num_classes=10, input_size=32)
    altered = reference_models.build("resnet18", num_classes=10, input_size=32)
    altered.relu = nn.Tanh()  # same parameters, different function
    result = check_equivalence(altered, reference, [torch.rand(2, 3, 32, 32)])
    assert not result.equivalent
    assert "differ" in result.message


def test_the_reference_state_file_keeps_module_order(tmp_path) -> None:
    reference = reference_models.build("alexnet", num_classes=10, input_size=32)
    path = save_reference_state(reference, tmp_path / "reference.safetensors")
    loaded = load_reference_state(path)
    assert list(loaded) == list(reference.state_dict())  # features.10 after features.8
    mentee = reference_models.build("alexnet", num_classes=10, input_size=32)
    map_state_by_order(loaded, mentee)
    for a, b in zip(mentee.state_dict().values(), reference.state_dict().values()):
        assert torch.equal(a, b)
