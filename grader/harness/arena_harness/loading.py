"""Loading the mentee's code and weights inside the sandbox.

Weights are read as safetensors or with ``torch.load(weights_only=True)``: a pickle payload
in a ``.pt`` file is refused, never run (threat 18).
"""

from __future__ import annotations

import importlib
import pickle
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import torch

from . import wire


class HarnessFailure(Exception):
    """A failure to report to the trusted side as ``status`` with a safe ``message``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def import_entry(submission: Path, entry: str, import_seconds: float = 0.0) -> ModuleType:
    """Import the entry module; with ``import_seconds``, refuse an import that took more CPU
    (all threads) or wall time than that (the trusted side's request deadline bounds the wall
    time from outside as well): an import defines functions, it does not train."""
    module_name = Path(entry).stem
    if not (submission / entry).is_file():
        raise HarnessFailure(wire.INTERFACE, f"the upload has no {entry}")
    sys.path.insert(0, str(submission))
    sys.dont_write_bytecode = True
    wall, cpu = time.monotonic(), _cpu_seconds()
    try:
        module = importlib.import_module(module_name)
    except SyntaxError as exc:
        raise HarnessFailure(wire.SYNTAX, f"{entry} line {exc.lineno}: {exc.msg}") from None
    except BaseException as exc:  # noqa: BLE001 - mentee code may raise anything, even SystemExit
        raise HarnessFailure(wire.EXCEPTION, f"importing {entry} raised {_kind(exc)}") from None
    used = max(time.monotonic() - wall, _cpu_seconds() - cpu)
    if import_seconds > 0 and used > import_seconds:
        raise HarnessFailure(
            wire.BUDGET, f"importing {entry} took more than {import_seconds:g} s of CPU or wall time"
        )
    return module


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # every thread of this process
    return usage.ru_utime + usage.ru_stime


def get_callable(module: ModuleType, name: str) -> Callable[..., Any]:
    target = getattr(module, name, None)
    if not callable(target):
        raise HarnessFailure(wire.INTERFACE, f"{module.__name__}.py must define {name}()")
    return target


def build_module(module: ModuleType, builder: str, kwargs: dict[str, Any]) -> torch.nn.Module:
    make = get_callable(module, builder)
    try:
        model = make(**kwargs)
    except BaseException as exc:  # noqa: BLE001
        raise HarnessFailure(wire.EXCEPTION, f"{builder}() raised {_kind(exc)}") from None
    if not isinstance(model, torch.nn.Module):
        raise HarnessFailure(wire.INTERFACE, f"{builder}() must return a torch.nn.Module")
    return model


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise HarnessFailure(wire.WEIGHTS, f"the upload has no weights file {path.name}")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        try:
            return load_file(str(path))
        except Exception as exc:  # noqa: BLE001
            raise HarnessFailure(
                wire.WEIGHTS, f"{path.name} is not a safetensors file ({_kind(exc)})"
            ) from None
    try:
        state = torch.load(str(path), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise HarnessFailure(
            wire.UNSAFE_WEIGHTS,
            f"{path.name} holds Python objects besides "
            "tensors; save a state_dict or use safetensors",
        ) from None
    except Exception as exc:  # noqa: BLE001
        raise HarnessFailure(wire.WEIGHTS, f"cannot read {path.name} ({_kind(exc)})") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise HarnessFailure(wire.WEIGHTS, f"{path.name} must hold a state_dict of tensors")
    return state


def load_weights(
    model: torch.nn.Module, path: Path, *, strict: bool = True, pretrained: Path | None = None
) -> None:
    """Load the upload's weights file onto the built model.

    ``strict`` (the default): the file holds exactly the model's state dict. Otherwise (a part
    with ``weights_strict = false``) the file may hold only some tensors (the new or fine-tuned
    ones): each must name a model tensor of the same shape, and each floating-point tensor it
    leaves out must already hold, exactly, a tensor of a mounted pretrained backbone (the
    builder loaded it from ``$ARENA_PRETRAINED``). A forgotten head fails here, clearly, instead
    of answering with its random initial weights.
    """
    state = read_state_dict(path)
    if strict:
        _check_complete(model, state, path.name)
    else:
        _check_partial(model, state, path.name, pretrained)
    try:
        model.load_state_dict(state, strict=strict)
    except Exception as exc:  # noqa: BLE001
        message = str(exc).splitlines()[0][:300] if str(exc) else _kind(exc)
        raise HarnessFailure(wire.WEIGHTS, f"weights do not fit the model: {message}") from None


def _check_complete(model: torch.nn.Module, state: dict[str, torch.Tensor], name: str) -> None:
    target = model.state_dict()
    missing = [key for key in target if key not in state]
    unexpected = [key for key in state if key not in target]
    found = []
    if missing:
        found.append(f"{name} lacks {len(missing)} of the model's tensors ({_some(missing)})")
    if unexpected:
        found.append(
            f"{name} holds {len(unexpected)} the model does not have ({_some(unexpected)})"
        )
    if found:
        raise HarnessFailure(wire.WEIGHTS, "weights do not fit the model: " + "; ".join(found))


def _check_partial(
    model: torch.nn.Module, state: dict[str, torch.Tensor], name: str, pretrained: Path | None
) -> None:
    target = model.state_dict()
    unexpected = [key for key in state if key not in target]
    if unexpected:
        raise HarnessFailure(
            wire.WEIGHTS,
            f"{name} holds {len(unexpected)} tensor(s) the model does not have: "
            f"{_some(unexpected)}",
        )
    for key, tensor in state.items():
        if tuple(tensor.shape) != tuple(target[key].shape):
            raise HarnessFailure(
                wire.WEIGHTS,
                f"{name}: {key} has shape {tuple(tensor.shape)}, the model's "
                f"{tuple(target[key].shape)}",
            )
    omitted = [k for k in target if k not in state and target[k].is_floating_point()]
    if not omitted:
        return
    not_pretrained = _not_from_backbones({k: target[k] for k in omitted}, pretrained)
    if not_pretrained:
        raise HarnessFailure(
            wire.WEIGHTS,
            f"{name} leaves out {len(not_pretrained)} tensor(s) the builder did not load from a "
            f"pretrained backbone: {_some(not_pretrained)}; put them in {name}, or load them "
            "from $ARENA_PRETRAINED in the builder",
        )


def _not_from_backbones(omitted: dict[str, torch.Tensor], pretrained: Path | None) -> list[str]:
    """The keys of ``omitted`` whose values equal no tensor of the mounted backbones."""
    if pretrained is None or not pretrained.is_dir():
        return list(omitted)
    from safetensors import safe_open

    wanted = {tuple(t.shape) for t in omitted.values()}
    by_shape: dict[tuple[int, ...], list[torch.Tensor]] = {}
    for path in sorted(pretrained.glob("*.safetensors")):
        with safe_open(str(path), framework="pt") as handle:
            for key in handle.keys():  # noqa: SIM118 - safe_open has no __iter__
                shape = tuple(handle.get_slice(key).get_shape())
                if shape in wanted:
                    by_shape.setdefault(shape, []).append(handle.get_tensor(key))
    missing = []
    for key, value in omitted.items():
        current = value.detach().cpu()
        candidates = by_shape.get(tuple(current.shape), [])
        if not any(torch.equal(current, c.to(current.dtype)) for c in candidates):
            missing.append(key)
    return missing


def _some(keys: list[str], shown: int = 3) -> str:
    more = f" and {len(keys) - shown} more" if len(keys) > shown else ""
    return ", ".join(keys[:shown]) + more


def ordered_entries(model: torch.nn.Module) -> list[tuple[str, torch.Tensor]]:
    """Parameters and persistent buffers in registration order (the state dict)."""
    return list(model.state_dict(keep_vars=True).items())


def load_by_order(model: torch.nn.Module, path: Path) -> None:
    """Copy tensors saved as ``NNNNN/<name>`` onto the model by position, checking shapes.

    The same rule as ``reference_models.equivalence.map_state_by_order`` (which cannot be
    imported here): layer names differ between the mentee and the reference, but the same
    architecture registers the same tensors in the same order with the same shapes.
    """
    from safetensors.torch import load_file

    saved = load_file(str(path))
    source = [saved[k] for k in sorted(saved, key=lambda key: int(key.split("/", 1)[0]))]
    target = ordered_entries(model)
    for i, ((name, dest), src) in enumerate(zip(target, source)):
        if tuple(dest.shape) != tuple(src.shape):
            raise HarnessFailure(
                wire.WEIGHTS,
                f"tensor #{i} ({name}) has shape "
                f"{tuple(dest.shape)}; the reference has {tuple(src.shape)}",
            )
    if len(source) != len(target):
        raise HarnessFailure(
            wire.WEIGHTS,
            f"the model has {len(target)} parameter and buffer "
            f"tensors; the reference has {len(source)}",
        )
    with torch.no_grad():
        for (_, dest), src in zip(target, source):
            dest.copy_(src.to(dtype=dest.dtype, device=dest.device))


# Packages a sandbox lacks unless its bundle asks (torchvision) or always (datasets, SciPy's
# stack): a failed import of one is named, from this fixed list only, so the message carries
# nothing the submission chose.
_ABSENT_PACKAGES = frozenset(
    ("torchvision", "sklearn", "skimage", "mlxtend", "scipy", "pandas")
    + ("matplotlib", "PIL", "cv2", "tensorflow", "keras", "timm")
)


def _kind(exc: BaseException) -> str:
    missing = exc.name if isinstance(exc, ModuleNotFoundError) else None
    top = missing.split(".")[0] if isinstance(missing, str) else None
    if top in _ABSENT_PACKAGES:
        return f"{type(exc).__name__} ({top} is not available in this assignment's sandbox)"
    return type(exc).__name__
