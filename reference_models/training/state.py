"""Resumable training state: model, optimizer, random generators and progress, saved after every
epoch as one safetensors file (tensors) plus one JSON file (everything else). No pickle."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import nn

STATE_NAME = "last"


@dataclass
class TrainingState:
    epoch: int                  # epochs completed
    step: int                   # optimizer steps taken
    elapsed_s: float            # training time so far
    history: list[dict[str, Any]]


def _flatten_optimizer(state: dict[str, Any]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, Any] = {}
    for index, per_param in state["state"].items():
        for key, value in per_param.items():
            if torch.is_tensor(value):
                tensors[f"optimizer/{index}/{key}"] = value
            else:
                scalars[f"{index}/{key}"] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def _unflatten_optimizer(tensors: dict[str, torch.Tensor], meta: dict[str, Any]
                         ) -> dict[str, Any]:
    per_param: dict[int, dict[str, Any]] = {}
    for key, value in tensors.items():
        _, index, name = key.split("/", 2)
        per_param.setdefault(int(index), {})[name] = value
    for key, value in meta["scalars"].items():
        index, name = key.split("/", 1)
        per_param.setdefault(int(index), {})[name] = value
    return {"state": per_param, "param_groups": meta["param_groups"]}


def save_training_state(folder: Path, model: nn.Module, optimizer: torch.optim.Optimizer,
                        generator: torch.Generator, state: TrainingState) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    optim_tensors, optim_meta = _flatten_optimizer(optimizer.state_dict())
    tensors = {f"model/{k}": v for k, v in model.state_dict().items()}
    tensors.update(optim_tensors)
    tensors["rng/torch"] = torch.get_rng_state()
    tensors["rng/generator"] = generator.get_state()
    tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    weights = folder / f"{STATE_NAME}.safetensors"
    partial = folder / f".{STATE_NAME}.safetensors.partial"
    save_file(tensors, str(partial))
    meta = {"optimizer": optim_meta, "epoch": state.epoch, "step": state.step,
            "elapsed_s": state.elapsed_s, "history": state.history}
    meta_partial = folder / f".{STATE_NAME}.json.partial"
    meta_partial.write_text(json.dumps(meta))
    # The JSON goes last: a state counts as saved only once both files are complete.
    os.replace(partial, weights)
    os.replace(meta_partial, folder / f"{STATE_NAME}.json")


def load_training_state(folder: Path, model: nn.Module, optimizer: torch.optim.Optimizer,
                        generator: torch.Generator) -> TrainingState | None:
    """Restore a saved state into the given objects; ``None`` when there is none."""
    meta_path = folder / f"{STATE_NAME}.json"
    if not meta_path.is_file():
        return None
    meta = json.loads(meta_path.read_text())
    tensors = load_file(str(folder / f"{STATE_NAME}.safetensors"))
    model.load_state_dict({k[len("model/"):]: v for k, v in tensors.items()
                           if k.startswith("model/")})
    optim_tensors = {k: v for k, v in tensors.items() if k.startswith("optimizer/")}
    optimizer.load_state_dict(_unflatten_optimizer(optim_tensors, meta["optimizer"]))
    torch.set_rng_state(tensors["rng/torch"])
    generator.set_state(tensors["rng/generator"])
    return TrainingState(meta["epoch"], meta["step"], meta["elapsed_s"], meta["history"])
