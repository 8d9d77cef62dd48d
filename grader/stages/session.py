"""One sandboxed run of the harness: a stage ("public" or "hidden") of a part.

``run_stage`` makes the IPC folder, starts the sandbox, waits for the harness to connect,
hands a ``Session`` to the part's code, and always tears everything down. Whatever went wrong
becomes a ``StageFailure`` decided from the trusted side's own observations: the channel, and
the sandbox's result record (out of memory, over the wall clock), never from files the
sandbox wrote.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np

from grader.errors import GraderError
from grader.harness.arena_harness import wire
from grader.pretrained import PretrainedError, remove_staged, stage_pretrained
from grader.protocol import Channel, ChannelError, QueryTimeout, Reply
from grader.sandbox import RunResult, SandboxProcess
from grader.sandbox.environment import grant_sandbox_access
from grader.stages.config import StageConfig, stage_spec
from grader.stages.failures import StageFailure, from_channel, from_reply
from grader.stages.spares import active_pool

CONNECT_TIMEOUT_S = 120.0
T = TypeVar("T")

# How long the trusted side waits for each kind of reply (never past the stage's wall clock).
# Training and its batches are bounded by the stage's budget instead: their callers pass it.
TIMEOUTS_S: dict[str, float] = {
    "load": 120.0,
    "call": 60.0,
    "audit": 30.0,
    "infer": 120.0,
    "params": 120.0,
    "macs": 120.0,
}
# Past the harness's own import_seconds check: the trusted deadline of a timed import.
IMPORT_MARGIN_S = 10.0


class Session:
    """The part's handle on a running harness; every reply is checked before it is returned."""

    def __init__(self, channel: Channel, config: StageConfig, deadline: float) -> None:
        self.channel = channel
        self.config = config
        self.deadline = deadline
        self.out_window = (wire.align(config.in_bytes), config.out_bytes)

    def remaining(self, timeout: float) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise QueryTimeout("the stage ran out of wall-clock time")
        return min(timeout, left)

    # -- the typed requests (grader.harness.arena_harness.wire); ``what`` names the step in a
    # failure's message --------------------------------------------------------------------
    def load(self, request: wire.Load, *, what: str) -> Reply:
        timeout = TIMEOUTS_S["load"]
        if request.import_seconds:
            timeout = request.import_seconds + IMPORT_MARGIN_S
        return self.request(request, what=what, timeout=timeout)

    def call(self, request: wire.Call, *, what: str) -> Reply:
        return self.request(request, what=what, timeout=TIMEOUTS_S["call"])

    def audit(self, request: wire.Audit, *, what: str) -> Reply:
        return self.request(request, what=what, timeout=TIMEOUTS_S["audit"])

    def infer(self, inputs: np.ndarray, *, what: str) -> Reply:
        """The built model's outputs for ``inputs`` (untimed: the load generator times its own)."""
        return self.request(wire.Infer(self.put(inputs)), what=what, timeout=TIMEOUTS_S["infer"])

    def params(self, *, what: str) -> Reply:
        return self.request(wire.Params(), what=what, timeout=TIMEOUTS_S["params"])

    def macs(self, input_shape: tuple[int, ...], *, what: str) -> Reply:
        return self.request(wire.Macs(input_shape), what=what, timeout=TIMEOUTS_S["macs"])

    def train(self, request: wire.Train | wire.Batch | wire.End, *, timeout: float) -> Reply:
        """One step of a training exchange: the start, a batch or the end (bounded by the
        caller's budget: a loaded worker's steps are slow, never cut short)."""
        return self.request(request, what="training", timeout=timeout)

    def recalibrate(self, request: wire.Recalibrate, *, timeout: float) -> Reply:
        """The trained model's state after batch-norm recalibration (bounded like a training
        step: forward passes only, on a worker that may be loaded)."""
        return self.request(request, what="batch-norm recalibration", timeout=timeout)

    def request(self, request: wire.Request, *, what: str, timeout: float) -> Reply:
        reply = self.channel.request(
            request.payload(), window=self.out_window, timeout=self.remaining(timeout)
        )
        return self.check(reply, what)

    def check(self, reply: Reply, what: str) -> Reply:
        if not reply.ok:
            raise from_reply(reply.status, reply.message, hidden=self.config.hidden, what=what)
        return reply

    def put(self, array: np.ndarray, offset: int = 0) -> dict[str, Any]:
        return self.channel.write_array(array, offset)

    def get(
        self,
        reply: Reply,
        index: int,
        shape: tuple[int, ...] | None = None,
        *,
        finite: bool = True,
        kinds: str = "iuf",
    ) -> np.ndarray:
        """A checked copy of a reply tensor; numbers only unless ``kinds`` admits ``"b"``
        (boolean logits, boxes or states end the stage as a protocol failure)."""
        return self.channel.read_array(reply.tensors[index], shape, finite=finite, kinds=kinds)


@dataclass
class StageOutcome(Generic[T]):
    value: T | None
    failure: StageFailure | None
    logs: str
    start_s: float
    duration_s: float
    result: RunResult | None = field(default=None, repr=False)


def run_stage(config: StageConfig, body: Callable[[Session], T]) -> StageOutcome[T]:
    pool = active_pool()
    spare = pool.take(config) if pool is not None else None
    stock_spare = None
    if pool is not None and config.name == "public":
        # The part's hidden stage follows with the same sandbox: it starts beside this untimed
        # stage, and finds torch imported (spares.py). Only once this stage has its own CPU
        # slot: a spare takes a slot only if one is free, and stocked first it could take the
        # last one and wait for a claim that never comes (two gradings at once on two slots,
        # each stage waiting for the slot the other grading's spare holds).
        stock_spare = partial(pool.stock, config)
    if spare is not None:
        try:
            claimed = spare.claim(config)
        except OSError:  # its files could not be placed (a full disk): start cold instead
            spare.close()
        else:
            try:
                return _run_stage(config, body, claimed=claimed, on_open=stock_spare)
            finally:
                spare.close()
    pretrained_dir = _stage_pretrained(config)  # before anything of the mentee's runs
    try:
        return _run_stage(config, body, pretrained_dir=pretrained_dir, on_open=stock_spare)
    finally:
        if pretrained_dir is not None:
            remove_staged(pretrained_dir)


def _stage_pretrained(config: StageConfig) -> Path | None:
    """The verified read-only copies of the declared backbones; a bad file ends the stage as
    an ``error`` (the worker's files are wrong, not the submission)."""
    if not config.pretrained:
        return None
    try:
        return stage_pretrained(config.pretrained)
    except PretrainedError as exc:
        raise StageFailure(
            "error", "pretrained", f"{config.name} stage: not started: {exc.message}"
        ) from exc


@contextlib.contextmanager
def _cold_sandbox(
    config: StageConfig, pretrained_dir: Path | None
) -> Iterator[tuple[Channel, SandboxProcess]]:
    """A sandbox started for this stage now (no spare waited for it)."""
    ipc_dir = Path(tempfile.mkdtemp(prefix="arena-ipc-"))
    try:
        channel = Channel(ipc_dir, wire.align(config.in_bytes) + config.out_bytes)
        try:
            grant_sandbox_access(ipc_dir, writable=True)
            grant_sandbox_access(config.submission)
            if config.inputs is not None:
                grant_sandbox_access(config.inputs)
            with config.sandbox.open(stage_spec(config, ipc_dir, pretrained_dir)) as proc:
                yield channel, proc
        finally:
            channel.close()
    finally:
        shutil.rmtree(ipc_dir, ignore_errors=True)


@contextlib.contextmanager
def _claimed_spare(
    claimed: tuple[Channel, SandboxProcess],
) -> Iterator[tuple[Channel, SandboxProcess]]:
    """A spare, claimed for this stage (the caller closes it)."""
    channel, _ = claimed
    try:
        yield claimed
    finally:
        channel.close()


def _run_stage(
    config: StageConfig,
    body: Callable[[Session], T],
    *,
    pretrained_dir: Path | None = None,
    claimed: tuple[Channel, SandboxProcess] | None = None,
    on_open: Callable[[], None] | None = None,
) -> StageOutcome[T]:
    started = time.monotonic()
    value: T | None = None
    failure: StageFailure | None = None
    connected = False
    sandbox = (
        _claimed_spare(claimed) if claimed is not None else _cold_sandbox(config, pretrained_dir)
    )
    try:
        with sandbox as (channel, proc):
            if on_open is not None:
                on_open()  # the stage holds its slot now (stocking a spare, above)
            # From the process's start (a spare's: its claim): waiting for a CPU slot
            # (sandbox/slots.py) is not the submission's time.
            deadline = time.monotonic() + config.limits.wall_seconds
            try:
                channel.accept(
                    lambda: proc.poll() is None, min(CONNECT_TIMEOUT_S, config.limits.wall_seconds)
                )
                connected = True
                value = body(Session(channel, config, deadline))
            except ChannelError as exc:
                failure = from_channel(exc, hidden=config.hidden, what=f"{config.name} stage")
            except StageFailure as exc:
                failure = exc
            channel.close()
            result = _finish(proc)
    except GraderError as exc:
        raise StageFailure("error", "sandbox", f"the sandbox could not run: {exc}") from exc
    failure = _classify(failure, result, connected, config)
    return StageOutcome(
        value, failure, _logs(result), result.start_s, time.monotonic() - started, result
    )


def _finish(proc: Any) -> RunResult:
    """Give the harness a moment to exit after ``bye``; then the tree is killed."""
    try:
        return proc.wait(timeout=5.0)
    except TimeoutError:
        proc.kill()
        return proc.wait()


def _classify(
    failure: StageFailure | None, result: RunResult, connected: bool, config: StageConfig
) -> StageFailure | None:
    """The sandbox's own record beats what the channel saw: a broken channel is the symptom."""
    what = f"{config.name} stage"
    if result.oom_killed:
        return StageFailure(
            "failed",
            "memory",
            f"{what}: the submission used more than {config.limits.memory_mb} MB of memory.",
        )
    if result.timed_out:
        return StageFailure(
            "failed",
            "timeout",
            f"{what}: the submission ran over its time "
            f"limit ({config.limits.wall_seconds:g} s wall clock).",
        )
    if result.cpu_limited:  # all its processes and threads together, however short the wall time
        return StageFailure(
            "failed",
            "timeout",
            f"{what}: the submission used more than its {config.limits.cpu_seconds:g} s of CPU "
            "time (all its processes and threads together).",
        )
    if failure is not None and not connected and failure.kind in ("crash", "timeout"):
        # The harness never connected: no mentee code had run yet, so the sandbox broke.
        return StageFailure(
            "error",
            "sandbox",
            f"{what}: the sandbox did not start the harness (exit code {result.exit_code}).",
        )
    if failure is not None and failure.kind == "crash" and result.exit_code and not config.hidden:
        # Exit codes are the submission's choice: shown for the public stage only (threat 20).
        return StageFailure(
            "failed",
            "crash",
            f"{what}: the submission's process ended unexpectedly (exit code {result.exit_code}).",
        )
    return failure


def _logs(result: RunResult) -> str:
    text = (result.stdout + result.stderr).decode("utf-8", "replace")
    if result.output_truncated:
        text += "\n[output cut: the sandbox keeps only the first bytes of each stream]\n"
    return text


__all__ = ["Session", "StageConfig", "StageFailure", "StageOutcome", "run_stage", "stage_spec"]
