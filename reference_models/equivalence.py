"""Functional equivalence of a mentee's model with the reference of the same architecture.

A mentee names modules as they like, so weights are matched by *position*: the i-th entry of the
reference state (parameters and persistent buffers, in module registration order) goes to the
i-th entry of the mentee's ``state_dict()``, and the shapes must agree one by one. If they do,
loading the reference weights into the mentee's model must reproduce the reference outputs.

The grader runs :func:`map_state_by_order` inside the sandbox on the mentee's model, with the
reference state read from a safetensors file written by :func:`save_reference_state`; the
reference outputs are computed on the trusted side. Keep this module to torch and safetensors.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

__all__ = [
    "EquivalenceError", "EquivalenceResult", "check_equivalence", "load_reference_state",
    "map_state_by_order", "ordered_state", "save_reference_state",
]

# safetensors stores tensors sorted by name, which loses module order (``features.10`` sorts
# before ``features.2``); a zero-padded position prefix keeps it in any reader.
_POSITION_WIDTH = 5


class EquivalenceError(ValueError):
    """The mentee's model cannot take the reference weights (count or shape mismatch)."""


@dataclass(frozen=True)
class EquivalenceResult:
    equivalent: bool
    max_abs_diff: float
    num_outputs: int
    message: str


def ordered_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """Parameters and persistent buffers of ``model`` in registration order (its state dict)."""
    return dict(model.state_dict())


def _describe(position: int, name: str, tensor: torch.Tensor) -> str:
    return f"#{position} {name!r} {tuple(tensor.shape)}"


def map_state_by_order(reference_state: Mapping[str, torch.Tensor], model: nn.Module) -> None:
    """Copy ``reference_state`` onto ``model`` position by position, checking every shape.

    ``reference_state`` must be in the reference model's registration order (as
    :func:`ordered_state` or :func:`load_reference_state` return it). Raises
    :class:`EquivalenceError` naming the first position whose shape differs, or the first
    entry one side has and the other lacks.
    """
    target = model.state_dict(keep_vars=True)
    ref_items = list(reference_state.items())
    own_items = list(target.items())
    for position, ((ref_name, ref), (own_name, own)) in enumerate(zip(ref_items, own_items)):
        if tuple(ref.shape) != tuple(own.shape):
            raise EquivalenceError(
                f"shape mismatch at position {position}: the reference has "
                f"{_describe(position, ref_name, ref)}, your model has "
                f"{_describe(position, own_name, own)}"
            )
    if len(ref_items) != len(own_items):
        position = min(len(ref_items), len(own_items))
        if len(own_items) > position:
            extra = _describe(position, own_items[position][0], own_items[position][1])
            side = f"your model has an extra entry {extra}"
        else:
            extra = _describe(position, ref_items[position][0], ref_items[position][1])
            side = f"your model lacks the reference's entry {extra}"
        raise EquivalenceError(
            f"the reference has {len(ref_items)} parameters and buffers, your model has "
            f"{len(own_items)}: {side}"
        )
    with torch.no_grad():
        for (_, ref), (_, own) in zip(ref_items, own_items):
            own.copy_(ref.to(dtype=own.dtype, device=own.device))


def save_reference_state(model: nn.Module, path: str | Path) -> Path:
    """Write ``model``'s state as safetensors with order-preserving, position-prefixed keys."""
    from safetensors.torch import save_file

    tensors = {
        f"{position:0{_POSITION_WIDTH}d}/{name}": t.detach().cpu().contiguous()
        for position, (name, t) in enumerate(ordered_state(model).items())
    }
    path = Path(path)
    save_file(tensors, str(path), metadata={"format": "arena-reference-state-v1"})
    return path


def load_reference_state(path: str | Path) -> dict[str, torch.Tensor]:
    """Read a file of :func:`save_reference_state` back into registration order."""
    from safetensors.torch import load_file

    raw = load_file(str(path))
    ordered = sorted(raw.items(), key=lambda item: int(item[0].split("/", 1)[0]))
    return {key.split("/", 1)[1]: tensor for key, tensor in ordered}


def _flatten_outputs(output: object) -> list[torch.Tensor]:
    if isinstance(output, torch.Tensor):
        return [output]
    if isinstance(output, (tuple, list)):
        return [t for item in output for t in _flatten_outputs(item)]
    if output is None:
        return []
    raise EquivalenceError(f"the model returned {type(output).__name__}, expected tensors")


def check_equivalence(
    model: nn.Module,
    reference: nn.Module,
    inputs: Iterable[torch.Tensor],
    rtol: float = 1e-4,
    atol: float = 1e-5,
) -> EquivalenceResult:
    """Load ``reference``'s weights into ``model`` by order, then compare their outputs.

    Both models are put in eval mode (dropout off, batch norm on running statistics). Raises
    :class:`EquivalenceError` when the weights cannot be mapped; returns a result otherwise.
    """
    map_state_by_order(ordered_state(reference), model)
    model.eval()
    reference.eval()
    worst = 0.0
    count = 0
    with torch.no_grad():
        for batch in inputs:
            got = _flatten_outputs(model(batch))
            want = _flatten_outputs(reference(batch))
            if len(got) != len(want):
                return EquivalenceResult(False, float("inf"), count,
                                         f"{len(got)} outputs, the reference gives {len(want)}")
            for g, w in zip(got, want):
                if g.shape != w.shape:
                    return EquivalenceResult(
                        False, float("inf"), count,
                        f"output shape {tuple(g.shape)}, the reference gives {tuple(w.shape)}")
                diff = (g.float() - w.float()).abs()
                worst = max(worst, float(diff.max()) if diff.numel() else 0.0)
                if not torch.allclose(g.float(), w.float(), rtol=rtol, atol=atol):
                    return EquivalenceResult(False, worst, count + 1,
                                             f"outputs differ by up to {worst:.3g}")
                count += 1
    return EquivalenceResult(True, worst, count, f"{count} outputs match (max diff {worst:.3g})")
