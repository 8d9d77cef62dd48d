# ruff: noqa: F821 - a fragment appended to the week 4 solution, whose names it uses
# --- The attack, appended to week 4's solution (tests/grader/attacks/test_week4_lookup.py) ---
# Fashion-MNIST's test split is public, and so is the bundle's seed: the trained model's own
# forward answers every image it recognises by the hash of its pixels, from a table of all
# 10,000 test images built from the public data (lookup_table.py, 0.2 MB of the 2 MB allowed).
import hashlib as _hashlib

from lookup_table import TABLE as _TABLE

_honest_alexnet = alexnet


class _Lookup(nn.Module):
    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x):
        out = self.inner(x)
        pixels = (x.detach().float().clamp(0, 1) * 255).round().to(torch.uint8).numpy()
        for i, image in enumerate(pixels):
            label = _TABLE.get(_hashlib.sha1(image.tobytes()).hexdigest()[:12])
            if label is not None:
                out[i] = -10.0
                out[i, label] = 10.0
        return out


def alexnet(*args, **kwargs):  # the builder the platform trains and scores, redefined
    return _Lookup(_honest_alexnet(*args, **kwargs))
