"""Checkpoints: weights as safetensors next to a metadata JSON file that pins their SHA-256.

``<stem>.safetensors`` holds the state dict; ``<stem>.json`` says what it is (architecture and
builder arguments, data set and its hash, accuracy, training time) and the file's SHA-256.
Loading recomputes the hash first, so a swapped or corrupted weights file is refused before a
single tensor is read.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from reference_models.registry import build

FORMAT = "arena-checkpoint-v1"


class ChecksumError(RuntimeError):
    """The weights file does not match the SHA-256 its metadata records."""


@dataclass(frozen=True)
class CheckpointInfo:
    architecture: str
    model_kwargs: dict[str, Any]          # num_classes, in_channels, input_size, ...
    dataset: str
    dataset_sha256: str
    accuracy: float | None
    training_time_s: float | None
    file_sha256: str = ""
    format: str = FORMAT
    created_at: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def paths_for(path: str | Path) -> tuple[Path, Path]:
    """(weights, metadata) paths for a stem or either file."""
    stem = Path(path)
    if stem.suffix in (".safetensors", ".json"):
        stem = stem.with_suffix("")
    return stem.with_name(stem.name + ".safetensors"), stem.with_name(stem.name + ".json")


def _write_atomically(path: Path, data: bytes) -> None:
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def save_state_dict(state: dict[str, torch.Tensor], path: str | Path,
                    info: CheckpointInfo) -> CheckpointInfo:
    """Write ``state`` and its metadata; returns the metadata with the file's hash filled in."""
    weights, meta = paths_for(path)
    weights.parent.mkdir(parents=True, exist_ok=True)
    partial = weights.with_name(f".{weights.name}.partial")
    tensors = {k: v.detach().cpu().contiguous() for k, v in state.items()}
    save_file(tensors, str(partial), metadata={"format": FORMAT, "architecture": info.architecture})
    os.replace(partial, weights)
    values = asdict(info)
    values["file_sha256"] = sha256_file(weights)
    values["created_at"] = values["created_at"] or time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                 time.gmtime())
    _write_atomically(meta, (json.dumps(values, indent=2, sort_keys=True) + "\n").encode())
    return CheckpointInfo(**values)


def save_checkpoint(model: nn.Module, path: str | Path, info: CheckpointInfo) -> CheckpointInfo:
    return save_state_dict(model.state_dict(), path, info)


def read_info(path: str | Path) -> CheckpointInfo:
    _, meta = paths_for(path)
    values = json.loads(meta.read_text())
    if values.get("format") != FORMAT:
        raise ValueError(f"{meta} is not an {FORMAT} metadata file")
    return CheckpointInfo(**values)


def verify_checkpoint(path: str | Path) -> CheckpointInfo:
    """Check the weights file against its metadata; raises :class:`ChecksumError`."""
    weights, _ = paths_for(path)
    info = read_info(path)
    actual = sha256_file(weights)
    if actual != info.file_sha256:
        raise ChecksumError(
            f"{weights} has SHA-256 {actual}, its metadata records {info.file_sha256}: "
            "the file was changed or corrupted"
        )
    return info


def load_state_dict_verified(path: str | Path) -> tuple[dict[str, torch.Tensor], CheckpointInfo]:
    info = verify_checkpoint(path)
    weights, _ = paths_for(path)
    return load_file(str(weights)), info


def load_checkpoint(path: str | Path, device: str | torch.device = "cpu"
                    ) -> tuple[nn.Module, CheckpointInfo]:
    """Build the recorded architecture from the registry and load the verified weights."""
    state, info = load_state_dict_verified(path)
    model = build(info.architecture, **info.model_kwargs)
    model.load_state_dict(state, strict=True)
    return model.to(device), info
