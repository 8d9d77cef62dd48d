"""Hidden cases of week 1: random tensors of several shapes and dtypes, edge cases included.

The expected outputs come from PyTorch's own operators (batch norm statistics, ``F.one_hot``,
``torch.matmul``, ``F.unfold``, ``torch.topk``), not from the reference solution, so a bug in the
solution cannot hide in the expectations. Every expected output has the dtype the statement names
(the checks compare dtypes exactly).

The edge cases students get wrong are in every check's hidden cases: a batch of one, non-square
and odd sizes, a channel far from zero (a variance written as ``E[x^2] - E[x]^2`` cancels
catastrophically in float32) and one nearly constant (``eps`` outside the square root shows), an
empty batch and a single class for the one-hot, windows that leave pixels over (``ceil`` instead
of ``floor`` for the output size), tied logits for the top-k.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from arena_datasets.generators import random_array, random_labels, random_normal, rng_for
from arena_datasets.recipe_tools import FunctionCases

EPS = 1e-5

# (shape [N,C,H,W], dtype, kind): batch of one, one channel, non-square, integer pixels; "far":
# channels around 100 with a spread of 2 (a float32 two-pass variance stays within a third of
# the tolerance there, E[x^2] - E[x]^2 misses it 15-40 times over); "flat": one channel with a
# spread of 0.01 (sqrt(var + eps) and sqrt(var) + eps differ by 5 %).
NORMALIZE_CASES = [
    ((8, 3, 16, 16), "float32", "plain"),
    ((1, 3, 5, 7), "float32", "far"),
    ((4, 1, 28, 28), "float64", "plain"),
    ((6, 2, 9, 4), "uint8", "plain"),
    ((2, 5, 3, 11), "float64", "plain"),
    ((3, 4, 7, 5), "float32", "flat"),
    ((5, 3, 6, 6), "float32", "far"),
]
# (N, num_classes): a single class, and an empty batch (the statement: shape [0, num_classes]).
ONE_HOT_CASES = [(10, 10), (1, 5), (7, 12), (32, 3), (5, 2), (4, 1), (0, 6)]
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
    ((2, 8, 10), 2, 2, 3, 0),  # stride > kernel, pixels left over: out = floor, not ceil
    ((1, 9, 6), 4, 3, 2, 1),
]
# (N, classes, k, tied): k >= 2 everywhere (top-k must differ from top-1). "tied" rows hold
# logits rounded to whole numbers, so values repeat, but never across the k-th place of a row's
# label (which label wins such a tie is up to the sort: the statement leaves it out).
TOPK_CASES = [
    (16, 10, 2, False),
    (16, 10, 3, True),
    (1, 5, 2, False),
    (50, 100, 5, False),
    (9, 4, 4, False),
    (25, 7, 2, False),
    (30, 6, 3, True),
]
# Public cases (a different seed stream): the first two of each list and one telling edge case.
PUBLIC = {"normalize": [1, 2, 5], "one_hot": [0, 5], "matmul": [0, 1], "im2col": [0, 6],
          "topk": [0, 1]}


def normalize_reference(images: torch.Tensor) -> torch.Tensor:
    """In float64, then the statement's dtype: float32 for uint8 pixels, else the input's."""
    x = images.double()
    out = F.batch_norm(x, None, None, training=True, eps=EPS)
    return out.float() if images.dtype == torch.uint8 else out.to(images.dtype)


def add_normalize(cases: FunctionCases, seed: int, specs: list) -> None:
    for i, (shape, dtype, kind) in enumerate(specs):
        rng = rng_for(seed, "normalize_per_channel", i)
        if dtype == "uint8":
            images = random_array(rng, shape, "uint8", 0, 256)
        else:  # a per-channel offset and scale, so per-channel statistics really matter
            offset = rng.uniform(-3, 3, size=(1, shape[1], 1, 1))
            scale = rng.uniform(0.5, 4, size=(1, shape[1], 1, 1))
            if kind == "far":
                offset, scale = rng.uniform(90, 110, size=offset.shape), np.full(scale.shape, 2.0)
            elif kind == "flat":
                offset[0, -1], scale[0, -1] = 0.0, 0.01  # centred: float32 keeps its digits
            images = (random_normal(rng, shape, "float64") * scale + offset).astype(dtype)
        cases.add("normalize_per_channel", [images], normalize_reference(torch.from_numpy(images)))


def add_one_hot(cases: FunctionCases, seed: int, specs: list) -> None:
    for i, (n, num_classes) in enumerate(specs):
        rng = rng_for(seed, "one_hot", i)
        # Labels avoid the last class on purpose: num_classes, not labels.max() + 1, sets the width.
        labels = random_labels(rng, n, max(num_classes - 1, 1)).astype(np.int64)
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
    for i, (n, num_classes, k, tied) in enumerate(specs):
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
        if tied:
            logits = np.round(logits)
            top = logits[0].max()
            logits[0, second], logits[0, best] = top + 2.0, top + 1.0  # still strictly second
            _untie_the_kth_place(logits, labels, k)
        top = torch.topk(torch.from_numpy(logits), k, dim=1).indices
        expected = (top == torch.from_numpy(labels)[:, None]).any(dim=1).double().mean()
        cases.add("topk_accuracy", [logits, labels, k], expected.float())


def _untie_the_kth_place(logits: np.ndarray, labels: np.ndarray, k: int) -> None:
    """Raise a label's logit by one wherever a tie spans the k-th place (ambiguous by statement);
    repeated until no row's label ties across it."""
    for row in range(len(labels)):
        while True:
            value = logits[row, labels[row]]
            above = int((logits[row] > value).sum())
            level = int((logits[row] == value).sum())
            if above >= k or above + level <= k:
                break
            logits[row, labels[row]] += 1.0


def _pick(specs: list, which: list[int]) -> list:
    return [specs[i] for i in which]


def build_cases(seed: int, public: bool) -> FunctionCases:
    cases = FunctionCases()
    if public:  # a few small cases per check, different streams from the hidden ones
        seed = seed + 1
        add_normalize(cases, seed, _pick(NORMALIZE_CASES, PUBLIC["normalize"]))
        add_one_hot(cases, seed, _pick(ONE_HOT_CASES, PUBLIC["one_hot"]))
        add_matmul(cases, seed, _pick(MATMUL_CASES, PUBLIC["matmul"]))
        add_im2col(cases, seed, _pick(IM2COL_CASES, PUBLIC["im2col"]))
        add_topk(cases, seed, _pick(TOPK_CASES, PUBLIC["topk"]))
        return cases
    add_normalize(cases, seed, NORMALIZE_CASES)
    add_one_hot(cases, seed, ONE_HOT_CASES)
    add_matmul(cases, seed, MATMUL_CASES)
    add_im2col(cases, seed, IM2COL_CASES)
    add_topk(cases, seed, TOPK_CASES)
    return cases


def build(out: Path, seed: int) -> None:
    build_cases(seed, public=False).save(out / "functions", public=build_cases(seed, public=True))
