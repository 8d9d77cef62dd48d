"""What a failed **public** case shows the mentee, computed on the trusted side from the values.

Public cases are not secret: the mentee may read their inputs' shapes, the expected values and
their own. So a public case's detail names the input shapes and dtypes, and for the first
output that differs: expected against got (dtype and shape), the largest absolute and relative
error, the index of the worst element with both values there, a few values from the start, and
the bundle's hints whose detectors fire (``hints``). Hidden cases get none of this: only the
closed vocabulary (``grader.vocabulary``). The numbers become short strings here, so NaN and
infinity travel in JSON as the words ``nan`` and ``inf``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from grader.vocabulary import CASE_REASONS

SHOWN_VALUES = 6
MAX_INPUTS = 12
# The wording of a public case's verdict (the hidden one stays CASE_REASONS).
PUBLIC_REASONS = {
    "values": "the values differ from the expected ones",
    "dtype": "the dtype differs from the expected one",
    "shape": "the shape differs from the expected one",
    "count": "the function returned the wrong number of results",
    "nan_output": "the result holds NaN or infinity where every expected value is finite",
    "exception": "the function raised an exception",
    "interface": "the function is missing or is not a function",
    "output_limit": "the result is larger than the expected one allows",
}
assert set(PUBLIC_REASONS) == set(CASE_REASONS)


def number(value: float | bool) -> str:
    """A value in at most 7 significant digits; ``nan``/``inf`` in words."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    value = float(value)
    if np.isnan(value):
        return "nan"
    if np.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.7g}"


def describe(array: np.ndarray) -> str:
    """``float32 [8, 3, 16, 16]``; a 0-d array: ``float32 scalar``."""
    shape = f"[{', '.join(str(s) for s in array.shape)}]" if array.ndim else "scalar"
    return f"{array.dtype.name} {shape}"


def describe_inputs(
    args: Sequence[tuple[str, np.ndarray, bool]],
) -> list[str]:
    """One line per argument: ``x: float32 [4, 10]``; a Python scalar shows its value."""
    lines = []
    for name, array, scalar in list(args)[:MAX_INPUTS]:
        lines.append(f"{name} = {number(array.item())}" if scalar else f"{name}: {describe(array)}")
    return lines


def output_detail(
    index: int, got: np.ndarray | None, want: np.ndarray, rtol: float, atol: float
) -> dict[str, Any]:
    """Expected against got for one output; errors only where the shapes agree."""
    detail: dict[str, Any] = {
        "index": index,
        "expected": describe(want),
        "got": describe(got) if got is not None else "nothing",
        "max_abs_error": None,
        "max_rel_error": None,
        "worst_index": None,
        "expected_at_worst": "",
        "got_at_worst": "",
        "expected_values": [number(v) for v in want.reshape(-1)[:SHOWN_VALUES]],
        "got_values": [number(v) for v in got.reshape(-1)[:SHOWN_VALUES]]
        if got is not None
        else [],
        "tolerance": f"rtol {rtol:g}, atol {atol:g}",
    }
    if got is None or got.shape != want.shape or want.size == 0:
        return detail
    if got.dtype.kind not in "biuf" or want.dtype.kind not in "biuf":
        return detail
    g, w = got.astype(np.float64), want.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        error = np.abs(g - w)
        error = np.where(np.isnan(g) != np.isnan(w), np.inf, np.nan_to_num(error, nan=0.0))
        relative = error / np.maximum(np.abs(w), np.finfo(np.float64).tiny)
        # The worst element is the one furthest outside the tolerance, not merely the largest.
        excess = error - (atol + rtol * np.abs(w))
    worst = np.unravel_index(int(np.argmax(excess)), want.shape)
    detail.update(
        max_abs_error=_finite_or_none(float(error.max())),
        max_rel_error=_finite_or_none(float(relative.max())),
        worst_index=[int(i) for i in worst],
        expected_at_worst=number(want[worst]),
        got_at_worst=number(got[worst]),
    )
    return detail


def _finite_or_none(value: float) -> float | None:
    return value if np.isfinite(value) else None


def case_detail(
    *,
    check: str,
    case: int,
    verdict: str,
    inputs: list[str],
    outputs: list[dict[str, Any]],
    hints: list[str],
    note: str = "",
) -> dict[str, Any]:
    """One public case as the report carries it (contracts.md: ``public_cases``)."""
    summary = "matches" if not verdict else PUBLIC_REASONS[verdict]
    if note:
        summary += f" ({note})"
    return {
        "check": check,
        "case": case,
        "passed": not verdict,
        "reason": verdict,
        "summary": summary,
        "inputs": inputs,
        "outputs": outputs,
        "hints": hints,
    }


__all__ = ["PUBLIC_REASONS", "case_detail", "describe", "describe_inputs", "output_detail"]
