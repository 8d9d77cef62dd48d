"""What shapes a stage's sandbox: ``StageConfig`` and the one function that turns it into a
``SandboxSpec`` (used by cold starts in ``session.py`` and by spares in ``spares.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.bundle import Pretrained
from grader.pretrained import MOUNT_TARGET
from grader.sandbox import Limits, Mount, Sandbox, SandboxSpec

__all__ = ["HARNESS_DIR", "StageConfig", "stage_spec"]

HARNESS_DIR = Path(__file__).resolve().parent.parent / "harness"


@dataclass(frozen=True)
class StageConfig:
    name: str  # "public" | "hidden"
    submission: Path
    limits: Limits
    sandbox: Sandbox
    gpus: str = "none"
    inputs: Path | None = None  # read-only stage inputs, mounted at /arena/inputs
    in_bytes: int = 1 << 20  # shm space for inputs, then for outputs
    out_bytes: int = 1 << 20
    threads: int = 0
    # The bundle's pretrained backbones: verified, then mounted read-only at /arena/pretrained.
    pretrained: tuple[Pretrained, ...] = ()
    # Optional packages the sandbox sees (the bundle's runtime_packages, e.g. torchvision).
    packages: tuple[str, ...] = ()

    @property
    def hidden(self) -> bool:
        return self.name == "hidden"


def stage_spec(
    config: StageConfig,
    ipc_dir: Path,
    pretrained_dir: Path | None = None,
    *,
    submission: Path | None = None,
    inputs: Path | None = None,
    spare: bool = False,
) -> SandboxSpec:
    """The sandbox of ``config``'s stage; a spare's mounts its own (still empty) folders for the
    submission and the inputs, filled at its claim."""
    inputs = inputs if inputs is not None else config.inputs
    mounts = [
        Mount(HARNESS_DIR, "/arena/harness"),
        Mount(submission or config.submission, "/arena/submission"),
        Mount(ipc_dir, "/arena/ipc", writable=True),
    ]
    argv_inputs: list[str] = []
    if inputs is not None:
        mounts.append(Mount(inputs, "/arena/inputs"))
        # Paths reach the harness on argv only, so a backend can map them (the `none` one does).
        argv_inputs = ["--inputs", "/arena/inputs"]
    if pretrained_dir is not None:
        # Only the declared backbones, read-only; the harness sets $ARENA_PRETRAINED from argv.
        mounts.append(Mount(pretrained_dir, MOUNT_TARGET))
        argv_inputs += ["--pretrained", MOUNT_TARGET]
    argv = [
        "{python}",
        "-m",
        "arena_harness",
        "--ipc",
        "/arena/ipc",
        "--submission",
        "/arena/submission",
        *argv_inputs,
    ]
    if config.threads:
        argv += ["--threads", str(config.threads)]
    if spare:
        argv.append("--spare")
    return SandboxSpec(
        argv=argv, mounts=mounts, limits=config.limits, gpus=config.gpus, packages=config.packages
    )
