"""Draws ``canvases.png``, the example canvases of the statement (README.md).

Twelve canvases made the way the platform makes them (``arena_datasets.localization``), but
from the **training** crops only (faces 0 to 69, non-faces 100 to 169) and a public seed: the
figure shows nothing of the hidden set. A face's box is drawn in green; a canvas with no face
is marked "no face". Rerun after changing the generator:

    .venv/bin/python assignments/bonus-faces/figures/make_figures.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from arena_datasets.localization import face_canvases

OUT = Path(__file__).with_name("canvases.png")
TRAINING_CROPS = slice(0, 70)
FIGURE_SEED = 7            # any seed: only the crops decide what may be shown
COLUMNS, ROWS = 6, 2
SCALE = 3                  # 64-pixel canvases drawn at 192 pixels
PAD, CAPTION = 8, 16


def draw(out: Path = OUT) -> None:
    data = face_canvases(COLUMNS * ROWS, FIGURE_SEED, crops=TRAINING_CROPS)
    size = data.images.shape[1] * SCALE
    sheet = Image.new("RGB", (COLUMNS * (size + PAD) + PAD, ROWS * (size + PAD + CAPTION) + PAD),
                      "white")
    pen = ImageDraw.Draw(sheet)
    for i, (image, label, box) in enumerate(zip(data.images, data.labels, data.boxes,
                                                strict=True)):
        left = PAD + (i % COLUMNS) * (size + PAD)
        top = PAD + (i // COLUMNS) * (size + PAD + CAPTION)
        canvas = Image.fromarray(image).resize((size, size), Image.Resampling.NEAREST)
        sheet.paste(canvas.convert("RGB"), (left, top))
        if label == 1:
            x0, y0, x1, y1 = (np.asarray(box) * SCALE).tolist()
            # x1, y1 are exclusive: the last pixel inside the box is x1 - 1.
            pen.rectangle((left + x0, top + y0, left + x1 - 1, top + y1 - 1),
                          outline=(0, 200, 0), width=2)
            caption = f"face  {int(box[0])},{int(box[1])},{int(box[2])},{int(box[3])}"
        else:
            caption = "no face"
        pen.text((left, top + size + 2), caption, fill="black")
    sheet.save(out, optimize=True)


if __name__ == "__main__":
    draw()
    print(f"wrote {OUT}")
