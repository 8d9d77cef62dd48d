"""Localization canvases built from real pixels, with boxes known exactly.

No real box data set can be had offline, so each example is composed: a real object (a
Fashion-MNIST item, an MNIST digit, an LFW face) is scaled and pasted at a random position onto
a crop of a real texture or photo, next to distractors (texture blobs, non-face crops) that are
not the object. The box is the support of the pasted object's alpha mask, so every pixel the
object changed lies inside it. Everything is drawn from one seeded generator: the same
``(sources, seed, GENERATOR_VERSION)`` always gives the same canvases, byte for byte.

Boxes are ``x0, y0, x1, y1`` in canvas pixels with ``x1, y1`` exclusive (pixel ``i`` covers
``[i, i + 1)``), the convention the grader scores with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

__all__ = [
    "FACES_SPEC",
    "FACE_BACKGROUNDS",
    "FASHION_BACKGROUNDS",
    "FASHION_SPEC",
    "GENERATOR_VERSION",
    "LocalizationSet",
    "Placement",
    "Scene",
    "SceneSpec",
    "box_iou",
    "draw_scene",
    "face_canvases",
    "fashion_canvases",
    "generate",
    "loc_accuracy",
    "render",
]

# Bump when anything below changes what a seed produces; recipes put it into their hash.
GENERATOR_VERSION = 1

# Alpha below this is treated as "not touched" so the box is the exact support of the paste.
_ALPHA_EPSILON = 1.0 / 255.0


@dataclass(frozen=True)
class Placement:
    """One pasted patch: its pixels and alpha (both ``[h, w]`` in 0..1) and its top-left corner."""

    pixels: np.ndarray
    alpha: np.ndarray
    left: int
    top: int

    @property
    def box(self) -> tuple[int, int, int, int]:
        """The tight box of the nonzero alpha, in canvas pixels (end exclusive)."""
        rows = np.flatnonzero(self.alpha.any(axis=1))
        cols = np.flatnonzero(self.alpha.any(axis=0))
        return (
            self.left + int(cols[0]),
            self.top + int(rows[0]),
            self.left + int(cols[-1]) + 1,
            self.top + int(rows[-1]) + 1,
        )


@dataclass(frozen=True)
class Scene:
    """A background, the target object (``None`` for an empty canvas) and its distractors."""

    background: np.ndarray
    target: Placement | None
    label: int
    distractors: tuple[Placement, ...]


@dataclass(frozen=True)
class SceneSpec:
    """How canvases are drawn. Sizes are in canvas pixels (the longer side of the object)."""

    canvas_size: int = 64
    object_size: tuple[int, int] = (20, 44)
    distractor_size: tuple[int, int] = (8, 18)
    distractors: tuple[int, int] = (0, 3)
    empty_fraction: float = 0.0
    object_alpha_full: float = 0.25
    """Object intensity at which the object is fully opaque (Fashion-MNIST/MNIST: dark = empty)."""
    opaque_objects: bool = False
    """True for square crops (LFW faces): the whole crop is pasted, not just its bright part."""


@dataclass(frozen=True)
class LocalizationSet:
    """``images`` uint8 ``[N, H, W]``; ``labels`` int64 ``[N]`` (-1: no object); ``boxes``
    float32 ``[N, 4]`` (zeros when there is no object)."""

    images: np.ndarray
    labels: np.ndarray
    boxes: np.ndarray

    def __len__(self) -> int:
        return int(self.labels.shape[0])


def _resize(image: np.ndarray, height: int, width: int) -> np.ndarray:
    tensor = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32))[None, None]
    # Antialiasing keeps thin strokes of shrunk digits instead of dropping pixels.
    resized = F.interpolate(tensor, size=(height, width), mode="bilinear", antialias=True,
                            align_corners=False)
    return resized[0, 0].clamp_(0.0, 1.0).numpy()


def _scaled_size(shape: tuple[int, int], longer_side: int) -> tuple[int, int]:
    height, width = shape
    factor = longer_side / max(height, width)
    return max(1, round(height * factor)), max(1, round(width * factor))


def _crop_to_support(pixels: np.ndarray, alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    alpha = np.where(alpha >= _ALPHA_EPSILON, alpha, 0.0).astype(np.float32)
    rows = np.flatnonzero(alpha.any(axis=1))
    cols = np.flatnonzero(alpha.any(axis=0))
    if rows.size == 0:
        raise ValueError("the object has no visible pixel")
    window = np.s_[rows[0]: rows[-1] + 1, cols[0]: cols[-1] + 1]
    return pixels[window].astype(np.float32), alpha[window]


def _object_patch(obj: np.ndarray, longer_side: int, spec: SceneSpec,
                  rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    source = obj.astype(np.float32) / 255.0
    if not spec.opaque_objects:
        # Scale the object itself, not its frame: a digit's 4-pixel black border is not the digit.
        source, _ = _crop_to_support(source, source)
    pixels = _resize(source, *_scaled_size(source.shape, longer_side))
    if spec.opaque_objects:
        alpha = np.ones_like(pixels)
    else:
        alpha = np.clip(pixels / spec.object_alpha_full, 0.0, 1.0)
        # Dark-on-dark would be invisible: lift the object's brightness into a random band.
        low = rng.uniform(0.35, 0.6)
        pixels = low + (1.0 - low) * pixels
    return _crop_to_support(pixels, alpha)


def _texture_crop(texture: np.ndarray, height: int, width: int,
                  rng: np.random.Generator) -> np.ndarray:
    """A random crop of a texture at a random zoom, with random contrast, in 0..1."""
    zoom = rng.uniform(1.0, 3.0)
    crop_h = min(texture.shape[0], max(height, round(height * zoom)))
    crop_w = min(texture.shape[1], max(width, round(width * zoom)))
    top = int(rng.integers(0, texture.shape[0] - crop_h + 1))
    left = int(rng.integers(0, texture.shape[1] - crop_w + 1))
    crop = _resize(texture[top: top + crop_h, left: left + crop_w] / 255.0, height, width)
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    contrast = rng.uniform(0.4, 0.9)
    return np.clip(0.5 + (crop - crop.mean()) * contrast + rng.uniform(-0.15, 0.05), 0.0, 1.0)


def _blob_patch(texture: np.ndarray, size: int,
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A distractor: a soft ellipse cut out of a photo, object-sized but not an object."""
    height = size
    width = max(3, round(size * rng.uniform(0.5, 1.5)))
    pixels = _texture_crop(texture, height, width, rng)
    ys = (np.arange(height) + 0.5) / height * 2.0 - 1.0
    xs = (np.arange(width) + 0.5) / width * 2.0 - 1.0
    radius = np.sqrt(ys[:, None] ** 2 + xs[None, :] ** 2)
    alpha = np.clip((1.0 - radius) * 3.0, 0.0, 1.0) * rng.uniform(0.6, 1.0)
    return _crop_to_support(pixels, alpha)


def _overlaps(box: tuple[int, int, int, int], other: tuple[int, int, int, int]) -> bool:
    return box[0] < other[2] and other[0] < box[2] and box[1] < other[3] and other[1] < box[3]


def _place(pixels: np.ndarray, alpha: np.ndarray, canvas_size: int, rng: np.random.Generator,
           avoid: Sequence[tuple[int, int, int, int]] = (), tries: int = 20) -> Placement | None:
    height, width = alpha.shape
    for _ in range(tries):
        top = int(rng.integers(0, canvas_size - height + 1))
        left = int(rng.integers(0, canvas_size - width + 1))
        placement = Placement(pixels, alpha, left, top)
        if not any(_overlaps(placement.box, box) for box in avoid):
            return placement
    return None


def draw_scene(objects: np.ndarray, labels: np.ndarray, backgrounds: Sequence[np.ndarray],
               distractor_sources: Sequence[np.ndarray], spec: SceneSpec,
               rng: np.random.Generator) -> Scene:
    """Draw one scene. ``distractor_sources`` are textures (blobs are cut out of them) unless
    ``spec.opaque_objects``, where they are whole crops pasted like the objects (non-faces)."""
    size = spec.canvas_size
    background = _texture_crop(backgrounds[int(rng.integers(len(backgrounds)))], size, size, rng)
    target: Placement | None = None
    label = -1
    if rng.random() >= spec.empty_fraction:
        index = int(rng.integers(len(objects)))
        longer = int(rng.integers(spec.object_size[0], spec.object_size[1] + 1))
        target = _place(*_object_patch(objects[index], longer, spec, rng), size, rng)
        label = int(labels[index])
    taken = [target.box] if target is not None else []
    distractors: list[Placement] = []
    for _ in range(int(rng.integers(spec.distractors[0], spec.distractors[1] + 1))):
        source = distractor_sources[int(rng.integers(len(distractor_sources)))]
        side = int(rng.integers(spec.distractor_size[0], spec.distractor_size[1] + 1))
        if spec.opaque_objects:
            patch = _object_patch(source, side, spec, rng)
        else:
            patch = _blob_patch(source, side, rng)
        placed = _place(*patch, size, rng, avoid=taken)
        if placed is not None:
            distractors.append(placed)
            taken.append(placed.box)
    return Scene(background, target, label, tuple(distractors))


def _paste(canvas: np.ndarray, placement: Placement) -> None:
    height, width = placement.alpha.shape
    window = canvas[placement.top: placement.top + height, placement.left: placement.left + width]
    window *= 1.0 - placement.alpha
    window += placement.alpha * placement.pixels


def render(scene: Scene, include_target: bool = True) -> np.ndarray:
    """The scene as a uint8 canvas. Distractors never overlap the target, so order is free."""
    canvas = scene.background.astype(np.float32).copy()
    for placement in scene.distractors:
        _paste(canvas, placement)
    if include_target and scene.target is not None:
        _paste(canvas, scene.target)
    return np.round(canvas * 255.0).astype(np.uint8)


def generate(objects: np.ndarray, labels: np.ndarray, backgrounds: Sequence[np.ndarray],
             count: int, seed: int, spec: SceneSpec = SceneSpec(),
             distractor_sources: Sequence[np.ndarray] | None = None) -> LocalizationSet:
    """``count`` canvases drawn from uint8 ``objects [M, h, w]`` with class ``labels [M]``."""
    if len(objects) != len(labels):
        raise ValueError("objects and labels differ in length")
    rng = np.random.default_rng([seed, GENERATOR_VERSION])
    sources = list(backgrounds) if distractor_sources is None else list(distractor_sources)
    images = np.empty((count, spec.canvas_size, spec.canvas_size), np.uint8)
    out_labels = np.full(count, -1, np.int64)
    boxes = np.zeros((count, 4), np.float32)
    for i in range(count):
        scene = draw_scene(objects, labels, backgrounds, sources, spec, rng)
        images[i] = render(scene)
        if scene.target is not None:
            out_labels[i] = scene.label
            boxes[i] = scene.target.box
    return LocalizationSet(images, out_labels, boxes)


def box_iou(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """Row-wise IoU of two ``[N, 4]`` arrays of ``x0, y0, x1, y1`` boxes; degenerate boxes
    (or NaN) give 0."""
    a = np.asarray(boxes_a, np.float64).reshape(-1, 4)
    b = np.asarray(boxes_b, np.float64).reshape(-1, 4)
    width = np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0])
    height = np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1])
    inter = np.clip(width, 0.0, None) * np.clip(height, 0.0, None)

    def area(box: np.ndarray) -> np.ndarray:
        return np.clip(box[:, 2] - box[:, 0], 0.0, None) * np.clip(box[:, 3] - box[:, 1], 0.0, None)

    union = area(a) + area(b) - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = np.where(union > 0, inter / union, 0.0)
    return np.nan_to_num(iou, nan=0.0)


def loc_accuracy(pred_labels: np.ndarray, pred_boxes: np.ndarray, labels: np.ndarray,
                 boxes: np.ndarray, threshold: float = 0.5, empty_label: int | None = None) -> float:
    """ILSVRC localization accuracy: the class is right and the box IoU is at least
    ``threshold``. Examples whose label is ``empty_label`` (no object) only need the class."""
    labels = np.asarray(labels)
    right_class = np.asarray(pred_labels) == labels
    good_box = box_iou(pred_boxes, boxes) >= threshold
    if empty_label is not None:
        good_box |= labels == empty_label
    return float(np.mean(right_class & good_box))


# The course's two presets. Changing either changes every hidden set built from it: bump
# GENERATOR_VERSION (or the bundle's data version) with it.
FASHION_SPEC = SceneSpec(canvas_size=64, object_size=(20, 44), distractor_size=(8, 18),
                         distractors=(0, 3))
FACES_SPEC = SceneSpec(canvas_size=64, object_size=(18, 36), distractor_size=(18, 36),
                       distractors=(1, 3), empty_fraction=0.5, opaque_objects=True)
# Named, in a fixed order, so a new texture in arena_datasets.real cannot change hidden sets.
FASHION_BACKGROUNDS = ("brick", "grass", "gravel", "astronaut", "coffee", "chelsea", "china",
                       "flower")
# Photos with faces in them (astronaut; chelsea the cat) would be unlabelled faces.
FACE_BACKGROUNDS = ("brick", "grass", "gravel", "coffee", "china", "flower")


def fashion_canvases(split: str, count: int, seed: int,
                     spec: SceneSpec = FASHION_SPEC) -> LocalizationSet:
    """Fashion-MNIST items of ``split`` ("train" or "test") on textures and photos."""
    from arena_datasets import real

    images, labels = real.fashion_mnist(split)  # type: ignore[arg-type]
    textures = real.textures()
    return generate(images, labels, [textures[name] for name in FASHION_BACKGROUNDS], count,
                    seed, spec)


def face_canvases(count: int, seed: int, spec: SceneSpec = FACES_SPEC,
                  crops: slice = slice(None)) -> LocalizationSet:
    """skimage's LFW faces (label 1) or none (label -1) among its non-face crops.

    ``crops`` picks which of the 100 faces and of the 100 non-faces may appear, so a hidden
    set can use crops that training never saw.
    """
    from arena_datasets import real

    faces, nonfaces = real.lfw_faces()
    textures = real.textures()

    def as_uint8(images: np.ndarray) -> np.ndarray:
        return np.round(images[crops] * 255.0).astype(np.uint8)

    chosen = as_uint8(faces)
    return generate(chosen, np.ones(len(chosen), np.int64),
                    [textures[name] for name in FACE_BACKGROUNDS], count, seed, spec,
                    distractor_sources=list(as_uint8(nonfaces)))
