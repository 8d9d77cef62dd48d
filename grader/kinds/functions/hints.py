"""Hints a bundle declares per functions check, shown under a failed **public** case only.

A hint is a sentence the bundle's author wrote (trusted text) and a detector from a small closed
set that decides, on the trusted side, from the public case's own values, whether the sentence
applies::

    [[parts.checks.hints]]
    when = "ratio_near"          # a detector of DETECTORS
    value = "sqrt((n - 1) / n)"  # ratio_near / offset_near: a number or an expression over n
    count = "per_channel"        # what n counts in the case's first argument (COUNTS)
    say = "every value is off by sqrt((n-1)/n): an unbiased variance?"

    [[parts.checks.hints]]
    when = "zero_mean_along"     # a reduction over the wrong axes: a property of got alone
    axes = [2, 3]                # got has zero mean over these axes, the expected output not
    say = "the statistics are per image (over H and W): take them per channel, over N, H and W"

``say`` may hold ``{measured}``: the ratio or offset the detector measured, 4 digits. Hidden
cases never run a detector: what a mentee reads of them stays the closed vocabulary
(``grader.vocabulary``), since a detector's answer is a fact about the hidden values.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

DETECTORS = (
    "ratio_near",  # got / expected is one constant (the value, or any constant but 1)
    "offset_near",  # got - expected is one constant (the value, or any constant but 0)
    "sign_flipped",  # got is -expected
    "transposed",  # got is expected with its last two axes swapped
    "dtype_differs",  # got's dtype is not the expected one (value: only this dtype's name)
    "shape_differs",  # got's shape is not the expected one
    "non_finite",  # got holds NaN or infinity where every expected value is finite
    # A reduction taken over the wrong axes, told by what it leaves in got: the property holds
    # over ``axes`` for got and not for the expected output.
    "sums_to_one_along",  # got's slices over ``axes`` sum to 1 (a softmax over the batch?)
    "zero_mean_along",  # got has zero mean over ``axes`` (normalised over the wrong axes?)
)
AXIS_DETECTORS = ("sums_to_one_along", "zero_mean_along")
# What ``n`` counts in an expression, read from the case's first tensor argument.
COUNTS = ("size", "batch", "per_channel", "classes")
VALUED = ("ratio_near", "offset_near")
MAX_HINTS = 8
MAX_SAY_CHARS = 300
DEFAULT_TOLERANCE = 1e-3
_FUNCTIONS = {"sqrt": math.sqrt, "log": math.log, "exp": math.exp}


class HintError(ValueError):
    """A hint table the bundle cannot use (the manifest reader names the file and key)."""


@dataclass(frozen=True)
class Hint:
    when: str
    say: str
    value: str = ""  # "" (any constant) or a number or an expression over n
    count: str = "size"
    output: int | None = None  # only this output of the function; None: any
    tolerance: float = DEFAULT_TOLERANCE  # relative, for the constant and its consistency
    axes: tuple[int, ...] = ()  # the axis detectors' axes of got


def read_hints(raw: object) -> tuple[Hint, ...]:
    """The ``hints`` list of one check, validated; raises ``HintError`` in words."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > MAX_HINTS:
        raise HintError(f"hints must be a list of at most {MAX_HINTS} tables")
    return tuple(_read_hint(item, i) for i, item in enumerate(raw))


def _read_hint(item: object, i: int) -> Hint:
    where = f"hints[{i}]"
    if not isinstance(item, dict):
        raise HintError(f"{where} must be a table")
    unknown = set(item) - {"when", "say", "value", "count", "output", "tolerance", "axes"}
    if unknown:
        raise HintError(f"{where} has unknown keys {sorted(unknown)}")
    when, say = item.get("when"), item.get("say")
    if when not in DETECTORS:
        raise HintError(f"{where} when = {when!r} must be one of {list(DETECTORS)}")
    if not isinstance(say, str) or not say.strip() or len(say) > MAX_SAY_CHARS:
        raise HintError(f"{where} say must be a sentence of 1..{MAX_SAY_CHARS} characters")
    value = item.get("value", "")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = repr(float(value))
    if not isinstance(value, str):
        raise HintError(f"{where} value must be a number or an expression over n")
    count = item.get("count", "size")
    if count not in COUNTS:
        raise HintError(f"{where} count = {count!r} must be one of {list(COUNTS)}")
    output = item.get("output")
    if output is not None and (
        not isinstance(output, int) or isinstance(output, bool) or output < 0
    ):
        raise HintError(f"{where} output must be a result index (0, 1, ...)")
    tolerance = item.get("tolerance", DEFAULT_TOLERANCE)
    if (
        not isinstance(tolerance, (int, float))
        or isinstance(tolerance, bool)
        or not 0 < tolerance < 1
    ):
        raise HintError(f"{where} tolerance must be a number in (0, 1)")
    axes = item.get("axes", [])
    if (
        not isinstance(axes, list)
        or len(axes) > 8
        or not all(isinstance(a, int) and not isinstance(a, bool) for a in axes)
        or len(set(axes)) != len(axes)
    ):
        raise HintError(f"{where} axes must be a list of distinct axis numbers")
    if (when in AXIS_DETECTORS) != bool(axes):
        raise HintError(f"{where}: axes go with {list(AXIS_DETECTORS)}, and those need them")
    hint = Hint(when, say.strip(), value.strip(), count, output, float(tolerance), tuple(axes))
    if value and when == "dtype_differs":
        try:
            np.dtype(value)
        except TypeError:
            raise HintError(f"{where} value {value!r} is not a dtype name") from None
    elif value:
        if when not in VALUED:
            raise HintError(f"{where}: only {list(VALUED)} take a value")
        try:
            evaluate(value, 10)
        except (ValueError, ZeroDivisionError, OverflowError) as exc:
            raise HintError(f"{where} value {value!r}: {exc}") from None
    return hint


def evaluate(expression: str, n: float) -> float:
    """A number or an arithmetic expression over ``n`` (+ - * / **, sqrt, log, exp)."""
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError:
        raise ValueError("not an arithmetic expression") from None
    return float(_evaluate(tree.body, float(n)))


def _evaluate(node: ast.AST, n: float) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.Name) and node.id == "n":
        return n
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _evaluate(node.operand, n)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp):
        left, right = _evaluate(node.left, n), _evaluate(node.right, n)
        operators: dict[type[ast.operator], Callable[[float, float], float]] = {
            ast.Add: float.__add__,
            ast.Sub: float.__sub__,
            ast.Mult: float.__mul__,
            ast.Div: float.__truediv__,
            ast.Pow: float.__pow__,
        }
        for kind, apply in operators.items():
            if isinstance(node.op, kind):
                return apply(left, right)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in _FUNCTIONS
        and len(node.args) == 1
        and not node.keywords
    ):
        return _FUNCTIONS[node.func.id](_evaluate(node.args[0], n))
    raise ValueError("only numbers, n, + - * / **, sqrt, log and exp are allowed")


def count_of(count: str, args: Sequence[np.ndarray]) -> float | None:
    """``n`` for an expression: what ``count`` names in the case's first tensor argument."""
    first = next((a for a in args if a.ndim > 0), None)
    if first is None or first.size == 0:
        return None
    if count == "size":
        return float(first.size)
    if count == "batch":
        return float(first.shape[0])
    if count == "classes":
        return float(first.shape[-1])
    return float(first.size // first.shape[1]) if first.ndim > 1 else None  # per_channel


def applies(hint: Hint, got: np.ndarray, want: np.ndarray, args: Sequence[np.ndarray]) -> str:
    """The hint's sentence when its detector fires on this output, else ''."""
    measured = _detect(hint, got, want, args)
    if measured is None:
        return ""
    return hint.say.replace("{measured}", f"{measured:.4g}" if math.isfinite(measured) else "")


def _detect(
    hint: Hint, got: np.ndarray, want: np.ndarray, args: Sequence[np.ndarray]
) -> float | None:
    """The measured constant (NaN when the detector measures none) if it fires, else None."""
    if hint.when == "dtype_differs":
        fires = got.dtype != want.dtype and (not hint.value or got.dtype == np.dtype(hint.value))
        return math.nan if fires else None
    if hint.when == "shape_differs":
        return math.nan if got.shape != want.shape else None
    if got.dtype.kind not in "biuf" or want.dtype.kind not in "biuf":
        return None
    g, w = got.astype(np.float64), want.astype(np.float64)
    if hint.when == "non_finite":
        return math.nan if np.isfinite(w).all() and not np.isfinite(g).all() else None
    if hint.when == "transposed":
        return math.nan if _transposed(g, w, hint.tolerance) else None
    if hint.when in AXIS_DETECTORS:
        if g.shape != w.shape or not np.isfinite(g).all() or not np.isfinite(w).all():
            return None
        fires = _holds(hint, g) and not _holds(hint, w)
        return math.nan if fires else None
    if g.shape != w.shape or g.size == 0 or not np.isfinite(g).all() or not np.isfinite(w).all():
        return None
    if hint.when == "sign_flipped":
        scale = max(float(np.abs(w).max()), 1e-12)
        flipped = np.allclose(g, -w, rtol=hint.tolerance, atol=hint.tolerance * scale)
        return math.nan if flipped and float(np.abs(w).max()) > 0 else None
    if hint.when == "ratio_near":
        keep = np.abs(w) > 1e-9 * float(np.abs(w).max()) if np.abs(w).max() > 0 else None
        if keep is None or not keep.any():
            return None
        ratios = g[keep] / w[keep]
        constant = float(np.median(ratios))
        identity = 1.0
    else:  # offset_near
        ratios = g - w
        constant = float(np.median(ratios))
        identity = 0.0
    spread = hint.tolerance * max(abs(constant), 1.0 if hint.when == "offset_near" else 0.0)
    if float(np.abs(ratios - constant).max()) > spread:
        return None  # not one constant
    if hint.value:
        n = count_of(hint.count, args)
        try:
            target = evaluate(hint.value, n if n is not None else math.nan)
        except (ValueError, ZeroDivisionError, OverflowError):
            return None
        if not math.isfinite(target):
            return None
        near = abs(constant - target) <= hint.tolerance * max(abs(target), 1e-12)
        return constant if near else None
    return constant if abs(constant - identity) > hint.tolerance * max(1.0, abs(identity)) else None


def _holds(hint: Hint, values: np.ndarray) -> bool:
    """Whether the axis detector's property holds for ``values`` over ``hint.axes``."""
    if values.ndim == 0 or any(not -values.ndim <= a < values.ndim for a in hint.axes):
        return False
    axes = tuple(a % values.ndim for a in hint.axes)
    if all(values.shape[a] == 1 for a in axes):
        return False  # a reduction over single elements says nothing
    if hint.when == "sums_to_one_along":
        return bool(np.allclose(values.sum(axis=axes), 1.0, rtol=0, atol=hint.tolerance))
    scale = max(float(np.abs(values).max()), 1e-12)
    return bool(np.allclose(values.mean(axis=axes), 0.0, rtol=0, atol=hint.tolerance * scale))


def _transposed(g: np.ndarray, w: np.ndarray, tolerance: float) -> bool:
    if w.ndim < 2 or g.ndim != w.ndim or w.shape[-1] == w.shape[-2] == 1:
        return False
    swapped = np.swapaxes(w, -1, -2)
    if g.shape != swapped.shape or not np.isfinite(g).all() or not np.isfinite(w).all():
        return False
    scale = max(float(np.abs(w).max()), 1e-12)
    same = g.shape == w.shape and np.allclose(g, w, rtol=tolerance, atol=tolerance * scale)
    return not same and bool(np.allclose(g, swapped, rtol=tolerance, atol=tolerance * scale))


def hints_for(
    hints: Sequence[Hint],
    index: int,
    got: np.ndarray,
    want: np.ndarray,
    args: Sequence[np.ndarray],
) -> list[str]:
    """The sentences of the hints of a check that fire on its output ``index``: the first that
    fires of each detector, in the bundle's order (a valued hint before its general form)."""
    said: list[str] = []
    fired: set[str] = set()
    for hint in hints:
        if hint.when in fired or (hint.output is not None and hint.output != index):
            continue
        sentence = applies(hint, got, want, args)
        if sentence:
            fired.add(hint.when)
            if sentence not in said:
                said.append(sentence)
    return said


__all__ = [
    "AXIS_DETECTORS",
    "COUNTS",
    "DETECTORS",
    "Hint",
    "HintError",
    "applies",
    "hints_for",
    "read_hints",
]
