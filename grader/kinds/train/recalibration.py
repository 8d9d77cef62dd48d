"""Batch-norm recalibration of a trained model, decided and checked on the trusted side.

A model is scored in eval mode, by its batch-norm running statistics. After the CPU budget's
40 steps those statistics lag far behind the weights (momentum 0.1 leaves running variances
near their initial 1): a torchvision-style ResNet-18 or GoogLeNet that learned scored at
chance (issue 12). Where the budget sets ``bn_recalibration_images``, the platform therefore
recomputes them once training has returned: this side sends the first that many images the
submission was handed (images only, no labels; a plain count decided here), the harness
re-estimates the statistics on them under the final weights, with no gradients
(``arena_harness.training.recalibrate_batchnorm``), and returns the model's state again.

Why it is sound with hostile code on the other side:

- nothing new enters the sandbox: the images are training images the submission already
  held, in the order it got them, and fewer than it was handed if train() returned early;
- it is not training: this side keeps every tensor of the state copied when train() returned
  and takes from the recalibrated state only the positions that the part's *reference* (built
  on this side, ``trained_reference``) says are batch-norm running statistics (running_mean,
  running_var, num_batches_tracked). The train stage has already required the state's shapes
  table to be the reference's, so positions line up. A forward that changes its weights (or
  anything but the statistics) during recalibration gains nothing: the change is discarded
  and said in the public log. Statistics themselves the submission controlled anyway (its
  train() can set its buffers to anything), so taking them from the sandbox hands it nothing
  it did not have;
- its cost is forward passes only, inside the train stage's CPU-time and wall-clock nets;
- no thread check follows it (one precedes it, when train() returns): a thread started during
  the recalibration could only change what is discarded here, or run beside the architecture
  check, where the submission's own forward runs anyway.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from grader.harness.arena_harness import wire
from grader.kinds.model.grade import read_shape_table
from grader.kinds.train.trained_reference import TrainedReference, table_shapes
from grader.protocol import ProtocolViolation
from grader.stages.session import Session


@dataclass(frozen=True)
class Recalibrated:
    """The state to score, and what the recalibration did (the public log line)."""

    values: np.ndarray
    images: int
    statistics: int  # tensors taken from the recalibrated state
    discarded: int  # other tensors the recalibration changed, kept as train() left them

    def describe(self) -> str:
        line = (
            f"[train] batch-norm running statistics recalibrated on the first {self.images} "
            f"training images handed out ({self.statistics} tensors); the weights are those "
            "train() returned"
        )
        if self.discarded:
            line += (
                f"; {self.discarded} other tensors changed during the recalibration and were "
                "discarded (a model trains only inside train())"
            )
        return line


def recalibration_images(
    budget_images: int, images: np.ndarray, plan: list[np.ndarray], batches_handed: int
) -> np.ndarray:
    """The first ``budget_images`` images of the plan's batches that were handed out."""
    handed = plan[:batches_handed]
    if budget_images <= 0 or not handed:
        return images[:0]
    order = np.concatenate(handed)[:budget_images]
    return np.ascontiguousarray(images[order], dtype=np.float32)


def wanted(budget_images: int, reference: TrainedReference | None, table: np.ndarray) -> bool:
    """Whether to recalibrate: the budget asks, and the state is the reference's layout with
    batch norm in it (AlexNet and VGG-16 have none: nothing to do)."""
    return (
        budget_images > 0
        and reference is not None
        and bool(reference.statistics)
        and table_shapes(table) == reference.shapes
    )


def recalibrate(
    session: Session,
    images: np.ndarray,
    batch_size: int,
    trained: np.ndarray,
    table: np.ndarray,
    reference: TrainedReference,
    timeout: float,
) -> Recalibrated:
    """Ask the harness to recalibrate on ``images``; the trained state with the reference's
    statistics positions taken from its reply."""
    request = wire.Recalibrate(images=session.put(images), batch_size=int(batch_size))
    reply = session.recalibrate(request, timeout=timeout)
    if len(reply.tensors) != 2 or tuple(reply.tensors[0].shape) != tuple(trained.shape):
        raise ProtocolViolation("a recalibrated state is the trained state's vector and table")
    if not np.array_equal(read_shape_table(session, reply, index=1), table):
        raise ProtocolViolation("the recalibrated state's shapes differ from the trained state's")
    after = session.get(reply, 0, reply.tensors[0].shape)
    values, taken, discarded = take_statistics(trained, after, table, reference.statistics)
    return Recalibrated(values, len(images), taken, discarded)


def take_statistics(
    trained: np.ndarray, after: np.ndarray, table: np.ndarray, statistics: tuple[int, ...]
) -> tuple[np.ndarray, int, int]:
    """``trained`` with the tensors at ``statistics`` (positions in ``table``) taken from
    ``after``; also how many were taken and how many other tensors differ (not taken)."""
    wanted_positions = set(statistics)
    values = np.array(trained, copy=True)
    offset = taken = discarded = 0
    for position, shape in enumerate(table_shapes(table)):
        size = math.prod(shape)
        chunk = slice(offset, offset + size)
        offset += size
        if position in wanted_positions:
            values[chunk] = after[chunk]
            taken += 1
        elif not np.array_equal(trained[chunk], after[chunk]):
            discarded += 1
    if offset != trained.size or trained.shape != after.shape:
        raise ProtocolViolation("a state does not match its shapes table")
    return values, taken, discarded
