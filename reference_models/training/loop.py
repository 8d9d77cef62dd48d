"""The one training and evaluation loop of the platform.

Seeded and deterministic on CPU (same seed, same thread count: bit-identical weights); mixed
precision and channels-last on CUDA; warm-up plus cosine schedule; optional label smoothing;
a tqdm bar showing loss and accuracy; resumable from the state saved after every epoch.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from reference_models.training.config import TrainConfig
from reference_models.training.data import ImageData, random_flip, random_shift, to_float
from reference_models.training.schedule import warmup_cosine
from reference_models.training.state import (
    TrainingState,
    load_training_state,
    save_training_state,
)


@dataclass(frozen=True)
class EvalResult:
    loss: float
    accuracy: float
    correct: int
    total: int


@dataclass(frozen=True)
class EpochLog:
    epoch: int
    train_loss: float
    train_accuracy: float
    test_accuracy: float | None
    lr: float
    elapsed_s: float


@dataclass(frozen=True)
class FitResult:
    history: list[EpochLog]
    training_time_s: float
    steps: int
    stopped_by_budget: bool

    @property
    def final_accuracy(self) -> float | None:
        return self.history[-1].test_accuracy if self.history else None


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


@contextlib.contextmanager
def deterministic(enabled: bool = True) -> Iterator[None]:
    """Deterministic kernels for the duration of a run, restoring the global setting after."""
    previous = torch.are_deterministic_algorithms_enabled()
    previous_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    torch.use_deterministic_algorithms(enabled, warn_only=True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(previous, warn_only=previous_warn)


def _logits_and_loss(output: Any, labels: torch.Tensor, config: TrainConfig
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """Main logits and the training loss; auxiliary heads (GoogLeNet) add a weighted loss."""
    if isinstance(output, torch.Tensor):
        return output, F.cross_entropy(output, labels, label_smoothing=config.label_smoothing)
    logits, *aux = output
    loss = F.cross_entropy(logits, labels, label_smoothing=config.label_smoothing)
    for head in aux:
        if head is not None:
            loss = loss + config.aux_loss_weight * F.cross_entropy(
                head, labels, label_smoothing=config.label_smoothing)
    return logits, loss


def _make_optimizer(model: nn.Module, config: TrainConfig) -> torch.optim.Optimizer:
    # No weight decay on biases and normalisation parameters (1-d tensors).
    decay = [p for p in model.parameters() if p.requires_grad and p.ndim > 1]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.ndim <= 1]
    groups = [{"params": decay, "weight_decay": config.weight_decay},
              {"params": no_decay, "weight_decay": 0.0}]
    if config.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=config.lr, momentum=config.momentum, nesterov=True)
    if config.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=config.lr)
    raise ValueError(f"unknown optimizer {config.optimizer!r}: use 'sgd' or 'adamw'")


def _prepare(images: torch.Tensor, device: torch.device, channels_last: bool) -> torch.Tensor:
    x = to_float(images.to(device, non_blocking=True))
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


def _autocast(device: torch.device, enabled: bool) -> contextlib.AbstractContextManager[Any]:
    if device.type != "cuda" or not enabled:
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.autocast("cuda", dtype=dtype)


def evaluate(model: nn.Module, data: ImageData, batch_size: int = 512,
             device: str | torch.device | None = None, amp: bool = True) -> EvalResult:
    """Loss and top-1 accuracy of ``model`` (in eval mode) on ``data``."""
    dev = torch.device(device) if device is not None else next(model.parameters()).device
    was_training = model.training
    model.eval()
    total_loss, correct = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(data), batch_size):
            x = _prepare(data.images[start:start + batch_size], dev, dev.type == "cuda")
            y = data.labels[start:start + batch_size].to(dev)
            with _autocast(dev, amp):
                logits = model(x)
            total_loss += float(F.cross_entropy(logits.float(), y, reduction="sum"))
            correct += int((logits.argmax(1) == y).sum())
    model.train(was_training)
    n = max(len(data), 1)
    return EvalResult(total_loss / n, correct / n, correct, len(data))


@torch.no_grad()
def recalibrate_batchnorm(model: nn.Module, data: ImageData, batches: int,
                          batch_size: int = 128, seed: int = 0) -> int:
    """Recompute every batch norm's running mean and variance as the plain average over
    ``batches`` random training batches (the weights stay as they are).

    After a short run the exponential running averages still mix in statistics of much
    earlier weights, and eval mode then sees inputs scaled quite differently from training:
    the usual cure (as in SWA) is to measure them again. Returns the number of batches used.
    """
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms or batches <= 0 or len(data) == 0:
        return 0
    device = next(model.parameters()).device
    channels_last = device.type == "cuda"
    momenta = [m.momentum for m in norms]
    was_training = model.training
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # cumulative average
    model.train()
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(data), generator=generator)
    used = 0
    for start in range(0, min(len(data), batches * batch_size), batch_size):
        model(_prepare(data.images[order[start:start + batch_size]], device, channels_last))
        used += 1
    for norm, momentum in zip(norms, momenta):
        norm.momentum = momentum
    model.train(was_training)
    return used


class _Trainer:
    """One run of :func:`fit`; holds what the steps share."""

    def __init__(self, model: nn.Module, data: ImageData, config: TrainConfig) -> None:
        self.config = config
        self.device = resolve_device(config.device)
        self.on_cuda = self.device.type == "cuda"
        self.channels_last = self.on_cuda and config.channels_last
        self.model = model.to(self.device)
        if self.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        self.data = data
        self.optimizer = _make_optimizer(self.model, config)
        self.base_lrs = [g["lr"] for g in self.optimizer.param_groups]
        self.generator = torch.Generator().manual_seed(config.seed)
        self.steps_per_epoch = math.ceil(len(data) / config.batch_size)
        self.total_steps = self.steps_per_epoch * config.epochs
        self.warmup_fraction = min(config.warmup_epochs / max(config.epochs, 1), 1.0)
        # The budget's clock: CPU time of this process when asked (CPU runs only).
        self.clock = (time.process_time if config.budget_clock == "cpu" and not self.on_cuda
                      else time.perf_counter)
        amp_fp16 = self.on_cuda and config.amp and not torch.cuda.is_bf16_supported()
        self.scaler = torch.amp.GradScaler("cuda", enabled=amp_fp16)

    def progress(self, step: int, elapsed: float) -> float:
        fraction = step / self.total_steps
        if self.config.time_budget_s:
            # Under a time budget the schedule follows the clock, so it still anneals to zero.
            fraction = max(fraction, elapsed / self.config.time_budget_s)
        return fraction

    def set_lr(self, progress: float) -> float:
        factor = warmup_cosine(progress, self.warmup_fraction)
        for group, base in zip(self.optimizer.param_groups, self.base_lrs):
            group["lr"] = base * factor
        return self.base_lrs[0] * factor

    def batches(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        order = torch.randperm(len(self.data), generator=self.generator)
        for start in range(0, len(order), self.config.batch_size):
            index = order[start:start + self.config.batch_size]
            images = self.data.images[index]
            images = random_shift(images, self.config.augment_shift, self.generator)
            if self.config.augment_flip:
                images = random_flip(images, self.generator)
            yield images, self.data.labels[index]

    def step(self, images: torch.Tensor, labels: torch.Tensor) -> tuple[float, int]:
        x = _prepare(images, self.device, self.channels_last)
        y = labels.to(self.device, non_blocking=True)
        with _autocast(self.device, self.config.amp):
            logits, loss = _logits_and_loss(self.model(x), y, self.config)
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.step(self.optimizer)
        self.scaler.update()
        return float(loss.detach()), int((logits.detach().argmax(1) == y).sum())

    def run_epoch(self, epoch: int, step: int, elapsed: float) -> tuple[EpochLog, int, bool]:
        """One pass over the data (or until the time budget ends); ``elapsed`` is the training
        time before it. Returns the epoch's log, the step count and whether the budget ran out."""
        self.model.train()
        started = self.clock() - elapsed  # the clock counts training time only
        loss_sum, correct, seen, lr, over_budget = 0.0, 0, 0, 0.0, False
        bar = tqdm(self.batches(), total=self.steps_per_epoch, leave=False,
                   desc=f"epoch {epoch + 1}/{self.config.epochs}",
                   disable=not self.config.progress)
        for images, labels in bar:
            lr = self.set_lr(self.progress(step + 1, self.clock() - started))
            loss, hits = self.step(images, labels)
            step += 1
            loss_sum += loss * len(labels)
            correct += hits
            seen += len(labels)
            bar.set_postfix(loss=f"{loss_sum / seen:.4f}", acc=f"{correct / seen:.4f}")
            budget = self.config.time_budget_s
            if budget and self.clock() - started >= budget:
                over_budget = True
                break
        bar.close()
        log = EpochLog(epoch + 1, loss_sum / max(seen, 1), correct / max(seen, 1), None, lr,
                       self.clock() - started)
        return log, step, over_budget


def fit(
    model: nn.Module,
    train_data: ImageData,
    config: TrainConfig,
    eval_data: ImageData | None = None,
    state_dir: str | Path | None = None,
    on_epoch_end: Callable[[EpochLog], None] | None = None,
) -> FitResult:
    """Train ``model`` on ``train_data``; evaluate on ``eval_data`` after every epoch.

    With ``state_dir`` the full training state is saved after every epoch and a later call with
    the same arguments resumes from it (bit-identical on CPU to an uninterrupted run).
    ``on_epoch_end`` is called with each epoch's log once its state is saved.
    """
    trainer = _Trainer(model, train_data, config)
    folder = Path(state_dir) if state_dir is not None else None
    torch.manual_seed(config.seed)  # dropout draws from the global generator
    state = TrainingState(0, 0, 0.0, [])
    if folder is not None:
        state = load_training_state(folder, trainer.model, trainer.optimizer,
                                    trainer.generator) or state
    history = [EpochLog(**h) for h in state.history]
    step, over_budget = state.step, False
    with deterministic(not trainer.on_cuda):
        for epoch in range(state.epoch, config.epochs):
            log, step, over_budget = trainer.run_epoch(epoch, step, state.elapsed_s)
            state = TrainingState(epoch + 1, step, log.elapsed_s, state.history)
            if config.bn_recalibration_batches:
                recalibrate_batchnorm(trainer.model, train_data, config.bn_recalibration_batches,
                                      config.batch_size, config.seed)
            if eval_data is not None:
                accuracy = evaluate(trainer.model, eval_data, config.eval_batch_size,
                                    amp=config.amp).accuracy
                log = dataclasses.replace(log, test_accuracy=accuracy)
            history.append(log)
            state.history = [asdict(h) for h in history]
            if config.progress:
                tqdm.write(_describe(log))
            if folder is not None:
                save_training_state(folder, trainer.model, trainer.optimizer, trainer.generator,
                                    state)
            if on_epoch_end is not None:
                on_epoch_end(log)
            if over_budget:
                break
    return FitResult(history, state.elapsed_s, step, over_budget)


def _describe(log: EpochLog) -> str:
    test = f" test acc {log.test_accuracy:.4f}" if log.test_accuracy is not None else ""
    return (f"epoch {log.epoch}: loss {log.train_loss:.4f} train acc {log.train_accuracy:.4f}"
            f"{test} lr {log.lr:.4g} ({log.elapsed_s:.0f}s)")
