"""Hidden data of week 4 (trusted, mentor-written).

- ``imagenet`` and ``small``: a few inputs for the equivalence checks (few on purpose: VGG-16
  at 224x224 costs 15 GMACs an image on a CPU worker). ImageNet-size inputs are normalised
  noise, which drives every unit of every layer; small inputs are real Fashion-MNIST items.
- ``train_<family>``: 2,000 Fashion-MNIST training images (the training split, which the
  trusted side hands out batch by batch), 10 public test images and 500 hidden ones, 50 per
  class, from the test split. Every family gets the same files, so the comparison is fair.
  500 rather than 100 hidden images: an accuracy's standard error is about 0.02 there instead
  of 0.045, so the thresholds can sit between "learned" and "chance" with a margin.

Fashion-MNIST is public and the bundle's seed is too, so the 500 hidden items could be named
and their labels looked up by the model's own forward (a table of their pixels' hashes fits the
upload many times over). Each is therefore shown transformed through the deployment secret
(``arena_datasets.secret``: the mild transform, so the comparison's accuracies barely
move) and the memorisation audit (``grader.memorisation``) also asks about 400 untransformed
originals: a lookup of the originals shows as a gap, a lookup robust to the transform as an
accuracy above what the budget's training reaches.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from arena_datasets import real
from arena_datasets.public_derived import DerivedSet, save_originals
from arena_datasets.secret import secret_rng
from arena_datasets.secret_transforms import MILD_SPEC, secret_transform

FAMILIES = ("alexnet", "vgg16", "resnet18", "googlenet")
IMAGENET_INPUTS = 2
SMALL_INPUTS = 4
TRAIN_IMAGES = 2000
PUBLIC_PER_CLASS = 1
HIDDEN_PER_CLASS = 50
# The mild transform. The four families trained as the grader trains them (the platform loop,
# and torchvision's initialisation but for VGG-16, seeds 0 and 1) score -0.018..+0.016 on the
# transformed images against their originals (mean 0.000 over 14 trainings;
# bench/week4_recipe_spread.py, bench/results/week4_secret_transform.json).
SECRET_SPEC = MILD_SPEC
# The audit's band. An honest model's accuracy on the originals and on their secret versions
# differ by the rows its predictions flip either way (400 rows: a standard error near 0.015);
# an exact lookup of the originals shows a gap near its accuracy. The ceiling: the best the
# budgets reach honestly is 0.66 on a CPU worker (ResNet-18) and about 0.77 on a GPU worker;
# a lookup robust to the transform answers near 1.0.
MEMORISATION_MAX_GAP = 0.06
MEMORISATION_MAX_ACCURACY = 0.92


def _as_input(images: np.ndarray) -> np.ndarray:
    return (images.astype(np.float32) / 255.0)[:, None]


def _balanced(labels: np.ndarray, per_class: int, rng: np.random.Generator,
              exclude: np.ndarray | None = None) -> np.ndarray:
    pool = np.ones(len(labels), bool)
    if exclude is not None:
        pool[exclude] = False
    picks = [rng.choice(np.flatnonzero(pool & (labels == c)), per_class, replace=False)
             for c in range(10)]
    return rng.permutation(np.concatenate(picks))


def build_equivalence_inputs(out: Path, rng: np.random.Generator) -> None:
    (out / "imagenet").mkdir(parents=True, exist_ok=True)
    noise = rng.standard_normal((IMAGENET_INPUTS, 3, 224, 224)).astype(np.float32)
    np.savez_compressed(out / "imagenet" / "inputs.npz", images=noise)
    test_images, _ = real.fashion_mnist("test")
    (out / "small").mkdir(parents=True, exist_ok=True)
    chosen = rng.choice(len(test_images), SMALL_INPUTS, replace=False)
    np.savez_compressed(out / "small" / "inputs.npz", images=_as_input(test_images[chosen]))


def build_comparison(out: Path, rng: np.random.Generator) -> None:
    train_images, train_labels = real.fashion_mnist("train")
    test_images, test_labels = real.fashion_mnist("test")
    train = rng.choice(len(train_labels), TRAIN_IMAGES, replace=False)
    public = _balanced(test_labels, PUBLIC_PER_CLASS, rng)
    hidden = _balanced(test_labels, HIDDEN_PER_CLASS, rng, exclude=public)
    originals = _as_input(test_images[hidden])
    shown = secret_transform(originals, secret_rng("week4-architectures/comparison", "transform"),
                             SECRET_SPEC, (0.0, 1.0))
    derived = DerivedSet(shown, test_labels[hidden], originals, hidden.astype(np.int64))
    for family in FAMILIES:
        folder = out / f"train_{family}"
        folder.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(folder / "train.npz", images=_as_input(train_images[train]),
                            labels=train_labels[train])
        np.savez_compressed(folder / "public.npz", images=_as_input(test_images[public]))
        np.savez_compressed(folder / "public_labels.npz", labels=test_labels[public])
        np.savez_compressed(folder / "inputs.npz", images=derived.images)
        np.savez_compressed(folder / "labels.npz", labels=derived.labels)
        save_originals(folder, derived, np.arange(len(hidden)), MEMORISATION_MAX_GAP,
                       MEMORISATION_MAX_ACCURACY)


def build(out: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    build_equivalence_inputs(out, rng)
    build_comparison(out, rng)
