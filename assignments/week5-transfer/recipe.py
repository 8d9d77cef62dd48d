"""Hidden data of week 5 (trusted, mentor-written).

- ``digits``: 10 labelled MNIST digits per class are the whole training set (published in the
  starter as ``train_digits.npz``); the hidden test is 1,000 other digits of the same source.
- ``localize`` and ``boxes``: Fashion-MNIST *test* items on 64x64 canvases
  (``arena_datasets.localization.FASHION_SPEC``); mentees train on *train* items with any seed,
  so neither the objects nor the canvases of the hidden set are ever seen in training.

MNIST and Fashion-MNIST are public, so everything hidden is drawn through the deployment secret
(``arena_datasets.secret``): which digits, their order and a small transform of each (the
untransformed ones go to ``digits/originals.npz`` for the memorisation audit), and the canvases'
generator seed (which objects, backgrounds, places and sizes: a canvas has no public original).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from arena_datasets import real
from arena_datasets.localization import LocalizationSet, fashion_canvases
from arena_datasets.public_derived import derive, save_originals
from arena_datasets.secret import derived_seed
from arena_datasets.secret_transforms import MILD_SPEC

SHOTS_PER_CLASS = 10
TRAIN_SEED = 20261201          # fixed forever: the starter's train_digits.npz is drawn with it
DIGITS_TEST = 1000
LOCALIZE_TEST = 1000
BOXES_TEST = 300
PUBLIC = 16
# The mild transform. Measured by bench/hidden_secret_fidelity.py over fresh secrets: the
# reference's accuracy moves -0.008..+0.006 from the originals (15 secrets); at the old strength
# (rotation 3 deg, scale 0.02, shift 0.3 px, elastic 0.15 px) -0.017..+0.002 over 30 and -0.024 on
# one CI machine, over the 2-point rule. The pixel noise alone defeats an exact lookup; a
# nearest-neighbour lookup is what the memorisation audit's ceiling catches, at any strength.
DIGITS_SPEC = MILD_SPEC
# The memorisation audit's band (grader/memorisation.py). The reference's gap between the
# public originals and their secret versions is under 0.02 (bench/results/
# hidden_secret_fidelity.json; the audit's 400 rows add about 0.01 of noise); an exact lookup
# of the public split shows a gap near 0.9. The ceiling catches a nearest-neighbour lookup,
# which answers both kinds near 1.0: 10 shots per class: the reference reaches 0.93.
MEMORISATION_MAX_GAP = 0.06
MEMORISATION_MAX_ACCURACY = 0.98


def training_digits() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The published training set: ``(images uint8 [100,28,28], labels, source indices)``."""
    images, labels = real.mnist_digits()
    rng = np.random.default_rng(TRAIN_SEED)
    chosen = np.concatenate([rng.choice(np.flatnonzero(labels == c), SHOTS_PER_CLASS,
                                        replace=False) for c in range(10)])
    chosen = rng.permutation(chosen)   # shuffled: the file is not in class order
    return images[chosen], labels[chosen], chosen


def _as_input(images: np.ndarray) -> np.ndarray:
    return (images.astype(np.float32) / 255.0)[:, None]


def _write(folder: Path, images: np.ndarray, labels: np.ndarray, public: int,
           boxes: np.ndarray | None = None) -> None:
    """Public sanity examples first, then the hidden test (float32 in [0, 1]); boxes go with the
    labels."""
    folder.mkdir(parents=True, exist_ok=True)
    extra = {} if boxes is None else {"boxes": boxes[public:]}
    np.savez_compressed(folder / "public.npz", images=images[:public])
    np.savez_compressed(folder / "public_labels.npz", labels=labels[:public])
    np.savez_compressed(folder / "inputs.npz", images=images[public:])
    np.savez_compressed(folder / "labels.npz", labels=labels[public:], **extra)


def build_digits(out: Path) -> None:
    images, labels = real.mnist_digits()
    _, _, taken = training_digits()
    pool = np.setdiff1d(np.arange(len(labels)), taken)
    derived = derive(_as_input(images[pool]), labels[pool], "week5-transfer/digits", DIGITS_SPEC,
                     (0.0, 1.0), count=PUBLIC + DIGITS_TEST)
    _write(out / "digits", derived.images, derived.labels, PUBLIC)
    # Rows of inputs.npz start after the public examples.
    derived.originals, derived.source_index = (derived.originals[PUBLIC:],
                                               derived.source_index[PUBLIC:])
    save_originals(out / "digits", derived, np.arange(DIGITS_TEST),
                   MEMORISATION_MAX_GAP, MEMORISATION_MAX_ACCURACY)


def _canvases(out: Path, part: str, data: LocalizationSet) -> None:
    # No pixel noise on canvases: the localizer loses 2.4 points to noise of 0.5 % already, and
    # a canvas drawn from a secret seed has no public original to look up.
    _write(out / part, _as_input(data.images), data.labels, PUBLIC, boxes=data.boxes)


def build(out: Path, seed: int) -> None:
    build_digits(out)
    # The bundle's public seed no longer decides a hidden canvas: the secret does.
    del seed
    _canvases(out, "localize", fashion_canvases("test", PUBLIC + LOCALIZE_TEST,
                                                derived_seed("week5-transfer", "localize")))
    _canvases(out, "boxes", fashion_canvases("test", PUBLIC + BOXES_TEST,
                                             derived_seed("week5-transfer", "boxes")))
