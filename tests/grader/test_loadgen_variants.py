"""The timer's re-sent inputs are fresh label-preserving variants no cache can know (threat 32):
not 1e-4 perturbations that a rounded key maps back to the same answer."""

from __future__ import annotations

import numpy as np

from grader.bundle import OutputSpec, Timing
from grader.loadgen import LoadGenerator


def generator() -> LoadGenerator:
    # No session: only the input side of the timer is exercised here (the sandboxed side is in
    # tests/grader/attacks/test_lookup_attacks.py).
    return LoadGenerator(None, (OutputSpec("logits", (10,)),), Timing())  # type: ignore[arg-type]


def batch() -> np.ndarray:
    return np.random.default_rng(5).random((32, 1, 28, 28)).astype(np.float32)


def rounded_keys(images: np.ndarray, decimals: int) -> set[bytes]:
    return {row.tobytes() for row in np.round(images.reshape(len(images), -1), decimals)}


def test_a_variant_misses_every_rounded_key_of_the_batch() -> None:
    images = batch()
    timer = generator()
    variant = timer.variant(images)
    for decimals in (1, 2, 3):
        assert not rounded_keys(variant, decimals) & rounded_keys(images, decimals)


def test_every_variant_is_new_and_stays_in_the_datas_range() -> None:
    images = batch()
    timer = generator()
    timer.value_range = (0.0, 1.0)
    first, second = timer.variant(images), timer.variant(images)
    assert not rounded_keys(first, 2) & rounded_keys(second, 2)
    assert first.min() >= 0.0 and first.max() <= 1.0 and first.dtype == np.float32


def test_two_gradings_draw_different_variants_whatever_the_bundle_seed() -> None:
    images = batch()
    assert not np.array_equal(generator().variant(images), generator().variant(images))


def test_the_variants_stay_close_to_the_image() -> None:
    images = batch()
    variant = generator().variant(images)
    # Far from a 1e-4 nudge, far from a new image: a label-preserving re-draw.
    change = np.abs(variant - images).mean()
    assert 0.005 < change < np.abs(images - images[::-1]).mean() / 2
