"""What every part gets (``PartContext``) and returns (``PartResult``), and hidden-data access."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from grader.bundle import Bundle, Part
from grader.report import CheckResult
from grader.sandbox import Limits, Sandbox
from grader.stages.failures import StageFailure
from grader.stages.session import StageConfig, StageOutcome


@dataclass(frozen=True)
class PartContext:
    bundle: Bundle
    part: Part
    submission: Path
    hidden: Path  # this part's folder of the bundle's hidden data
    sandbox: Sandbox
    limits: Limits
    gpus: str = "none"
    work: Path = Path("/tmp")  # a private folder for stage inputs, removed afterwards

    def stage(self, name: str, **kwargs: Any) -> StageConfig:
        return StageConfig(
            name=name,
            submission=self.submission,
            limits=self.limits,
            sandbox=self.sandbox,
            gpus=self.gpus,
            pretrained=self.bundle.pretrained,
            packages=self.bundle.runtime_packages,
            **kwargs,
        )

    @property
    def device(self) -> str:
        return "cpu" if self.gpus == "none" else "cuda"


@dataclass
class PartResult:
    checks: list[CheckResult] = field(default_factory=list)
    metrics: dict[str, float | int] = field(default_factory=dict)
    logs: list[str] = field(default_factory=list)  # public: the mentee reads these
    hidden_logs: list[str] = field(default_factory=list)  # mentors only
    failure: StageFailure | None = None
    timings: dict[str, float] = field(default_factory=dict)
    # Points this part would earn on the private split instead of the public one (competition
    # parts with a split); the difference makes the report's private_score.
    private_points_delta: float | None = None
    # Words for mentors the report carries in ``flags`` (e.g. "memorisation": rank held).
    flags: list[str] = field(default_factory=list)
    # functions parts: each public case's detail (kinds/functions/detail.py), public stage only.
    public_cases: list[dict] = field(default_factory=list)

    def absorb(self, outcome: StageOutcome, stage: str) -> bool:
        """Record a stage's logs and timings; False if it failed (then ``failure`` is set)."""
        target = self.hidden_logs if stage == "hidden" else self.logs
        if outcome.logs:
            target.append(f"--- {stage} stage output ---\n{outcome.logs}")
        self.timings.setdefault("sandbox_start_s", outcome.start_s)
        self.timings[f"{stage}_stage_s"] = (
            self.timings.get(f"{stage}_stage_s", 0.0) + outcome.duration_s
        )
        if outcome.failure is not None:
            self.failure = outcome.failure
            return False
        return True

    def fail_all(self, checks: list[CheckResult], reason: str) -> None:
        """Every check earns nothing: the part could not be graded past its failure."""
        for check in checks:
            check.passed, check.points, check.message = False, 0.0, reason
        self.checks.extend(checks)


def load_npz(path: Path) -> dict[str, np.ndarray]:
    """Hidden data files are plain arrays: no pickles even on the trusted side."""
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def has(path: Path) -> bool:
    return path.is_file()


class Stopwatch:
    def __init__(self) -> None:
        self.started = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.started
