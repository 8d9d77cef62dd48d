"""Metrics computed on the trusted side from raw predictions and the hidden labels."""

from __future__ import annotations

import numpy as np


def accuracy(logits: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(np.argmax(logits, axis=1) == labels)) if len(labels) else 0.0


def top_k_accuracy(logits: np.ndarray, labels: np.ndarray, k: int = 5) -> float:
    if not len(labels):
        return 0.0
    k = min(k, logits.shape[1])
    top = np.argpartition(-logits, k - 1, axis=1)[:, :k]
    return float(np.mean((top == labels[:, None]).any(axis=1)))


def box_iou(pred: np.ndarray, true: np.ndarray) -> np.ndarray:
    """IoU of paired boxes ``x0, y0, x1, y1``; a degenerate predicted box has IoU 0."""
    x0 = np.maximum(pred[:, 0], true[:, 0])
    y0 = np.maximum(pred[:, 1], true[:, 1])
    x1 = np.minimum(pred[:, 2], true[:, 2])
    y1 = np.minimum(pred[:, 3], true[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area_p = np.clip(pred[:, 2] - pred[:, 0], 0, None) * np.clip(pred[:, 3] - pred[:, 1], 0, None)
    area_t = (true[:, 2] - true[:, 0]) * (true[:, 3] - true[:, 1])
    union = area_p + area_t - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def classification_metrics(logits: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    metrics = {"accuracy": accuracy(logits, labels)}
    if logits.shape[1] >= 5:
        metrics["top5_accuracy"] = top_k_accuracy(logits, labels, 5)
    return metrics


def object_rows(labels: np.ndarray, true_boxes: np.ndarray,
                empty_label: int | None = None) -> np.ndarray:
    """Which canvases hold an object. With ``empty_label`` (the part's "no object" class,
    ``[parts.scoring] empty_label``): those of another class. Without it: those whose true box
    has an area (recipes give an empty canvas the all-zero box, which no object can have)."""
    if empty_label is not None:
        return np.asarray(labels) != empty_label
    true_boxes = np.asarray(true_boxes, np.float64).reshape(-1, 4)
    return (true_boxes[:, 2] > true_boxes[:, 0]) & (true_boxes[:, 3] > true_boxes[:, 1])


def localization_metrics(
    logits: np.ndarray,
    labels: np.ndarray,
    boxes: np.ndarray,
    true_boxes: np.ndarray,
    empty_label: int | None = None,
) -> dict[str, float]:
    """ILSVRC localization: the class right and IoU at least 0.5; plus the mean IoU.

    Canvases with no object (``object_rows``) count for ``loc_accuracy`` like the others, but
    only their class is judged: right when the model predicts the empty class (their true label;
    ``empty_label`` when the part declares one), whatever box it gives. ``mean_iou`` is the mean
    over the canvases that hold an object (0.0 when none does): a box on an empty canvas has
    nothing to overlap.
    """
    if not len(labels):
        return {"loc_accuracy": 0.0, "mean_iou": 0.0}
    has_object = object_rows(labels, true_boxes, empty_label)
    iou = box_iou(boxes.astype(np.float64), true_boxes.astype(np.float64))
    right = np.argmax(logits, axis=1) == labels
    good_box = (iou >= 0.5) | ~has_object
    return {
        "loc_accuracy": float(np.mean(right & good_box)),
        "mean_iou": float(np.mean(iou[has_object])) if has_object.any() else 0.0,
    }


def params_from_shapes(table: np.ndarray) -> int:
    """The parameter count from a shapes table (rows: ndim, then sizes)."""
    return int(sum(int(np.prod(row[1 : 1 + int(row[0])], dtype=np.int64)) for row in table))


def plausible_macs(claim: int, table: np.ndarray, input_shape: tuple[int, ...]) -> bool:
    """Whether a MACs claim fits the weights: every matrix or kernel weight is used at least
    once per example, and at most once per input pixel (times a generous factor)."""
    weights = sum(
        int(np.prod(row[1 : 1 + int(row[0])], dtype=np.int64)) for row in table if int(row[0]) >= 2
    )
    pixels = int(np.prod(input_shape[1:])) if len(input_shape) >= 2 else 1
    return weights <= claim <= max(weights, 1) * pixels * 16
