"""Threat 42: tensor descriptors the trusted side must refuse (this file is a template).

The harness's frame encoder is wrapped so every reply tensor is described with FORGE:
a dtype code no wire dtype has (complex64, numpy's object), or an absurd shape.
"""

from arena_harness import wire

FORGE = "complex"
CODES = {"complex": 10, "object": 17}
_encode = wire.encode_frame


def _forged(msg_type, status, seq, message="", tensors=()):
    forged = []
    for code, shape, offset, nbytes in tensors:
        if FORGE in CODES:
            code = CODES[FORGE]
        else:  # 2**40 x 2**40 float32 values in the bytes of the real answer
            shape = (1 << 40, 1 << 40)
        forged.append((code, shape, offset, nbytes))
    return _encode(msg_type, status, seq, message, tuple(forged))


wire.encode_frame = _forged

from torch import nn


def build_model() -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 2))
