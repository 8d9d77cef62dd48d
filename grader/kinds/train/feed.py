"""The trusted side of training: the budget's batches, handed to the sandbox one request each.

The training split stays on this side. ``batch_plan`` draws the order from the budget's seed
(the orders the sandbox's default loop used to draw, so a model trains exactly as before) and
``feed_batches`` sends each batch only when the harness asks for the next one, all of the
budget's images and no more. What the submission trained on is what this module counted, not
a number the sandbox reports.

The budget is work, never time: the feed never stops early because a worker is slow (that
made a loaded worker's model less trained than a quiet one's, and its score lower). Time is
only a safety net, enforced around the stage: the train stage's CPU time (``[parts.budget]
seconds``, all processes and threads, counted by the sandbox's cgroup) and the stage's wall
clock; a run that hits either ends the part as a ``timeout``, never as a lower score.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from grader.harness.arena_harness import wire
from grader.protocol import ProtocolViolation, Reply
from grader.stages.session import Session


@dataclass
class FeedRun:
    """What the trusted side handed out: the report's ``train_images`` and the public log."""

    batches: int = 0
    images: int = 0
    planned_images: int = 0
    seconds: float = 0.0

    def describe(self, split: int) -> str:
        epochs = self.images / split if split else 0.0
        line = (
            f"[train] {self.batches} batches, {self.images} images ({epochs:.2f} epochs) "
            f"handed out in {self.seconds:.1f} s"
        )
        if self.images < self.planned_images:
            line += f"; train() returned before the budget's {self.planned_images} images"
        return line


def planned_images(budget: dict[str, Any], split: int) -> int:
    """The images the budget's work goes through: whole epochs, or ``images`` if fewer."""
    total = int(budget.get("epochs", 1)) * split
    cap = int(budget.get("images", 0) or 0)
    return min(total, cap) if cap > 0 else total


def batch_plan(split: int, budget: dict[str, Any]) -> list[np.ndarray]:
    """Index arrays of every batch: an order per epoch from ``seed``, cut at the budget."""
    import torch  # only train parts need it on the trusted side

    generator = torch.Generator().manual_seed(int(budget.get("seed", 0)))
    batch_size = int(budget["batch_size"])
    left = planned_images(budget, split)
    plan: list[np.ndarray] = []
    for _ in range(math.ceil(left / split) if split else 0):
        order = torch.randperm(split, generator=generator).numpy()
        for start in range(0, split, batch_size):
            if left <= 0:
                return plan
            index = order[start : start + min(batch_size, left)]
            plan.append(index)
            left -= len(index)
    return plan


def feed_batches(
    session: Session,
    first: Reply,
    split: tuple[np.ndarray, np.ndarray],
    plan: list[np.ndarray],
    started: float,
    timeout: float,
) -> tuple[Reply, FeedRun]:
    """Answer the harness's requests for the batches of ``plan`` (``batch_plan``, drawn before
    the clock started) until it or the plan ends.

    ``first`` is the reply to the train request. Returns the reply that carries the trained
    state (to "end", or earlier where the submission's train() returned without asking for
    every batch) and what was handed out. ``timeout`` bounds each request (the stage's wall
    clock bounds them all): a step may be slow on a loaded worker, never cut short.
    """
    images, labels = split
    run = FeedRun(planned_images=planned_images_of(plan))
    reply = first
    for index in plan:
        if not wants_batch(reply):
            break
        batch = np.ascontiguousarray(images[index], dtype=np.float32)
        request = wire.Batch(
            images=session.put(batch),
            labels=session.put(labels[index].astype(np.int64), wire.align(batch.nbytes)),
        )
        reply = session.train(request, timeout=timeout)
        run.batches += 1
        run.images += len(index)
    run.seconds = time.monotonic() - started
    if wants_batch(reply):
        reply = session.train(wire.End(), timeout=timeout)
    if wants_batch(reply):
        raise ProtocolViolation("the harness asked for a batch after the last one")
    return reply, run


def planned_images_of(plan: list[np.ndarray]) -> int:
    return sum(len(index) for index in plan)


def wants_batch(reply: Reply) -> bool:
    return reply.message == "next" and not reply.tensors


def batch_bytes(budget: dict[str, Any], input_shape: tuple[int, ...]) -> int:
    """Shared memory for one batch: its images, then its labels."""
    size = int(budget["batch_size"])
    return wire.align(size * int(np.prod(input_shape)) * 4) + size * 8 + 4096
