"""Hidden data of the bonus (trusted, mentor-written): find the face.

Canvases of 64x64 gray pixels from ``arena_datasets.localization.face_canvases``: a crop of a
real texture or photo (brick, grass, gravel, coffee, china, flower), one to three non-face
crops of skimage's LFW subset pasted on it and, on half of the canvases of ``detect`` and on
every canvas of ``localize``, one LFW face. Only faces and non-faces 70 to 99 appear here;
mentees train on crops 0 to 69.

Labels: 1 = a face, 0 = no face (the box of an empty canvas is all zeros and never scored).

LFW and the textures are public, so the canvases' generator seed comes from the deployment
secret (``arena_datasets.secret``), never the bundle's public seed: the hidden canvases cannot
be regenerated from the public code and data (no pixel noise: the boxes must stay exact and the
detector loses points to it).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from arena_datasets.localization import FACES_SPEC, LocalizationSet, face_canvases
from arena_datasets.secret import derived_seed

HIDDEN_CROPS = slice(70, 100)
DETECT_TEST = 800
LOCALIZE_TEST = 400
PUBLIC = 16


def _write(folder: Path, data: LocalizationSet) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    images = (data.images.astype(np.float32) / 255.0)[:, None]
    labels = (data.labels == 1).astype(np.int64)
    np.savez_compressed(folder / "public.npz", images=images[:PUBLIC])
    np.savez_compressed(folder / "public_labels.npz", labels=labels[:PUBLIC])
    np.savez_compressed(folder / "inputs.npz", images=images[PUBLIC:])
    np.savez_compressed(folder / "labels.npz", labels=labels[PUBLIC:], boxes=data.boxes[PUBLIC:])


def build(out: Path, seed: int) -> None:
    del seed  # the bundle's public seed decides nothing hidden: the secret does
    _write(out / "detect", face_canvases(PUBLIC + DETECT_TEST, derived_seed("bonus-faces", "detect"),
                                         crops=HIDDEN_CROPS))
    every_canvas_a_face = replace(FACES_SPEC, empty_fraction=0.0)
    _write(out / "localize", face_canvases(PUBLIC + LOCALIZE_TEST,
                                           derived_seed("bonus-faces", "localize"),
                                           spec=every_canvas_a_face, crops=HIDDEN_CROPS))
