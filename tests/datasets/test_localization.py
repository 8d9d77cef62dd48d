"""The localization canvas generator: seeded, exact boxes, and the ILSVRC scoring helpers."""

from __future__ import annotations

import numpy as np
import pytest

from arena_datasets import localization, real
from arena_datasets.localization import (
    SceneSpec,
    box_iou,
    draw_scene,
    generate,
    loc_accuracy,
    render,
)


@pytest.fixture(scope="module")
def fashion() -> tuple[np.ndarray, np.ndarray]:
    images, labels = real.fashion_mnist("test")
    return images[:500], labels[:500]


@pytest.fixture(scope="module")
def backgrounds() -> list[np.ndarray]:
    return list(real.textures().values())


def test_it_gives_the_same_canvases_for_the_same_seed(fashion, backgrounds):
    first = generate(*fashion, backgrounds, count=40, seed=7)
    second = generate(*fashion, backgrounds, count=40, seed=7)
    np.testing.assert_array_equal(first.images, second.images)
    np.testing.assert_array_equal(first.boxes, second.boxes)
    np.testing.assert_array_equal(first.labels, second.labels)


def test_it_gives_different_canvases_for_another_seed(fashion, backgrounds):
    first = generate(*fashion, backgrounds, count=40, seed=7)
    other = generate(*fashion, backgrounds, count=40, seed=8)
    assert not np.array_equal(first.images, other.images)
    assert not np.array_equal(first.boxes, other.boxes)


def test_it_keeps_every_pixel_the_object_changed_inside_its_box(fashion, backgrounds):
    spec = SceneSpec(canvas_size=64, distractors=(2, 4))
    rng = np.random.default_rng(3)
    for _ in range(60):
        scene = draw_scene(*fashion, backgrounds, backgrounds, spec, rng)
        with_object = render(scene).astype(np.int16)
        without = render(scene, include_target=False).astype(np.int16)
        x0, y0, x1, y1 = scene.target.box
        changed = with_object != without
        outside = changed.copy()
        outside[y0:y1, x0:x1] = False
        assert not outside.any()
        # The box is tight: the object's alpha reaches each of its four sides.
        alpha = scene.target.alpha
        assert alpha[0].any() and alpha[-1].any() and alpha[:, 0].any() and alpha[:, -1].any()
        assert 0 <= x0 < x1 <= 64 and 0 <= y0 < y1 <= 64


def test_it_keeps_distractors_off_the_object(fashion, backgrounds):
    spec = SceneSpec(distractors=(3, 3))
    rng = np.random.default_rng(11)
    for _ in range(30):
        scene = draw_scene(*fashion, backgrounds, backgrounds, spec, rng)
        iou = box_iou(np.array([scene.target.box] * len(scene.distractors)),
                      np.array([d.box for d in scene.distractors]))
        assert np.all(iou == 0.0)


def test_it_records_the_label_of_the_pasted_object(backgrounds):
    objects = np.zeros((2, 28, 28), np.uint8)
    objects[0, 4:10, 4:10] = 255     # a small square: class 3
    objects[1, 2:26, 2:26] = 255     # a big square: class 5
    result = generate(objects, np.array([3, 5]), backgrounds, count=30, seed=1,
                      spec=SceneSpec(object_size=(28, 28), distractors=(0, 0)))
    widths = result.boxes[:, 2] - result.boxes[:, 0]
    assert set(result.labels.tolist()) == {3, 5}
    assert np.all(widths[result.labels == 3] == 28)   # the square fills its scaled patch
    assert np.all(widths[result.labels == 5] == 28)


def test_it_draws_empty_canvases_for_detection(backgrounds):
    faces, nonfaces = real.lfw_faces()
    faces_u8 = np.round(faces * 255).astype(np.uint8)
    nonfaces_u8 = np.round(nonfaces * 255).astype(np.uint8)
    spec = SceneSpec(opaque_objects=True, empty_fraction=0.5, distractors=(1, 2))
    result = generate(faces_u8, np.ones(100, np.int64), backgrounds, count=200, seed=5,
                      spec=spec, distractor_sources=list(nonfaces_u8))
    empty = result.labels == -1
    assert 60 < empty.sum() < 140
    assert np.all(result.boxes[empty] == 0)
    sides = result.boxes[~empty, 2:] - result.boxes[~empty, :2]
    assert np.all(sides >= spec.object_size[0] - 1) and np.all(sides <= spec.object_size[1])


def test_it_records_its_version_in_the_seed_stream(fashion, backgrounds, monkeypatch):
    before = generate(*fashion, backgrounds, count=5, seed=2)
    monkeypatch.setattr(localization, "GENERATOR_VERSION", localization.GENERATOR_VERSION + 1)
    after = generate(*fashion, backgrounds, count=5, seed=2)
    assert not np.array_equal(before.images, after.images)


def test_box_iou_of_known_boxes():
    a = np.array([[0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10], [5, 5, 5, 9]], np.float32)
    b = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30], [5, 5, 5, 9]], np.float32)
    np.testing.assert_allclose(box_iou(a, b), [1.0, 50 / 150, 0.0, 0.0])


def test_box_iou_treats_nan_and_inverted_boxes_as_misses():
    a = np.array([[np.nan, 0, 10, 10], [10, 10, 0, 0]], np.float32)
    b = np.array([[0, 0, 10, 10], [0, 0, 10, 10]], np.float32)
    np.testing.assert_array_equal(box_iou(a, b), [0.0, 0.0])


def test_loc_accuracy_needs_the_class_and_the_box():
    boxes = np.array([[0, 0, 10, 10]] * 4, np.float32)
    predicted = np.array([[0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 4], [1, 1, 10, 10]], np.float32)
    labels = np.array([1, 2, 3, 4])
    pred_labels = np.array([1, 0, 3, 4])
    # right+right, wrong class, IoU 0.4, IoU 0.81
    assert loc_accuracy(pred_labels, predicted, labels, boxes) == pytest.approx(0.5)


def test_loc_accuracy_ignores_the_box_of_empty_canvases():
    labels = np.array([0, 1])
    boxes = np.array([[0, 0, 0, 0], [0, 0, 10, 10]], np.float32)
    predicted = np.array([[50, 50, 60, 60], [0, 0, 10, 10]], np.float32)
    assert loc_accuracy(np.array([0, 1]), predicted, labels, boxes, empty_label=0) == 1.0
    assert loc_accuracy(np.array([1, 1]), predicted, labels, boxes, empty_label=0) == 0.5


def test_face_canvases_use_only_the_chosen_crops():
    from arena_datasets.localization import FACES_SPEC, face_canvases

    faces, _ = real.lfw_faces()
    held_out = face_canvases(40, seed=4, crops=slice(70, 100))
    assert set(held_out.labels.tolist()) <= {-1, 1}
    # Every pasted face is a scaled copy of one of the chosen crops: check the unscaled ones.
    spec = SceneSpec(**{**FACES_SPEC.__dict__, "object_size": (25, 25), "empty_fraction": 0.0,
                        "distractors": (0, 0)})
    exact = face_canvases(20, seed=4, spec=spec, crops=slice(70, 100))
    chosen = {np.round(face * 255).astype(np.uint8).tobytes() for face in faces[70:100]}
    for image, box in zip(exact.images, exact.boxes.astype(int)):
        assert image[box[1]:box[3], box[0]:box[2]].tobytes() in chosen
