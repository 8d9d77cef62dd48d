"""Each hint detector of functions checks (grader/kinds/functions/hints.py) fires on its own
pattern and stays silent on others; bad hint tables are refused in words."""

from __future__ import annotations

import numpy as np
import pytest

from grader.kinds.functions.hints import Hint, HintError, applies, evaluate, hints_for, read_hints

RNG = np.random.default_rng(0)
WANT = RNG.normal(size=(4, 3, 5, 7)).astype(np.float32)
IMAGES = np.zeros((4, 3, 5, 7), np.float32)  # the case's first argument: n per channel = 140
UNRELATED = WANT + RNG.normal(scale=0.3, size=WANT.shape).astype(np.float32)


def fires(hint: Hint, got: np.ndarray, want: np.ndarray = WANT) -> bool:
    return bool(applies(hint, got, want, [IMAGES]))


def test_ratio_near_a_count_expression_fires_on_that_factor_only() -> None:
    hint = Hint("ratio_near", "biased vs unbiased: {measured}", "sqrt((n - 1) / n)", "per_channel")
    factor = np.sqrt(139 / 140)
    assert applies(hint, WANT * factor, WANT, [IMAGES]) == f"biased vs unbiased: {factor:.4g}"
    assert not fires(hint, WANT * 0.9)  # another factor
    assert not fires(hint, UNRELATED)  # not one factor at all
    assert not fires(hint, WANT)  # no difference


def test_ratio_near_without_value_fires_on_any_constant_but_one() -> None:
    hint = Hint("ratio_near", "off by {measured}")
    assert applies(hint, WANT * 2.5, WANT, [IMAGES]) == "off by 2.5"
    assert not fires(hint, WANT) and not fires(hint, UNRELATED)


def test_ratio_near_batch_count() -> None:
    hint = Hint("ratio_near", "sum, not mean", "n", "batch")
    loss = np.float32(1.7).reshape(())
    logits = np.zeros((8, 10), np.float32)
    assert applies(hint, loss * 8, loss, [logits]) == "sum, not mean"
    assert not applies(hint, loss * 7, loss, [logits])


def test_offset_near() -> None:
    assert fires(Hint("offset_near", "shifted"), WANT + 0.25)
    assert fires(Hint("offset_near", "by one", "1"), WANT + 1)
    assert not fires(Hint("offset_near", "by one", "1"), WANT + 2)
    assert not fires(Hint("offset_near", "shifted"), WANT * 2)
    assert not fires(Hint("offset_near", "shifted"), WANT)


def test_sign_flipped() -> None:
    assert fires(Hint("sign_flipped", "sign"), -WANT)
    assert not fires(Hint("sign_flipped", "sign"), WANT * 0.5)
    assert not fires(Hint("sign_flipped", "sign"), np.zeros_like(WANT), np.zeros_like(WANT))


def test_transposed_square_and_not() -> None:
    matrix = RNG.normal(size=(2, 3, 5)).astype(np.float32)
    assert fires(Hint("transposed", "t"), np.swapaxes(matrix, -1, -2), matrix)
    square = RNG.normal(size=(4, 4)).astype(np.float32)
    assert fires(Hint("transposed", "t"), square.T.copy(), square)
    assert not fires(Hint("transposed", "t"), square, square)
    assert not fires(Hint("transposed", "t"), square * 2, square)


def test_dtype_and_shape_differ() -> None:
    assert fires(Hint("dtype_differs", "d"), WANT.astype(np.float64))
    assert not fires(Hint("dtype_differs", "d"), WANT)
    assert fires(Hint("dtype_differs", "i", "int64"), np.ones(3, np.int64), np.ones(3, np.float32))
    assert not fires(Hint("dtype_differs", "i", "int64"), WANT.astype(np.float64))
    assert fires(Hint("shape_differs", "s"), WANT[:, :2])
    assert not fires(Hint("shape_differs", "s"), WANT * 3)


def test_non_finite_only_where_the_expected_values_are_finite() -> None:
    broken = WANT.copy()
    broken[0, 0, 0, 0] = np.nan
    assert fires(Hint("non_finite", "overflow"), broken)
    assert not fires(Hint("non_finite", "overflow"), WANT)
    assert not fires(Hint("non_finite", "overflow"), broken, broken)


def test_hints_for_keeps_the_first_of_each_detector_and_honours_output() -> None:
    hints = (
        Hint("ratio_near", "valued", "2"),
        Hint("ratio_near", "general"),
        Hint("dtype_differs", "dtype"),
        Hint("sign_flipped", "other output", output=1),
    )
    assert hints_for(hints, 0, WANT * 2, WANT, [IMAGES]) == ["valued"]
    assert hints_for(hints, 0, WANT * 3, WANT, [IMAGES]) == ["general"]
    assert hints_for(hints, 0, -WANT, WANT, [IMAGES]) == ["general"]  # ratio -1
    assert hints_for(hints, 1, -WANT, WANT, [IMAGES]) == ["general", "other output"]


def test_read_hints_validates_every_key() -> None:
    (hint,) = read_hints([{"when": "ratio_near", "value": 2, "say": "x2"}])
    assert hint == Hint("ratio_near", "x2", "2.0")
    assert read_hints(None) == ()
    bad = [
        [{"when": "guess", "say": "x"}],
        [{"when": "ratio_near"}],
        [{"when": "ratio_near", "say": "x", "value": "__import__('os')"}],
        [{"when": "ratio_near", "say": "x", "value": "n.real"}],
        [{"when": "sign_flipped", "say": "x", "value": "2"}],
        [{"when": "ratio_near", "say": "x", "count": "pixels"}],
        [{"when": "dtype_differs", "say": "x", "value": "float99"}],
        [{"when": "ratio_near", "say": "x", "output": -1}],
        [{"when": "ratio_near", "say": "x", "extra": 1}],
        [{"when": "ratio_near", "say": "x" * 301}],
        "not a list",
    ]
    for raw in bad:
        with pytest.raises(HintError):
            read_hints(raw)


def test_expressions_are_arithmetic_over_n_only() -> None:
    assert evaluate("sqrt((n - 1) / n)", 4) == pytest.approx(np.sqrt(0.75))
    assert evaluate("2 ** 3 + -n", 1) == 7.0
    for expression in ("open('x')", "n.__class__", "[n]", "lambda: 1", "m + 1"):
        with pytest.raises(ValueError):
            evaluate(expression, 2)


def _softmax(z: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def test_sums_to_one_along_tells_a_softmax_over_the_batch() -> None:
    hint = Hint("sums_to_one_along", "over the batch", axes=(0,))
    logits = RNG.normal(size=(6, 10)).astype(np.float32)
    want = _softmax(logits, 1)
    assert applies(hint, _softmax(logits, 0), want, [logits]) == "over the batch"
    assert not applies(hint, want, want, [logits])  # the right softmax
    assert not applies(hint, want * 1.5, want, [logits])  # another mistake
    single = logits[:1]  # a batch of one: every softmax "sums to 1" over it, says nothing
    assert not applies(hint, _softmax(single, 0), _softmax(single, 1), [single])


def test_zero_mean_along_tells_statistics_over_the_wrong_axes() -> None:
    hint = Hint("zero_mean_along", "per image", axes=(2, 3))
    x = RNG.normal(loc=3.0, size=(4, 3, 5, 7))
    x += RNG.normal(size=(4, 1, 1, 1)) * 2  # images differ: per image is not per channel

    def normalised(axes: tuple[int, ...]) -> np.ndarray:
        return (x - x.mean(axis=axes, keepdims=True)) / x.std(axis=axes, keepdims=True)

    want = normalised((0, 2, 3))
    assert applies(hint, normalised((2, 3)), want, [x]) == "per image"
    assert not applies(hint, want, want, [x])
    assert not applies(hint, want * 0.99, want, [x])  # a factor, not the axes
    assert not applies(Hint("zero_mean_along", "x", axes=(5,)), normalised((2, 3)), want, [x])


def test_axis_detectors_need_axes_and_only_they_take_them() -> None:
    with pytest.raises(HintError, match="axes"):
        read_hints([{"when": "sums_to_one_along", "say": "s"}])
    with pytest.raises(HintError, match="axes"):
        read_hints([{"when": "ratio_near", "say": "s", "axes": [0]}])
    with pytest.raises(HintError, match="axes"):
        read_hints([{"when": "zero_mean_along", "say": "s", "axes": [1, 1]}])
    (hint,) = read_hints([{"when": "zero_mean_along", "say": "s", "axes": [2, 3]}])
    assert hint.axes == (2, 3)
