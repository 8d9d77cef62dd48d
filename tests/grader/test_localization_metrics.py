"""ILSVRC-style localization on the trusted side, empty canvases included (hand-made arrays).

Class 0 is the "no object" class in these tables, as in the bonus: ``labels == 0`` means the
canvas holds no face, and its true box is all zeros.
"""

from __future__ import annotations

import numpy as np
import pytest

from arena_datasets.localization import SceneSpec, generate
from grader.metrics import localization_metrics, object_rows

BOX = [10.0, 10.0, 30.0, 30.0]     # the true box of every canvas that has an object
HALF = [10.0, 10.0, 30.0, 20.0]    # IoU 0.5 with BOX: still right (>= 0.5)
OFF = [40.0, 40.0, 60.0, 60.0]     # IoU 0 with BOX
EMPTY = [0.0, 0.0, 0.0, 0.0]       # the true box of an empty canvas


def logits_for(classes: list[int], num_classes: int = 3) -> np.ndarray:
    logits = np.zeros((len(classes), num_classes), np.float32)
    logits[np.arange(len(classes)), classes] = 5.0
    return logits


def metrics(pred: list[int], pred_boxes: list, labels: list[int], true_boxes: list,
            **kwargs) -> dict[str, float]:
    return localization_metrics(logits_for(pred), np.array(labels),
                                np.array(pred_boxes, np.float32),
                                np.array(true_boxes, np.float32), **kwargs)


def test_without_empty_canvases_it_needs_the_class_and_the_box() -> None:
    result = metrics(pred=[1, 1, 2, 2], pred_boxes=[BOX, HALF, OFF, BOX],
                     labels=[1, 1, 2, 1], true_boxes=[BOX] * 4, empty_label=0)
    # right+box, right+IoU 0.5, right class but IoU 0, box right but wrong class
    assert result["loc_accuracy"] == pytest.approx(2 / 4)
    assert result["mean_iou"] == pytest.approx((1.0 + 0.5 + 0.0 + 1.0) / 4)


def test_an_empty_canvas_is_right_with_the_empty_class_whatever_its_box() -> None:
    result = metrics(pred=[0, 0, 0], pred_boxes=[EMPTY, OFF, [np.nan] * 4],
                     labels=[0, 0, 0], true_boxes=[EMPTY] * 3, empty_label=0)
    assert result["loc_accuracy"] == 1.0
    assert result["mean_iou"] == 0.0  # no canvas has an object: nothing to average


def test_an_empty_canvas_called_an_object_is_wrong() -> None:
    result = metrics(pred=[1, 0], pred_boxes=[BOX, BOX], labels=[0, 0],
                     true_boxes=[EMPTY, EMPTY], empty_label=0)
    assert result["loc_accuracy"] == pytest.approx(1 / 2)


def test_an_object_called_empty_is_wrong_even_with_a_perfect_box() -> None:
    result = metrics(pred=[0, 1], pred_boxes=[BOX, BOX], labels=[1, 1],
                     true_boxes=[BOX, BOX], empty_label=0)
    assert result["loc_accuracy"] == pytest.approx(1 / 2)
    assert result["mean_iou"] == 1.0  # its box still counts towards the mean IoU


def test_mean_iou_averages_over_canvases_with_an_object_only() -> None:
    # Two faces (IoU 1 and 0.5) and two empty canvases whose boxes are garbage.
    result = metrics(pred=[1, 1, 0, 1], pred_boxes=[BOX, HALF, OFF, BOX],
                     labels=[1, 1, 0, 0], true_boxes=[BOX, BOX, EMPTY, EMPTY], empty_label=0)
    assert result["mean_iou"] == pytest.approx((1.0 + 0.5) / 2)
    # faces: both right; empty: the first says "no face" (right), the second "face" (wrong)
    assert result["loc_accuracy"] == pytest.approx(3 / 4)


def test_the_declared_empty_label_wins_over_the_boxes() -> None:
    # The empty canvas's stored box is not zeros: with empty_label declared, it is still ignored.
    result = metrics(pred=[0, 1], pred_boxes=[OFF, BOX], labels=[0, 1],
                     true_boxes=[BOX, BOX], empty_label=0)
    assert result["loc_accuracy"] == 1.0
    assert result["mean_iou"] == 1.0


def test_without_a_declared_label_an_all_zero_true_box_marks_an_empty_canvas() -> None:
    labels, true_boxes = np.array([0, 1, 0]), np.array([EMPTY, BOX, EMPTY], np.float32)
    np.testing.assert_array_equal(object_rows(labels, true_boxes), [False, True, False])
    np.testing.assert_array_equal(object_rows(labels, true_boxes, empty_label=0),
                                  [False, True, False])
    implicit = metrics(pred=[0, 1, 1], pred_boxes=[OFF, HALF, BOX], labels=[0, 1, 0],
                       true_boxes=[EMPTY, BOX, EMPTY])
    explicit = metrics(pred=[0, 1, 1], pred_boxes=[OFF, HALF, BOX], labels=[0, 1, 0],
                       true_boxes=[EMPTY, BOX, EMPTY], empty_label=0)
    assert implicit == explicit == {"loc_accuracy": pytest.approx(2 / 3), "mean_iou": 0.5}


def test_no_canvases_at_all() -> None:
    result = localization_metrics(np.zeros((0, 2), np.float32), np.zeros(0, np.int64),
                                  np.zeros((0, 4), np.float32), np.zeros((0, 4), np.float32),
                                  empty_label=0)
    assert result == {"loc_accuracy": 0.0, "mean_iou": 0.0}


def test_generated_empty_canvases_have_the_all_zero_box() -> None:
    """The convention the implicit rule relies on, on canvases drawn like the bonus's."""
    rng = np.random.default_rng(0)
    objects = (rng.random((4, 12, 12)) * 255).astype(np.uint8)
    background = (rng.random((80, 80)) * 255).astype(np.uint8)
    spec = SceneSpec(canvas_size=32, object_size=(10, 14), distractor_size=(6, 8),
                     distractors=(0, 1), empty_fraction=0.5, opaque_objects=True)
    data = generate(objects, np.ones(4, np.int64), [background], 40, seed=3, spec=spec)
    labels = (data.labels == 1).astype(np.int64)  # the bonus's labels: 1 = face, 0 = none
    assert 0 < labels.sum() < len(labels)
    np.testing.assert_array_equal(object_rows(labels, data.boxes), labels == 1)
    np.testing.assert_array_equal(object_rows(labels, data.boxes, empty_label=0), labels == 1)
