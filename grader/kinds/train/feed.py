"""The trusted side of training: the budget's batches, handed to the sandbox one request each.

The training split stays on this side. ``batch_plan`` draws the order from the budget's seed
(the orders the sandbox's default loop used to draw, so a model trains exactly as before) and
``feed_batches`` sends each batch only when the harness asks for the next one, stopping after
the budget's images or where the next step would end past the ``seconds`` ceiling. What the
submission trained on is what this module counted, not a number the sandbox reports.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grader.harness.arena_harness import wire
from grader.protocol import ProtocolViolation, Reply
from grader.stages.session import Session

# The feed stops where the next step would end past this share of the ceiling: what is left
# is for handing the trained state back.
DEADLINE_FRACTION = 0.95
# A step is expected to take this much longer than the slowest of the recent ones: a loaded
# worker's steps vary (another process wakes up, the allocator grows).
STEP_MARGIN = 1.5
RECENT_STEPS = 5
# Past this share of the ceiling the train request fails as a timeout (a train() that overran).
OVERRUN_FRACTION = 1.05
STATE_SECONDS = 30.0  # for copying the trained state back


@dataclass
class FeedRun:
    """What the trusted side handed out: the report's ``train_images`` and the public log."""

    batches: int = 0
    images: int = 0
    planned_images: int = 0
    seconds: float = 0.0
    stopped_by_ceiling: bool = False
    recent: list[float] = field(default_factory=list)

    def describe(self, split: int) -> str:
        epochs = self.images / split if split else 0.0
        line = (
            f"[train] {self.batches} batches, {self.images} images ({epochs:.2f} epochs) "
            f"handed out in {self.seconds:.1f} s"
        )
        if self.stopped_by_ceiling:
            line += (
                f"; the time ceiling stopped it before the budget's {self.planned_images} images "
                "(a slow worker: the model is less trained than on others)"
            )
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
    budget: dict[str, Any],
    started: float,
) -> tuple[Reply, FeedRun]:
    """Answer the harness's requests for the batches of ``plan`` (``batch_plan``, drawn before
    the clock started) until it or the ceiling ends.

    ``first`` is the reply to the train request. Returns the reply that carries the trained
    state (to "end", or earlier where the submission's train() returned without asking for
    every batch) and what was handed out.
    """
    images, labels = split
    seconds = float(budget["seconds"])
    deadline = started + seconds * DEADLINE_FRACTION
    overrun = started + seconds * OVERRUN_FRACTION
    run = FeedRun(planned_images=planned_images(budget, len(labels)))
    reply = first
    for index in plan:
        if not wants_batch(reply):
            break
        now = time.monotonic()
        if now + STEP_MARGIN * max(run.recent, default=0.0) > deadline:
            run.stopped_by_ceiling = True
            break
        batch = np.ascontiguousarray(images[index], dtype=np.float32)
        payload = {
            "op": "batch",
            "images": session.put(batch),
            "labels": session.put(labels[index].astype(np.int64), wire.align(batch.nbytes)),
        }
        reply = session.request(payload, what="training", timeout=max(overrun - now, 1.0))
        run.recent = (run.recent + [time.monotonic() - now])[-RECENT_STEPS:]
        run.batches += 1
        run.images += len(index)
    run.seconds = time.monotonic() - started
    if wants_batch(reply):
        left = max(overrun - time.monotonic(), 1.0) + STATE_SECONDS
        reply = session.request({"op": "end"}, what="training", timeout=left)
    if wants_batch(reply):
        raise ProtocolViolation("the harness asked for a batch after the last one")
    return reply, run


def wants_batch(reply: Reply) -> bool:
    return reply.message == "next" and not reply.tensors


def batch_bytes(budget: dict[str, Any], input_shape: tuple[int, ...]) -> int:
    """Shared memory for one batch: its images, then its labels."""
    size = int(budget["batch_size"])
    return wire.align(size * int(np.prod(input_shape)) * 4) + size * 8 + 4096
