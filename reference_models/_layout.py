"""Which layout a family uses for a given input size.

The canonical ImageNet definitions shrink a 224x224 image 32-fold before the classifier; a 28x28
digit would vanish after the first few pooling layers. Each family therefore has a second,
"small-input" layout (stride-1 3x3 stem, fewer early poolings: the usual CIFAR adaptation) used
for inputs up to ``SMALL_INPUT_MAX`` pixels. Both layouts keep the module tree (and thus the
state-dict keys and their order), so the same code, checkpoints and equivalence checks apply.
"""

from __future__ import annotations

SMALL_INPUT_MAX = 64
MIN_INPUT_SIZE = 16


def is_small_input(input_size: int) -> bool:
    """True when ``input_size`` (the side of a square image) takes the small-input layout."""
    if input_size < MIN_INPUT_SIZE:
        raise ValueError(f"input_size must be at least {MIN_INPUT_SIZE} pixels, got {input_size}")
    return input_size <= SMALL_INPUT_MAX
