"""Cases of the functions fixture: ``add(a, b)``, ``scale(x, factor)``, ``row_sums(m)``."""

from pathlib import Path

import numpy as np

from arena_datasets.recipe_tools import FunctionCases


def cases(rng: np.random.Generator, count: int) -> FunctionCases:
    found = FunctionCases()
    for _ in range(count):
        a, b = rng.standard_normal((2, 3, 4)).astype(np.float32)
        found.add("add", [a, b], a + b)
        x, factor = rng.standard_normal(5).astype(np.float64), float(rng.uniform(1, 3))
        found.add("scale", [x, factor], x * factor)
        m = rng.standard_normal((4, 6))
        found.add("row_sums", [m], m.sum(axis=1))
    return found


def build(out: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    cases(rng, 4).save(out / "functions", public=cases(rng, 1))
