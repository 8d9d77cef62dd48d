"""Bonus: find the face. Fill in ``build_model`` and ship ``face.safetensors``.

The grader calls ``build_model()``, loads ``face.safetensors`` into it (strict), calls
``model.eval()`` and feeds float32 canvases ``[N, 1, 64, 64]`` in [0, 1]. Return
``(logits [N, 2], boxes [N, 4])``: logits of "no face" (column 0) and "face" (column 1), and
the face's box ``x0, y0, x1, y1`` in canvas pixels (any box when there is no face).
Only ``torch`` is available in the sandbox.
"""

from __future__ import annotations

from torch import nn


def build_model() -> nn.Module:
    raise NotImplementedError("a detector: face or not, and where")
