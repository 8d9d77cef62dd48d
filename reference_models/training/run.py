"""Train a registered model on a course data set and save a verified checkpoint."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from reference_models.registry import build
from reference_models.training.checkpoint import CheckpointInfo, save_checkpoint
from reference_models.training.config import Recipe, TrainConfig
from reference_models.training.data import ImageData, load_dataset
from reference_models.training.loop import FitResult, evaluate, fit


@dataclass(frozen=True)
class RunResult:
    model: nn.Module
    fit: FitResult
    test_accuracy: float
    info: CheckpointInfo | None


def build_seeded(name: str, seed: int, **kwargs: Any) -> nn.Module:
    """Build a model with initial weights fixed by ``seed``."""
    torch.manual_seed(seed)
    return build(name, **kwargs)


def train_model(
    name: str,
    train_data: ImageData,
    test_data: ImageData,
    config: TrainConfig,
    input_size: int | None = None,
    model_kwargs: dict[str, Any] | None = None,
    checkpoint: str | Path | None = None,
    state_dir: str | Path | None = None,
    extra: dict[str, Any] | None = None,
    eval_each_epoch: bool = False,
) -> RunResult:
    kwargs = {"num_classes": train_data.num_classes, "in_channels": train_data.in_channels,
              "input_size": input_size or train_data.input_size, **(model_kwargs or {})}
    model = build_seeded(name, config.seed, **kwargs)
    result = fit(model, train_data, config, eval_data=test_data if eval_each_epoch else None,
                 state_dir=state_dir)
    accuracy = evaluate(model, test_data, config.eval_batch_size, amp=config.amp).accuracy
    info = None
    if checkpoint is not None:
        info = save_checkpoint(model, checkpoint, CheckpointInfo(
            architecture=name, model_kwargs=kwargs, dataset=train_data.name,
            dataset_sha256=train_data.sha256(), accuracy=accuracy,
            training_time_s=round(result.training_time_s, 3),
            extra={"test_dataset": test_data.name, "test_dataset_sha256": test_data.sha256(),
                   "epochs": len(result.history), "steps": result.steps,
                   "input": "float32 [N,C,H,W] in [0,1]", **(extra or {})},
        ))
    return RunResult(model, result, accuracy, info)


def run_recipe(recipe: Recipe, checkpoint: str | Path | None = None,
               state_dir: str | Path | None = None,
               overrides: dict[str, Any] | None = None,
               eval_each_epoch: bool = False) -> RunResult:
    train_data, test_data = load_dataset(recipe.dataset)
    config = recipe.train.replace(**(overrides or {}))
    return train_model(recipe.model, train_data, test_data, config, recipe.input_size,
                       recipe.model_kwargs, checkpoint, state_dir,
                       extra={"recipe": recipe.name}, eval_each_epoch=eval_each_epoch)
