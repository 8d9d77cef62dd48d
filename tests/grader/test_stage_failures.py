"""How a stage's end is told to the mentee: the sandbox's own record names the limit hit."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.sandbox.base import Limits, RunResult
from grader.stages.session import StageConfig, _classify

LIMITS = Limits(wall_seconds=15, cpu_seconds=8)


def ended(**flags: bool) -> RunResult:
    record = {"timed_out": False, "oom_killed": False, "cpu_limited": False, **flags}
    return RunResult(exit_code=-9, stdout=b"", stderr=b"", duration_s=6.6,
                     output_truncated=False, start_s=0.1, **record)


def config() -> StageConfig:
    return StageConfig(name="hidden", submission=Path("/nonexistent"), limits=LIMITS,
                       sandbox=None)  # type: ignore[arg-type]  # _classify never uses it


@pytest.mark.parametrize(
    ("flags", "kind", "says"),
    [
        ({"timed_out": True}, "timeout", "15 s wall clock"),
        ({"cpu_limited": True}, "timeout", "8 s of CPU time"),
        ({"oom_killed": True}, "memory", "2048 MB of memory"),
    ],
)
def test_the_message_names_the_limit_that_ended_the_stage(flags, kind, says):
    failure = _classify(None, ended(**flags), True, config())
    assert failure is not None and failure.status == "failed" and failure.kind == kind
    assert says in failure.message, failure.message


def test_a_cpu_kill_is_not_called_a_wall_clock_overrun():
    failure = _classify(None, ended(cpu_limited=True), True, config())
    assert "wall clock" not in failure.message
