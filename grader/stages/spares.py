"""Pre-started sandboxes ("spares"): a stage's sandbox started before the stage needs it.

Starting a sandbox costs its harness's torch import: 2.5 s on an idle 2-core worker, far more
on a loaded one, and every stage pays it. A spare is a sandbox whose harness (``--spare``) has
done its imports and waits on stdin for the go line before it connects. While a part's public
stage runs, a spare for its hidden stage starts beside it, so the hidden stage finds torch
already imported.

A spare serves exactly one stage and is then torn down like any sandbox. What shapes a sandbox
is fixed when it starts, so it is the spare's ``SpareKey`` (backend, limits, GPUs, packages,
threads, backbones, whether inputs are mounted); a stage takes a spare only with an equal key.
What the stage brings is put in place at the claim, before the go line: the submission's files
and the stage's input files (hard links where the filesystem allows, else copies) into the
spare's own read-only mounted folders, and the shared-memory file's size. The wall clock runs
from the claim; the import's CPU time counts against ``cpu_seconds`` as in a cold start. The
harness reads nothing of the submission before the go line, so no mentee code runs early, and
a spare never outlives its pool (one grading).

Timing stays fair: spares start beside public stages only (untimed), never beside a hidden or
training stage, and with CPU slots a spare takes a free slot of its own or is not started.
"""

from __future__ import annotations

import collections
import contextlib
import contextvars
import dataclasses
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from grader.bundle import Pretrained
from grader.errors import GraderError
from grader.harness.arena_harness.wire import SPARE_GO
from grader.pretrained import PretrainedError, remove_staged, stage_pretrained
from grader.protocol import Channel
from grader.sandbox import Limits, Sandbox, SpareProcess
from grader.sandbox.environment import grant_sandbox_access
from grader.stages.config import StageConfig, stage_spec

__all__ = ["Spare", "SpareKey", "SparePool", "active_pool", "spare_pool"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SpareKey:
    """Everything fixed at a sandbox's start; a spare serves only a stage with an equal key."""

    backend: str  # the sandbox backend's name
    limits: Limits
    gpus: str
    packages: tuple[str, ...]
    threads: int
    pretrained: tuple[Pretrained, ...]
    inputs: bool

    @classmethod
    def of(cls, config: StageConfig) -> SpareKey:
        return cls(
            config.sandbox.name,
            config.limits,
            config.gpus,
            tuple(config.packages),
            config.threads,
            tuple(config.pretrained),
            config.inputs is not None,
        )

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SpareKey:
        """A key written by ``to_json`` (the trusted side's own file); ValueError otherwise."""
        try:
            data = json.loads(text)
            return cls(
                backend=str(data["backend"]),
                limits=Limits().merged(data["limits"]),
                gpus=str(data["gpus"]),
                packages=tuple(str(p) for p in data["packages"]),
                threads=int(data["threads"]),
                pretrained=tuple(
                    Pretrained(str(p["name"]), str(p["sha256"])) for p in data["pretrained"]
                ),
                inputs=bool(data["inputs"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"not a spare key: {exc}") from None

    def stage_config(self, sandbox: Sandbox) -> StageConfig:
        """A stage of this shape, for starting a spare (its files come with the real stage)."""
        return StageConfig(
            name="public",
            submission=Path("/nonexistent"),  # never read: a spare mounts its own folder
            limits=self.limits,
            sandbox=sandbox,
            gpus=self.gpus,
            inputs=Path("/nonexistent") if self.inputs else None,
            threads=self.threads,
            pretrained=self.pretrained,
            packages=self.packages,
        )


class Spare:
    """One started sandbox waiting for its stage; ``close`` tears it down, claimed or not."""

    def __init__(self, config: StageConfig) -> None:
        self.key = SpareKey.of(config)
        self.root = Path(tempfile.mkdtemp(prefix="arena-spare-"))
        self._stack = contextlib.ExitStack()
        self._pretrained: Path | None = None
        try:
            self.ipc = self._folder("ipc")
            self.submission = self._folder("submission")
            self.inputs = self._folder("inputs") if self.key.inputs else None
            self.channel = Channel(self.ipc, 4096)  # the stage's size is set at the claim
            self._stack.callback(self.channel.close)
            grant_sandbox_access(self.ipc, writable=True)
            if self.key.pretrained:
                self._pretrained = stage_pretrained(self.key.pretrained)
            spec = stage_spec(
                config,
                self.ipc,
                self._pretrained,
                submission=self.submission,
                inputs=self.inputs,
                spare=True,
            )
            self.process: SpareProcess = self._stack.enter_context(config.sandbox.open_spare(spec))
        except BaseException:
            self.close()
            raise

    def _folder(self, name: str) -> Path:
        folder = self.root / name
        folder.mkdir()
        grant_sandbox_access(folder)
        return folder

    def alive(self) -> bool:
        return self.process.poll() is None

    def claim(self, config: StageConfig) -> tuple[Channel, SpareProcess]:
        """Put the stage's files and size in place and let the harness connect (OSError: the
        files could not be placed; the spare is then of no use)."""
        _place(config.submission, self.submission)
        if config.inputs is not None and self.inputs is not None:
            _place(config.inputs, self.inputs)
        from grader.harness.arena_harness import wire

        self.channel.resize(wire.align(config.in_bytes) + config.out_bytes)
        self.process.go(SPARE_GO)
        return self.channel, self.process

    def close(self) -> None:
        try:
            self._stack.close()
        finally:
            if self._pretrained is not None:
                remove_staged(self._pretrained)
            shutil.rmtree(self.root, ignore_errors=True)


def _place(source: Path, target: Path) -> None:
    """``source``'s tree inside the empty folder ``target``: hard links (same filesystem) or
    copies, symbolic links as links; then readable by the sandbox user, like a cold mount."""
    for dirpath, dirnames, filenames in os.walk(source):
        here = Path(dirpath)
        into = target / here.relative_to(source)
        for name in dirnames:
            if (here / name).is_symlink():
                os.symlink(os.readlink(here / name), into / name)
            else:
                (into / name).mkdir()
        dirnames[:] = [d for d in dirnames if not (here / d).is_symlink()]
        for name in filenames:
            origin = here / name
            if origin.is_symlink():
                os.symlink(os.readlink(origin), into / name)
                continue
            try:
                os.link(origin, into / name)
            except OSError:
                shutil.copy2(origin, into / name)
    grant_sandbox_access(target)


class SparePool:
    """Spares waiting by key, for the stages of one grading (or, opened around a grading by
    ``python -m grader warm``, started before the grading was known)."""

    def __init__(self) -> None:
        self._spares: dict[SpareKey, list[Spare]] = {}
        self.started = 0
        self.claimed = 0
        # The key of the first stage asked for, and how many stages asked for each key: what
        # the next grading like this one needs first.
        self.first_key: SpareKey | None = None
        self.demand: collections.Counter[SpareKey] = collections.Counter()

    def waiting(self, key: SpareKey | None = None) -> list[Spare]:
        if key is not None:
            return list(self._spares.get(key, ()))
        return [spare for group in self._spares.values() for spare in group]

    def stock(self, config: StageConfig, count: int = 1) -> None:
        """Have ``count`` spares for stages like ``config`` waiting; one that cannot start (no
        free slot, no backbone, a backend without spares) is simply not there."""
        key = SpareKey.of(config)
        if not config.sandbox.supports_spares:
            return
        group = self._spares.setdefault(key, [])
        while len(group) < count:
            try:
                group.append(Spare(config))
            except (GraderError, PretrainedError, OSError) as exc:
                log.info("no spare sandbox: %s", exc)
                return
            self.started += 1

    def take(self, config: StageConfig) -> Spare | None:
        """A live spare for ``config``'s key, now the caller's to claim and close; or None.

        Spares of other keys are torn down: the stage they were started for did not come, and
        one still importing must not take CPU from a timed stage."""
        key = SpareKey.of(config)
        if self.first_key is None:
            self.first_key = key
        self.demand[key] += 1
        group = self._spares.pop(key, [])
        self.close()
        while group:
            spare = group.pop(0)
            if spare.alive():
                if group:
                    self._spares[key] = group
                self.claimed += 1
                return spare
            spare.close()  # killed by a limit while it waited: try the next, else start cold
        return None

    def close(self) -> None:
        spares, self._spares = self.waiting(), {}
        for spare in spares:
            spare.close()


_ACTIVE: contextvars.ContextVar[SparePool | None] = contextvars.ContextVar(
    "arena_spare_pool", default=None
)


def active_pool() -> SparePool | None:
    """The pool of the grading running in this context (None: every stage starts cold)."""
    return _ACTIVE.get()


@contextlib.contextmanager
def spare_pool(enabled: bool = True) -> Iterator[SparePool | None]:
    """Spares for the stages run inside the block; every unclaimed one is torn down at its end.
    Inside an enabled pool's block the same pool is used (and closed by its opener)."""
    outer = _ACTIVE.get()
    if enabled and outer is not None:
        yield outer
        return
    pool = SparePool() if enabled else None
    token = _ACTIVE.set(pool)
    try:
        yield pool
    finally:
        _ACTIVE.reset(token)
        if pool is not None:
            pool.close()
