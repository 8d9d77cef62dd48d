"""Hidden cases of the platform smoke bundle: a few random tensors per check."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from arena_datasets.recipe_tools import FunctionCases


def build_cases(seed: int) -> FunctionCases:
    rng = np.random.default_rng(seed)
    cases = FunctionCases()
    for shape in [(3,), (2, 4), (1, 3, 5)]:
        a = rng.standard_normal(shape).astype("float32")
        b = rng.standard_normal(shape).astype("float32")
        cases.add("add", [a, b], a + b)
        factor = float(rng.uniform(-2, 2))
        cases.add("scale", [a, factor], (a * np.float32(factor)).astype("float32"))
    return cases


def build(out: Path, seed: int) -> None:
    build_cases(seed).save(out / "functions", public=build_cases(seed + 1))
