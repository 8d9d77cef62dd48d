"""The platform's training library: one loop, checkpoints with verified hashes, recipes."""

from reference_models.training.checkpoint import (
    CheckpointInfo,
    ChecksumError,
    load_checkpoint,
    save_checkpoint,
    verify_checkpoint,
)
from reference_models.training.config import Recipe, TrainConfig, list_recipes, load_recipe
from reference_models.training.data import ImageData, from_numpy, load_dataset
from reference_models.training.loop import EvalResult, FitResult, evaluate, fit
from reference_models.training.run import RunResult, build_seeded, run_recipe, train_model

__all__ = [
    "CheckpointInfo", "ChecksumError", "EvalResult", "FitResult", "ImageData", "Recipe",
    "RunResult", "TrainConfig", "build_seeded", "evaluate", "fit", "from_numpy",
    "list_recipes", "load_checkpoint", "load_dataset", "load_recipe", "run_recipe",
    "save_checkpoint", "train_model", "verify_checkpoint",
]
