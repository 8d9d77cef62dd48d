"""Helpers for bundle recipes: writing the hidden-data files of ``docs/internals.md``.

A functions part keys its cases ``"{check}/{i}/args/{k}"`` (``/s`` appended for Python scalars)
and ``"{check}/{i}/kwargs/{name}"`` in ``inputs.npz``; expected outputs go to ``labels.npz`` as
``"{check}/{i}/out/{j}"``. A model part writes ``images`` to ``inputs.npz`` and ``labels`` to
``labels.npz`` (same order), the public/private indices to ``split.npz``, and a few sanity
examples to ``public.npz`` / ``public_labels.npz``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

Scalar = int | float | bool


def _as_array(value: Any) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch tensor from a reference implementation
        value = value.detach().cpu().numpy()
    array = np.asarray(value)
    if array.dtype == object:
        raise TypeError(f"cannot store {type(value).__name__} in a hidden-data file")
    return array


class FunctionCases:
    """Collects the cases of a functions part and writes its ``inputs.npz`` and ``labels.npz``."""

    def __init__(self) -> None:
        self.inputs: dict[str, np.ndarray] = {}
        self.labels: dict[str, np.ndarray] = {}
        self.counts: dict[str, int] = {}

    def add(
        self, check: str, args: Sequence[Any], outputs: Any, kwargs: dict[str, Any] | None = None
    ) -> None:
        """One case: positional ``args`` (scalars stay scalars), ``outputs`` (one or a tuple)."""
        index = self.counts.get(check, 0)
        self.counts[check] = index + 1
        prefix = f"{check}/{index}"
        for k, arg in enumerate(args):
            if isinstance(arg, Scalar):
                self.inputs[f"{prefix}/args/{k}/s"] = np.asarray(arg)
            else:
                self.inputs[f"{prefix}/args/{k}"] = _as_array(arg)
        for name, value in (kwargs or {}).items():
            self.inputs[f"{prefix}/kwargs/{name}"] = _as_array(value)
        results = outputs if isinstance(outputs, tuple) else (outputs,)
        for j, result in enumerate(results):
            self.labels[f"{prefix}/out/{j}"] = _as_array(result)

    def save(self, folder: Path, public: FunctionCases | None = None) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        np.savez(folder / "inputs.npz", **self.inputs)
        np.savez(folder / "labels.npz", **self.labels)
        if public is not None:
            np.savez(folder / "public.npz", **public.inputs)
            np.savez(folder / "public_labels.npz", **public.labels)


def save_model_part(
    folder: Path,
    images: np.ndarray,
    labels: np.ndarray,
    split: tuple[np.ndarray, np.ndarray],
    public_examples: int = 16,
) -> None:
    """Write a model part: hidden ``images``/``labels``, the public/private ``split`` (indices into
    them) and the first ``public_examples`` of the public split as visible sanity examples."""
    public, private = split
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(folder / "inputs.npz", images=images)
    np.savez(folder / "labels.npz", labels=labels)
    np.savez(folder / "split.npz", public=public, private=private)
    shown = public[:public_examples]
    np.savez(folder / "public.npz", images=images[shown])
    np.savez(folder / "public_labels.npz", labels=labels[shown])
