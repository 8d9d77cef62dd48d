"""Training settings and recipes (small TOML files under ``training/recipes/``)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

RECIPES_DIR = Path(__file__).resolve().parent / "recipes"


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 10
    batch_size: int = 128
    optimizer: str = "sgd"             # "sgd" (Nesterov momentum) or "adamw"
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 5e-4
    warmup_epochs: float = 1.0
    label_smoothing: float = 0.0
    aux_loss_weight: float = 0.3        # GoogLeNet's auxiliary heads, as in the paper
    augment_shift: int = 0              # random translation, pixels
    augment_flip: bool = False          # random horizontal flip (never for digits)
    seed: int = 0
    device: str = "auto"                # "auto": CUDA when available, else CPU
    amp: bool = True                    # mixed precision, CUDA only
    channels_last: bool = True          # CUDA only
    time_budget_s: float | None = None  # stop (and finish the schedule) after this long
    # What the budget counts: "wall" seconds, or "cpu" seconds of this process (on CPU only:
    # a comparison stays fair when other jobs share the machine; CUDA runs always use "wall").
    budget_clock: str = "wall"
    # Re-estimate batch-norm statistics from this many training batches before evaluating
    # (0: off). Short runs leave the running averages behind fast-moving weights.
    bn_recalibration_batches: int = 0
    eval_batch_size: int = 512
    progress: bool = True

    def __post_init__(self) -> None:
        if self.budget_clock not in ("wall", "cpu"):
            raise ValueError(f"budget_clock must be 'wall' or 'cpu', not {self.budget_clock!r}")

    def replace(self, **changes: Any) -> TrainConfig:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return TrainConfig(**values)


@dataclass(frozen=True)
class Recipe:
    name: str
    dataset: str
    model: str
    input_size: int
    train: TrainConfig
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    target_accuracy: float | None = None
    description: str = ""


def _train_config(table: dict[str, Any]) -> TrainConfig:
    known = {f.name for f in fields(TrainConfig)}
    unknown = set(table) - known
    if unknown:
        raise ValueError(f"unknown training settings: {', '.join(sorted(unknown))}")
    return TrainConfig(**table)


def load_recipe(name_or_path: str | Path) -> Recipe:
    """A recipe by name (a file in ``recipes/``) or by path."""
    path = Path(name_or_path)
    if not path.suffix:
        path = RECIPES_DIR / f"{name_or_path}.toml"
    with path.open("rb") as handle:
        table = tomllib.load(handle)
    return Recipe(
        name=table.get("name", path.stem),
        dataset=table["dataset"],
        model=table["model"],
        input_size=int(table["input_size"]),
        train=_train_config(table.get("train", {})),
        model_kwargs=table.get("model_kwargs", {}),
        target_accuracy=table.get("target_accuracy"),
        description=table.get("description", ""),
    )


def list_recipes() -> list[str]:
    return sorted(p.stem for p in RECIPES_DIR.glob("*.toml"))
