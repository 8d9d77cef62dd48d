"""Parameter and MACs counts of a ``model`` part, made on the trusted side (threat 41).

The harness's own answers are only claims: code in its process can change them. A strict
part's model is exactly its safetensors weights file (the harness loads it with
``strict=True``), so the file's header, parsed here without loading any tensor, gives the
parameters: the floating-point tensors that are not batch-norm running statistics. Their
multiply-accumulates are known only for a model of matrices (each 2-d weight ``[out, in]``
is one ``out x in`` product per example); for convolutions the spatial sizes are unknown
here, so no number is reported rather than the sandbox's. A ``.pt`` file or a partial
(``weights_strict = false``) upload has no header to trust: no counts either.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

MAX_HEADER_BYTES = 100 << 20  # safetensors' own limit
MAX_VALUES = 1 << 40  # far above any model; an overflowing header is no count at all
STATISTICS = ("running_mean", "running_var", "num_batches_tracked")
FLOAT_DTYPES = ("F64", "F32", "F16", "BF16", "F8_E4M3", "F8_E5M2")


def weights_shapes(path: Path) -> dict[str, tuple[str, tuple[int, ...]]] | None:
    """``{name: (dtype, shape)}`` of a safetensors file's header; None if it is not one."""
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
            if len(head) != 8:
                return None
            (size,) = struct.unpack("<Q", head)
            if size > MAX_HEADER_BYTES:
                return None
            header = json.loads(handle.read(size))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(header, dict):
        return None
    shapes = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        shape = entry.get("shape") if isinstance(entry, dict) else None
        if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
            return None
        shapes[name] = (str(entry.get("dtype")), tuple(shape))
    return shapes


def model_counts(upload: Path, weights: str, strict: bool) -> dict[str, int]:
    """``params`` (and ``macs`` for a model of matrices) from the upload's weights file."""
    if not strict or not weights.endswith(".safetensors"):
        return {}
    shapes = weights_shapes(upload / weights)
    if shapes is None:
        return {}
    learned = [
        shape
        for name, (dtype, shape) in shapes.items()
        if dtype in FLOAT_DTYPES and not name.endswith(STATISTICS)
    ]
    params = sum(math.prod(shape) for shape in learned)
    if params > MAX_VALUES:
        return {}
    counts = {"params": params}
    weights_2d = [shape for shape in learned if len(shape) >= 2]
    if weights_2d and all(len(shape) == 2 for shape in weights_2d):
        counts["macs"] = sum(math.prod(shape) for shape in weights_2d)
    return counts
