"""Training inside the sandbox under the part's budget (``train`` parts).

The training split never enters the sandbox as a file: the trusted side hands it out one
batch per request (``BatchFeed``), in the budget's order, and stops after the budget's images
(the budget is work: a slow worker gets every batch too, only later). The submission can therefore
train on no more samples than the budget, whatever it does at import or in threads; the
trusted side counts what it sent.

The mentee may define ``train(model, batches, budget)``: ``batches`` yields ``(images,
labels)`` on the model's device, ``budget`` is a plain dict of the part's budget. Without it,
``default_loop`` makes one optimizer step per batch. Either way the state is copied the moment
``train`` returns, and a Python thread still running then fails the part.

Where the budget sets ``bn_recalibration_images``, the trusted side then sends that many of
the images it already handed out (no labels) and ``recalibrate_batchnorm`` recomputes the
batch-norm running statistics on them; the trusted side keeps the weights of the state copied
when ``train`` returned and takes only the statistics from this one.
"""

from __future__ import annotations

import inspect
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import torch

from . import wire
from .loading import HarnessFailure

# The harness fails the part when train() used more CPU time than this share of the budget's
# ``seconds`` (its safety net; the trusted side's cgroup enforces the stage's own net anyway).
OVERRUN_FRACTION = 1.0
NEXT = "next"  # the reply message that asks the trusted side for the next batch


@dataclass
class TrainingRun:
    """What the default loop did: shown in the train stage's (public) logs."""

    steps: int = 0
    images: int = 0


def seed_everything(budget: dict[str, Any]) -> None:
    """Seed the generators a model's initialisation and dropout draw from (before building)."""
    torch.manual_seed(int(budget.get("seed", 0)))


class BatchFeed:
    """The batches the trusted side hands out, one request each.

    ``request`` is the pending request (the train request, then each batch); asking for the
    next batch answers it with ``NEXT`` and waits for the next request. A request that is not
    a batch (the trusted side's "end") ends the feed; the state is then the answer to it.
    """

    def __init__(
        self, sock: socket.socket, shm: memoryview, request: dict, device: torch.device
    ) -> None:
        self.sock, self.shm, self.request, self.device = sock, shm, request, device
        self.done = False
        self.handed = 0  # samples given to the submission, for the log line

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        return self

    def __next__(self) -> tuple[torch.Tensor, torch.Tensor]:
        if self.done:
            raise StopIteration
        seq = int(self.request.get("seq", 0))
        self.sock.sendall(wire.encode_frame(wire.RESULT, wire.OK, seq, NEXT))
        incoming = wire.recv_request(self.sock)
        # Replies go to the newest request from now on (Server.answer reads it back).
        self.request["seq"] = incoming.get("seq", 0)
        if incoming.get("op") != "batch":
            self.done = True
            raise StopIteration
        images = _private(self.shm, incoming["images"], torch.float32)
        labels = _private(self.shm, incoming["labels"], torch.int64)
        if images.shape[0] != labels.shape[0]:
            raise HarnessFailure(wire.BAD_REQUEST, "a batch's images and labels differ in size")
        self.handed += int(labels.shape[0])
        return images.to(self.device), labels.to(self.device)


def _private(shm: memoryview, spec: dict, dtype: torch.dtype) -> torch.Tensor:
    return torch.from_numpy(np.array(wire.tensor_view(shm, spec))).to(dtype)


def run(
    module: ModuleType, model: torch.nn.Module, feed: BatchFeed, budget: dict[str, Any]
) -> None:
    """Train ``model`` on the feed with the mentee's ``train`` or the default loop."""
    refuse_foreign_threads("started at import")
    model.train()
    # CPU time, all threads of this process: what the work costs, whatever else runs beside.
    started = time.process_time()
    custom = getattr(module, "train", None)
    if callable(custom):
        _check_signature(custom)
        result = custom(model, feed, dict(budget))
        if result is not None and result is not model:
            raise HarnessFailure(
                wire.INTERFACE,
                "train() must train the model in place and return None or the same model",
            )
    else:
        done = default_loop(model, feed, budget)
        print(f"[train] {done.steps} steps, {done.images} images", flush=True)
    refuse_foreign_threads("started by train() was still running when it returned")
    if time.process_time() - started > float(budget["seconds"]) * OVERRUN_FRACTION:
        raise HarnessFailure(
            wire.BUDGET,
            f"training used more than its safety net of {budget['seconds']} s of CPU time",
        )


def _check_signature(custom: Any) -> None:
    """A ``train`` that cannot take ``(model, batches, budget)`` is an interface failure, said
    so (not a TypeError the harness would take for a malformed request)."""
    try:
        inspect.signature(custom).bind(None, None, None)
    except TypeError:
        raise HarnessFailure(
            wire.INTERFACE, "train() must take (model, batches, budget): see the statement"
        ) from None
    except ValueError:
        pass  # no signature to read (a builtin): let the call decide


def refuse_foreign_threads(when: str) -> None:
    """Training happens inside the train call only: no Python thread may run beside it.

    ``sys._current_frames`` lists every thread running Python code, including those started
    with ``_thread`` directly; PyTorch's own worker threads run no Python and are not listed.
    """
    main = threading.main_thread().ident
    others = [ident for ident in sys._current_frames() if ident != main]
    if others:
        raise HarnessFailure(
            wire.BUDGET,
            f"a thread {when}: the model trains only inside train(), on the batches it is given",
        )


def make_optimizer(model: torch.nn.Module, budget: dict[str, Any]) -> torch.optim.Optimizer:
    lr = float(budget["lr"])
    if str(budget.get("optimizer", "sgd")) == "adam":
        return torch.optim.Adam(model.parameters(), lr=lr)
    return torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)


def default_loop(
    model: torch.nn.Module,
    batches: Iterator[tuple[torch.Tensor, torch.Tensor]],
    budget: dict[str, Any],
) -> TrainingRun:
    """One step of the budget's optimizer per batch handed out."""
    optimizer = make_optimizer(model, budget)
    run = TrainingRun()
    for images, labels in batches:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(images), labels)
        loss.backward()
        optimizer.step()
        if images.device.type == "cuda":
            torch.cuda.synchronize(images.device)
        run.steps += 1
        run.images += len(labels)
    return run


def batchnorm_layers(model: torch.nn.Module) -> list[torch.nn.modules.batchnorm._BatchNorm]:
    """The batch-norm layers that keep running statistics (what eval mode normalises by)."""
    return [
        m
        for m in model.modules()
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
        and m.track_running_stats
        and m.running_mean is not None
        and m.running_var is not None
    ]


def recalibrate_batchnorm(model: torch.nn.Module, images: torch.Tensor, batch_size: int) -> int:
    """Recompute every batch-norm layer's running statistics from ``images``; the number of
    layers recalibrated.

    After a short budget (the CPU one: 40 steps) the running averages lag far behind the
    weights (momentum 0.1 leaves running variances near their initial 1), and eval mode then
    collapses to chance even for a model that learned. The statistics are reset and
    re-estimated as a plain average over the batches (``momentum=None``), under the final
    weights, with no gradients. Only the batch-norm layers are in train mode (dropout and the
    rest as in eval), so the statistics are those of the network that is scored. The layers'
    momentum is restored afterwards; parameters are not touched (and the trusted side would
    discard any change to them).
    """
    layers = batchnorm_layers(model)
    if not layers:
        return 0
    momenta = [layer.momentum for layer in layers]
    model.eval()
    try:
        for layer in layers:
            layer.reset_running_stats()
            layer.momentum = None
            layer.train()
        with torch.no_grad():
            for start in range(0, len(images), max(1, batch_size)):
                model(images[start : start + batch_size])
    finally:
        for layer, momentum in zip(layers, momenta):
            layer.momentum = momentum
        model.eval()
    return len(layers)
