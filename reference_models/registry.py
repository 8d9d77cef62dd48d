"""The registry of reference models: ``build(name, ...)`` and ``list_models()``.

Family modules register their public builders with ``@register_model``; every builder takes
``num_classes``, ``in_channels`` and ``input_size`` so the platform can build any model for any
course data set the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from torch import nn

Builder = Callable[..., nn.Module]
B = TypeVar("B", bound=Builder)


@dataclass(frozen=True)
class ModelSpec:
    name: str
    family: str                 # "alexnet", "vgg", "resnet", "googlenet", "mobilenet", "simple_cnn"
    builder: Builder
    default_input_size: int     # the size its model card is measured at


_REGISTRY: dict[str, ModelSpec] = {}


def register_model(family: str, default_input_size: int = 224) -> Callable[[B], B]:
    def decorate(builder: B) -> B:
        name = builder.__name__
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} is registered twice")
        _REGISTRY[name] = ModelSpec(name, family, builder, default_input_size)
        return builder

    return decorate


def get_spec(name: str) -> ModelSpec:
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise KeyError(f"unknown reference model {name!r}; known: {known}") from None


def build(
    name: str,
    num_classes: int | None = None,
    in_channels: int | None = None,
    input_size: int | None = None,
    **kwargs: Any,
) -> nn.Module:
    """Build the registered model ``name`` with freshly initialised weights.

    Arguments left out take the builder's defaults: ImageNet (1000 classes, 3x224x224) for the
    big families, 10 classes of 1x28x28 for ``simple_cnn``.
    """
    spec = get_spec(name)
    given = {"num_classes": num_classes, "in_channels": in_channels, "input_size": input_size}
    kwargs.update({k: v for k, v in given.items() if v is not None})
    return spec.builder(**kwargs)


def list_models(family: str | None = None) -> list[str]:
    """Registered model names (in registration order), optionally of one family."""
    return [s.name for s in _REGISTRY.values() if family is None or s.family == family]


def family_of(name: str) -> str:
    return get_spec(name).family
