"""Importers of mentor-brought data sets, on small fixtures built on the fly."""

import pickle

import numpy as np
import pytest
from PIL import Image

from arena_datasets.importers import (
    DatasetFormatError,
    import_cifar10,
    import_dataset,
    import_image_folder,
    import_npz,
)

CIFAR_CLASSES = [
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
]


@pytest.fixture
def cifar_folder(tmp_path):
    """A miniature cifar-10-batches-py: 4 images per batch, in the official pickle layout."""
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(0)
    with (folder / "batches.meta").open("wb") as handle:
        pickle.dump({b"label_names": [c.encode() for c in CIFAR_CLASSES]}, handle)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {
            b"data": rng.integers(0, 256, (4, 3072), dtype=np.uint8),
            b"labels": rng.integers(0, 10, 4).tolist(),
        }
        with (folder / name).open("wb") as handle:
            pickle.dump(batch, handle)
    return folder


def test_it_imports_cifar10_batches_as_nchw(cifar_folder):
    train = import_cifar10(cifar_folder, "train")
    assert train.images.shape == (20, 3, 32, 32) and train.images.dtype == np.uint8
    assert train.labels.shape == (20,) and train.labels.dtype == np.int64
    assert train.classes == CIFAR_CLASSES
    with (cifar_folder / "data_batch_1").open("rb") as handle:
        first = pickle.load(handle, encoding="bytes")[b"data"][0]
    # Row layout: the 1024 red values, then green, then blue.
    np.testing.assert_array_equal(train.images[0, 1].ravel(), first[1024:2048])
    assert len(import_cifar10(cifar_folder, "test").labels) == 4


def test_it_reports_a_folder_that_is_not_cifar(tmp_path):
    with pytest.raises(DatasetFormatError, match="missing"):
        import_cifar10(tmp_path)


def _write_image(path, size, color):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path)


def test_it_imports_an_image_folder_with_classes_sorted_by_name(tmp_path):
    _write_image(tmp_path / "dog" / "a.png", (6, 4), (255, 0, 0))
    _write_image(tmp_path / "cat" / "b.png", (6, 4), (0, 255, 0))
    _write_image(tmp_path / "cat" / "nested" / "c.jpg", (6, 4), (0, 0, 255))
    (tmp_path / "cat" / "notes.txt").write_text("not an image")
    data = import_image_folder(tmp_path)
    assert data.classes == ["cat", "dog"]
    assert data.images.shape == (3, 3, 4, 6)
    assert data.labels.tolist() == [0, 0, 1]
    assert data.images[2, 0].min() == 255  # the dog is red


def test_it_needs_a_size_when_folder_images_differ(tmp_path):
    _write_image(tmp_path / "a" / "1.png", (6, 4), (1, 2, 3))
    _write_image(tmp_path / "b" / "2.png", (8, 8), (1, 2, 3))
    with pytest.raises(DatasetFormatError, match="size"):
        import_image_folder(tmp_path)
    data = import_image_folder(tmp_path, mode="L", size=(5, 5))
    assert data.images.shape == (2, 1, 5, 5)


@pytest.mark.parametrize(
    "shape, expected",
    [((3, 8, 9), (3, 1, 8, 9)), ((3, 8, 9, 3), (3, 3, 8, 9)), ((3, 1, 8, 9), (3, 1, 8, 9))],
)
def test_it_imports_npz_images_in_any_common_layout(tmp_path, shape, expected):
    path = tmp_path / "data.npz"
    np.savez(
        path,
        images=np.zeros(shape, np.uint8),
        labels=np.array([0, 1, 1]),
        classes=np.array(["a", "b"]),
    )
    data = import_dataset(path)
    assert data.images.shape == expected and data.classes == ["a", "b"]


def test_it_converts_npz_float_pixels_and_names_missing_classes(tmp_path):
    path = tmp_path / "data.npz"
    np.savez(path, images=np.full((2, 4, 4), 0.5, np.float32), labels=np.array([0, 2]))
    data = import_npz(path)
    assert data.images.dtype == np.uint8 and data.images.max() == 128
    assert data.classes == ["0", "1", "2"]


@pytest.mark.parametrize(
    "arrays, message",
    [
        ({"images": np.zeros((2, 4, 4))}, "needs arrays"),
        ({"images": np.zeros((2, 4, 4)), "labels": np.array([0])}, "one integer per image"),
        ({"images": np.full((2, 4, 4), 3.0), "labels": np.array([0, 1])}, "floats in"),
        (
            {
                "images": np.zeros((2, 4, 4), np.uint8),
                "labels": np.array([0, 5]),
                "classes": np.array(["a", "b"]),
            },
            "labels must lie",
        ),
    ],
)
def test_it_rejects_malformed_npz(tmp_path, arrays, message):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(DatasetFormatError, match=message):
        import_npz(path)
