"""Public checks of week 4: parameter counts at ImageNet size and output shapes.

They do not prove equivalence (the grader does that with the reference weights); they catch
a missing layer, a wrong width or a wrong small-input layout before you submit.
Run from your working folder: ``pytest public_tests``.
"""

import pytest
import torch

# Parameters at 224x224, 3 channels, 1000 classes: the figures of the papers' torchvision ports.
IMAGENET_PARAMS = {
    "alexnet": 61_100_840,
    "vgg16": 138_357_544,
    "resnet18": 11_689_512,
    "resnet50": 25_557_032,
    "googlenet": 6_624_904,
}
# The same families in their small-input layout: 28x28, 1 channel, 10 classes.
SMALL_PARAMS = {
    "alexnet": 4_359_882,
    "vgg16": 15_243_978,
    "resnet18": 11_172_810,
    "resnet50": 23_519_690,
    "googlenet": 5_601_322,
}


def count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("name", IMAGENET_PARAMS)
def test_parameter_count_at_imagenet_size(submission, name):
    model = getattr(submission, name)(num_classes=1000, in_channels=3, input_size=224)
    assert count(model) == IMAGENET_PARAMS[name]


@pytest.mark.parametrize("name", SMALL_PARAMS)
def test_parameter_count_of_the_small_layout(submission, name):
    model = getattr(submission, name)(num_classes=10, in_channels=1, input_size=28)
    assert count(model) == SMALL_PARAMS[name]


@pytest.mark.parametrize("name", SMALL_PARAMS)
def test_small_layout_maps_a_batch_of_digits_to_logits(submission, name):
    model = getattr(submission, name)(num_classes=10, in_channels=1, input_size=28).eval()
    with torch.no_grad():
        out = model(torch.rand(2, 1, 28, 28))
    assert out.shape == (2, 10) and torch.isfinite(out).all()


def test_alexnet_at_imagenet_size_gives_1000_logits(submission):
    model = submission.alexnet(num_classes=1000, in_channels=3, input_size=224).eval()
    with torch.no_grad():
        assert model(torch.randn(1, 3, 224, 224)).shape == (1, 1000)


def test_googlenet_is_built_without_auxiliary_heads(submission):
    model = submission.googlenet(num_classes=10, in_channels=1, input_size=28, aux_logits=False)
    assert count(model) == SMALL_PARAMS["googlenet"]


@pytest.mark.parametrize("name", ["alexnet", "vgg16"])
def test_the_plain_networks_pass_a_gradient_to_their_first_layer(submission, name):
    """Without batch norm the initialisation decides whether anything learns (README.md,
    "Initialise the plain networks"): with PyTorch's default the first convolution of VGG-16
    gets a gradient of about 1e-7 and the comparison leaves it at chance; He's gives ~0.3."""
    torch.manual_seed(0)
    model = getattr(submission, name)(num_classes=10, in_channels=1, input_size=28).train()
    loss = torch.nn.functional.cross_entropy(model(torch.rand(32, 1, 28, 28)),
                                             torch.arange(32) % 10)
    loss.backward()
    first = next(m for m in model.modules() if isinstance(m, torch.nn.Conv2d))
    assert first.weight.grad.norm() > 1e-3, (
        f"the first convolution's gradient is {first.weight.grad.norm():.1e}: the signal "
        "vanishes on the way through; initialise the weights as README.md says"
    )
