"""The label-preserving transforms: every pixel moves a little, the picture stays."""

from __future__ import annotations

import numpy as np

from arena_datasets.secret_transforms import QUERY_SPEC, TransformSpec, secret_transform


def digits_like(n: int = 50) -> np.ndarray:
    images = np.zeros((n, 1, 28, 28), np.float32)
    images[:, :, 6:22, 12:16] = 1.0  # a bar in the middle: a "1"
    return images


def test_it_keeps_shape_dtype_and_range_and_is_reproducible_per_generator() -> None:
    images = digits_like()
    a = secret_transform(images, np.random.default_rng(3), TransformSpec(), (0.0, 1.0))
    b = secret_transform(images, np.random.default_rng(3), TransformSpec(), (0.0, 1.0))
    assert a.shape == images.shape and a.dtype == np.float32
    assert a.min() >= 0.0 and a.max() <= 1.0
    np.testing.assert_array_equal(a, b)


def test_each_image_gets_its_own_draw_and_none_survives_rounding() -> None:
    images = digits_like()
    out = secret_transform(images, np.random.default_rng(0), QUERY_SPEC, (0.0, 1.0))
    flat = np.rint(out.reshape(len(out), -1) * 100)  # a cache keyed on 2 decimals
    assert len({row.tobytes() for row in flat}) == len(out)
    original = np.rint(images.reshape(len(images), -1) * 100)
    assert not (flat == original).all(axis=1).any()


def test_the_picture_stays_where_it_was() -> None:
    images = digits_like()
    out = secret_transform(images, np.random.default_rng(1), TransformSpec(), (0.0, 1.0))
    # The bar stays bright where it was (a pixel of shift at most); the corners stay background.
    assert (out[:, :, 8:20, 13:15].mean((1, 2, 3)) > 0.7).all()
    assert np.abs(out[:, :, :3, :3]).mean() < 0.05


def test_the_identity_spec_changes_nothing() -> None:
    images = np.random.default_rng(2).random((4, 3, 9, 7)).astype(np.float32)
    none = TransformSpec(rotation_deg=0, scale=0, shift_px=0, elastic_px=0, noise=0)
    np.testing.assert_allclose(secret_transform(images, np.random.default_rng(0), none), images,
                               atol=1e-6)
