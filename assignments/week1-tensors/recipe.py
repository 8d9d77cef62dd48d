"""Hidden cases of week 1: random tensors of several shapes and dtypes, edge cases included.

The expected outputs come from PyTorch's own operators (batch norm statistics, ``F.one_hot``,
``torch.matmul``, ``F.unfold``, ``torch.topk``), not from the reference solution, so a bug in the
solution cannot hide in the expectations.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from arena_datasets.generators import random_array, random_labels, random_normal, rng_for
from arena_datasets.recipe_tools import FunctionCases

EPS = 1e-5

# (shape [N,C,H,W], dtype): batch of one, one channel, non-square, integer pixels.
NORMALIZE_CASES = [
    ((8, 3, 16, 16), "float32"),
    ((1, 3, 5, 7), "float32"),
    ((4, 1, 28, 28), "float64"),
    ((6, 2, 9, 4), "uint8"),
    ((2, 5, 3, 11), "float64"),
]
ONE_HOT_CASES = [(10, 10), (1, 5), (7, 12), (32, 3), (5, 2)]  # (N, num_classes)
MATMUL_CASES = [
    ((4, 3, 5), (4, 5, 2)),
    ((4, 3, 5), (5, 2)),
    ((1, 6, 4), (3, 4, 6)),
    ((2, 1, 3, 4), (5, 4, 2)),
    ((3, 2), (2, 7)),
    ((2, 3, 1, 8), (1, 8, 1)),
]
# Every image has several channels: the column layout (channel first) must be checked each time.
IM2COL_CASES = [
    ((3, 8, 8), 3, 3, 1, 0),
    ((2, 5, 9), 2, 3, 1, 1),
    ((2, 10, 7), 3, 2, 2, 1),
    ((4, 6, 6), 2, 1, 1, 0),
    ((3, 7, 7), 7, 7, 1, 0),
    ((3, 11, 13), 3, 5, 3, 2),
]
# k >= 2 everywhere: top-k must differ from top-1 (top-1 is the same code with k = 1).
TOPK_CASES = [(16, 10, 2), (16, 10, 3), (1, 5, 2), (50, 100, 5), (9, 4, 4), (25, 7, 2)]


def normalize_reference(images: torch.Tensor) -> torch.Tensor:
    x = images.float() if images.dtype == torch.uint8 else images
    return F.batch_norm(x, None, None, training=True, eps=EPS)


def add_normalize(cases: FunctionCases, seed: int, specs: list) -> None:
    for i, (shape, dtype) in enumerate(specs):
        rng = rng_for(seed, "normalize_per_channel", i)
        if dtype == "uint8":
            images = random_array(rng, shape, "uint8", 0, 256)
        else:  # a per-channel offset and scale, so per-channel statistics really matter
            offset = rng.uniform(-3, 3, size=(1, shape[1], 1, 1))
            images = (random_normal(rng, shape, dtype) * rng.uniform(0.5, 4) + offset).astype(dtype)
        cases.add("normalize_per_channel", [images], normalize_reference(torch.from_numpy(images)))


def add_one_hot(cases: FunctionCases, seed: int, specs: list) -> None:
    for i, (n, num_classes) in enumerate(specs):
        rng = rng_for(seed, "one_hot", i)
        # Labels avoid the last class on purpose: num_classes, not labels.max() + 1, sets the width.
        labels = random_labels(rng, n, max(num_classes - 1, 1))
        expected = F.one_hot(torch.from_numpy(labels), num_classes).float()
        cases.add("one_hot", [labels, num_classes], expected)


def add_matmul(cases: FunctionCases, seed: int, specs: list) -> None:
    for i, (shape_a, shape_b) in enumerate(specs):
        rng = rng_for(seed, "batched_matmul", i)
        dtype = "float64" if i % 3 == 2 else "float32"
        a, b = random_normal(rng, shape_a, dtype), random_normal(rng, shape_b, dtype)
        cases.add("batched_matmul", [a, b], torch.matmul(torch.from_numpy(a), torch.from_numpy(b)))


def add_im2col(cases: FunctionCases, seed: int, specs: list) -> None:
    for i, (shape, kh, kw, stride, padding) in enumerate(specs):
        rng = rng_for(seed, "im2col", i)
        image = random_normal(rng, shape, "float64" if i % 2 else "float32")
        expected = F.unfold(
            torch.from_numpy(image)[None], (kh, kw), padding=padding, stride=stride
        )[0]
        cases.add("im2col", [image, kh, kw, stride, padding], expected)


def add_topk(cases: FunctionCases, seed: int, specs: list) -> None:
    for i, (n, num_classes, k) in enumerate(specs):
        rng = rng_for(seed, "topk_accuracy", i)
        logits = random_normal(rng, (n, num_classes), "float32", scale=2.0)
        labels = random_labels(rng, n, num_classes)
        # Make about half the rows right at top-1, so accuracies are not all near chance.
        hits = rng.random(n) < 0.5
        logits[hits, labels[hits]] += 6.0
        # Row 0's label is exactly the second best: right at top-k, wrong at top-1.
        best, second = np.argsort(logits[0])[::-1][:2]
        logits[0, [best, second]] = logits[0, [second, best]]
        labels[0] = best
        top = torch.topk(torch.from_numpy(logits), k, dim=1).indices
        expected = (top == torch.from_numpy(labels)[:, None]).any(dim=1).double().mean()
        cases.add("topk_accuracy", [logits, labels, k], expected.float())


def build_cases(seed: int, public: bool) -> FunctionCases:
    cases = FunctionCases()
    if public:  # two small cases per check, different streams from the hidden ones
        seed = seed + 1
        add_normalize(cases, seed, NORMALIZE_CASES[:2])
        add_one_hot(cases, seed, ONE_HOT_CASES[:2])
        add_matmul(cases, seed, MATMUL_CASES[:2])
        add_im2col(cases, seed, IM2COL_CASES[:2])
        add_topk(cases, seed, TOPK_CASES[:2])
        return cases
    add_normalize(cases, seed, NORMALIZE_CASES)
    add_one_hot(cases, seed, ONE_HOT_CASES)
    add_matmul(cases, seed, MATMUL_CASES)
    add_im2col(cases, seed, IM2COL_CASES)
    add_topk(cases, seed, TOPK_CASES)
    return cases


def build(out: Path, seed: int) -> None:
    build_cases(seed, public=False).save(out / "functions", public=build_cases(seed, public=True))
