"""The memorisation audit (threat 36): a model graded on a hidden set drawn from public data
is also asked about the untransformed public originals of some of the same items.

A model that generalises is about as accurate on both (the transforms are label-preserving and
mild; the reference's gap is measured by ``bench/hidden_secret_fidelity.py``). A model that
carries the public split, or was trained on it, answers the originals far better than their
secret versions; one that recognises the originals to hide far worse. Either way the gap is out
of the bundle's band (``max_gap`` in the part's trusted ``originals.npz``, written by its
recipe). A nearest-neighbour lookup of the public split, robust to the mild transforms, answers
both well: it shows instead as an accuracy on the hidden set above what any model of the course
plausibly reaches (``max_accuracy``, the recipe's ceiling). Either way the report carries the
flag ``memorisation``: the platform holds the run's rank until a mentor clears it.

Originals and secret versions are sent mixed in shuffled, untimed batches after the timed run,
so the two kinds are answered in the same conditions and cannot be told apart by position.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from grader.stages.context import load_npz

AUDIT_ROWS = 400  # items audited per grading (each sent twice: original and secret version)
FLAG = "memorisation"


class Querier(Protocol):
    def query(self, batch: np.ndarray) -> tuple[int, list[np.ndarray]]: ...


@dataclass(frozen=True)
class AuditResult:
    accuracy_originals: float
    accuracy_secret: float
    max_gap: float
    rows: int
    max_accuracy: float = 1.0
    accuracy_hidden: float = 0.0  # the timed queries' accuracy (set by the model part)

    @property
    def gap(self) -> float:
        return self.accuracy_originals - self.accuracy_secret

    @property
    def implausible(self) -> bool:
        return self.accuracy_hidden > self.max_accuracy

    @property
    def flagged(self) -> bool:
        return abs(self.gap) > self.max_gap or self.implausible

    def log_line(self) -> str:
        """For mentors (hidden-stage logs): the figures behind the flag."""
        verdict = "FLAGGED for mentor review" if self.flagged else "within the band"
        return (
            f"[audit] memorisation: accuracy {self.accuracy_originals:.3f} on {self.rows} public "
            f"originals vs {self.accuracy_secret:.3f} on their secret versions; gap "
            f"{self.gap:+.3f}, allowed +-{self.max_gap:.3f}; hidden-set accuracy "
            f"{self.accuracy_hidden:.3f}, plausible up to {self.max_accuracy:.3f}: {verdict}"
        )


def audit_data(hidden_part: Path) -> dict[str, np.ndarray] | None:
    """The part's ``originals.npz`` (rows, images, max_gap, max_accuracy), or None."""
    path = hidden_part / "originals.npz"
    return load_npz(path) if path.is_file() else None


def run_audit(
    querier: Querier,
    secret_images: np.ndarray,
    labels: np.ndarray,
    originals: dict[str, np.ndarray],
    batch_size: int,
    rng: np.random.Generator | None = None,
) -> AuditResult:
    """Ask ``querier`` about originals and secret versions of up to ``AUDIT_ROWS`` items."""
    rng = rng or np.random.default_rng()
    kept = np.asarray(originals["rows"], dtype=np.int64)
    pick = rng.choice(len(kept), size=min(AUDIT_ROWS, len(kept)), replace=False)
    rows = kept[pick]
    images = np.concatenate(
        [np.asarray(originals["images"], np.float32)[pick], np.asarray(secret_images, np.float32)[rows]]
    )
    truth = np.concatenate([labels[rows], labels[rows]])
    is_original = np.arange(len(images)) < len(rows)
    order = rng.permutation(len(images))
    right = np.zeros(len(images), dtype=bool)
    for start in range(0, len(order), batch_size):
        chosen = order[start : start + batch_size]
        _, answers = querier.query(np.ascontiguousarray(images[chosen]))
        right[chosen] = np.argmax(answers[0], axis=1) == truth[chosen]
    return AuditResult(
        accuracy_originals=float(right[is_original].mean()),
        accuracy_secret=float(right[~is_original].mean()),
        max_gap=float(originals["max_gap"]),
        rows=len(rows),
        max_accuracy=float(originals["max_accuracy"]) if "max_accuracy" in originals else 1.0,
    )
