"""Functional equivalence of a mentee's model with the reference of the same architecture.

A mentee names and orders modules as they like, so weights are matched by their *role in the
computation* (``grader/harness/arena_harness/param_mapping.py``: registration order and forward
order first, then a dataflow pairing of both models' traced graphs). If a mapping fits, loading
the reference weights into the mentee's model must reproduce the reference outputs.

The grader maps inside the sandbox on the mentee's model, with the reference state, the
reference's traced graph and a probe (an input and the reference's output on it) read from a
safetensors file written by :func:`save_reference_state`; the outputs on hidden inputs are
compared on the trusted side. Keep this module to torch and safetensors.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from grader.harness.arena_harness import param_mapping

__all__ = [
    "EquivalenceError", "EquivalenceResult", "check_equivalence", "load_reference_state",
    "map_by_role", "map_state_by_order", "ordered_state", "save_reference_state",
    "sensitive_batchnorm_statistics",
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


def save_reference_state(
    model: nn.Module,
    path: str | Path,
    probe: torch.Tensor | None = None,
    rtol: float = 1e-4,
    atol: float = 1e-5,
) -> Path:
    """Write ``model``'s state as safetensors with order-preserving, position-prefixed keys.

    With ``probe`` (a public input, never a hidden one) the file also holds the reference's
    traced graph, ``probe/input``, the reference's output on it as ``probe/output``, and the
    tolerances: what the sandbox needs to map the weights by role and to check its mapping.
    """
    from safetensors.torch import save_file

    tensors = {
        f"{position:0{_POSITION_WIDTH}d}/{name}": t.detach().cpu().contiguous()
        for position, (name, t) in enumerate(ordered_state(model).items())
    }
    metadata = {"format": "arena-reference-state-v1"}
    if probe is not None:
        model.eval()
        graph = param_mapping.trace(model, probe)
        with torch.no_grad():
            tensors["probe/output"] = model(probe).detach().cpu().contiguous()
        tensors["probe/input"] = probe.detach().cpu().contiguous()
        metadata.update(graph=graph.to_json(), rtol=repr(rtol), atol=repr(atol))
    path = Path(path)
    save_file(tensors, str(path), metadata=metadata)
    return path


def load_reference_state(path: str | Path) -> dict[str, torch.Tensor]:
    """Read the state of a file of :func:`save_reference_state` back into registration order."""
    return param_mapping.load_reference_file(path).state


def sensitive_batchnorm_statistics(
    model: nn.Module, generator: torch.Generator | None = None
) -> nn.Module:
    """Random running statistics that make each batch norm's ``eps`` matter.

    Means N(0, 0.1), variances U(0.5, 1.5), and in a quarter of the channels a variance under
    1e-4 with the scale ``weight`` shrunk by the same factor, so the reference's function keeps
    its magnitude there but depends on ``eps``: 1e-5 instead of 1e-3 changes those channels by a
    factor of about 3 (with variances near 1 it changed them by 5e-4, inside the tolerance).
    """
    for module in model.modules():
        if not (isinstance(module, nn.modules.batchnorm._BatchNorm) and module.track_running_stats):
            continue
        with torch.no_grad():
            n = module.running_var.numel()
            mean = torch.randn(n, generator=generator) * 0.1
            var = torch.rand(n, generator=generator) + 0.5
            # Without an affine scale to compensate, a tiny variance would blow the signal up.
            sensitive = (torch.rand(n, generator=generator) < 0.25) & (module.weight is not None)
            small = torch.rand(n, generator=generator) * 1e-4
            if module.weight is not None:
                gain = torch.sqrt((small + module.eps) / (var + module.eps))
                module.weight.mul_(torch.where(sensitive, gain, torch.ones(n)).to(module.weight))
            module.running_mean.copy_(mean)
            module.running_var.copy_(torch.where(sensitive, small, var))
    return model


def map_by_role(
    model: nn.Module, reference: nn.Module, example: torch.Tensor,
    rtol: float = 1e-4, atol: float = 1e-5,
) -> param_mapping.MappingResult:
    """Load ``reference``'s weights into ``model`` by their role in the computation (the same
    search the sandbox runs, :func:`param_mapping.find_mapping`, probed on ``example``)."""
    reference.eval()
    state = ordered_state(reference)
    with torch.no_grad():
        expected = reference(example)
    try:
        result = param_mapping.find_mapping(
            model, state, example, param_mapping.trace(reference, example),
            expected_output=expected if isinstance(expected, torch.Tensor) else None,
            rtol=rtol, atol=atol)
    except param_mapping.MappingError as exc:
        raise EquivalenceError(str(exc)) from None
    param_mapping.load_pairs(model, state, result.pairs)
    return result


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
    """Load ``reference``'s weights into ``model`` by role, then compare their outputs.

    Both models are put in eval mode (dropout off, batch norm on running statistics). Raises
    :class:`EquivalenceError` when the weights cannot be mapped; returns a result otherwise.
    """
    inputs = list(inputs)
    model.eval()
    reference.eval()
    map_by_role(model, reference, inputs[0], rtol, atol)
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
