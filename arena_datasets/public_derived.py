"""Hidden sets derived from public data through the deployment secret (threat 36).

``derive(images, labels, purpose, spec)`` takes a public source (a published test split, the
part of a data set mentees do not train on) and returns a hidden set nobody can rebuild without
the secret: the secret picks the items and their order, the public/private split, and a
label-preserving transform per item (``arena_datasets.secret_transforms``). Public seeds from the
bundle may fix only public examples (which the mentee sees anyway), never this.

``save_originals`` keeps, on the trusted side only, the untransformed public originals of some of
the same rows (``originals.npz``: never mounted in a sandbox) for the grader's memorisation audit:
a model far better on the originals than on their secret versions has memorised the public split.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from arena_datasets.secret import secret_rng
from arena_datasets.secret_transforms import TransformSpec, secret_transform

DERIVED_VERSION = 1
ORIGINALS_KEPT = 1000  # rows whose originals the audit may draw from


@dataclass
class DerivedSet:
    images: np.ndarray  # float32 [N, C, H, W], secret-transformed
    labels: np.ndarray
    originals: np.ndarray  # the same rows untransformed
    source_index: np.ndarray  # row -> item of the public source (trusted side only)

    def split(self, purpose: str, public_fraction: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
        """Secret public/private indices into the rows (sorted ``int64``)."""
        return secret_split(len(self.labels), purpose, public_fraction)


def secret_split(n: int, purpose: str, public_fraction: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    order = secret_rng(purpose, "split", n).permutation(n)
    cut = round(n * public_fraction)
    return np.sort(order[:cut]).astype(np.int64), np.sort(order[cut:]).astype(np.int64)


def derive(
    images: np.ndarray,
    labels: np.ndarray,
    purpose: str,
    spec: TransformSpec,
    value_range: tuple[float, float],
    count: int | None = None,
) -> DerivedSet:
    """``count`` items (default all) of ``images [M, C, H, W]`` picked, ordered and transformed
    by the secret; ``purpose`` (e.g. ``"week3-cnn/cnn"``) gives each hidden set its own draw."""
    chosen = secret_rng(purpose, "select").permutation(len(labels))[: count or len(labels)]
    originals = np.asarray(images, dtype=np.float32)[chosen]
    transformed = secret_transform(originals, secret_rng(purpose, "transform"), spec, value_range)
    return DerivedSet(transformed, np.asarray(labels)[chosen], originals, chosen.astype(np.int64))


def save_originals(folder: Path, derived: DerivedSet, rows: np.ndarray, max_gap: float,
                   max_accuracy: float) -> None:
    """``originals.npz``: ``rows`` (into ``inputs.npz``), their untransformed ``images``, the
    public source's item of each (``source_index``) and the audit's band: ``max_gap``, the
    largest accuracy gap (originals minus secret versions, either way) not flagged, and
    ``max_accuracy``, the highest hidden-set accuracy a model plausibly reaches (above it, a
    lookup of the public split is the likelier explanation)."""
    rows = np.asarray(rows, dtype=np.int64)[:ORIGINALS_KEPT]
    folder.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        folder / "originals.npz",
        rows=rows,
        images=derived.originals[rows],
        source_index=derived.source_index[rows],
        max_gap=np.float64(max_gap),
        max_accuracy=np.float64(max_accuracy),
    )
