"""Pre-started sandboxes (grader/stages/spares.py), with the real bubblewrap backend.

A spare is started beside a public stage and serves the hidden stage that follows. These tests
prove what makes that safe and fair: the harness connects only after the go line, the wall
clock runs from the claim, the stage sees exactly the submission's files, a spare never waits
for a CPU slot, a spare nobody takes is torn down, and a grading with spares scores as one
without.
"""

from __future__ import annotations

import json
import os
import select
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from grader.grading import GradeOptions, grade
from grader.harness.arena_harness import wire
from grader.sandbox import Limits, Sandbox
from grader.sandbox.slots import acquire_slot, slot_config
from grader.stages import spares
from grader.stages.session import Session, StageConfig, run_stage
from grader.stages.spares import SparePool, spare_pool

pytestmark = [pytest.mark.bwrap, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SUBMISSION = """
    import time
    import torch
    from helpers.values import ANSWER

    def answer():
        return torch.tensor([ANSWER], dtype=torch.float64)

    def hang():
        time.sleep(600)

    def sabotage():
        # Signal every process it can reach, then look for the spare's files from inside.
        import glob, os, signal
        try:
            os.kill(-1, signal.SIGKILL)
        except OSError:
            pass
        found = glob.glob("/tmp/arena-spare-*") + glob.glob("/scratch/../tmp/arena-spare-*")
        return torch.tensor([float(len(found))], dtype=torch.float64)
"""


@pytest.fixture
def submission(tmp_path: Path) -> Path:
    """An entry module that imports a package of its own (the tree reaches the spare whole)."""
    folder = tmp_path / "submission"
    (folder / "helpers").mkdir(parents=True)
    (folder / "submission.py").write_text(textwrap.dedent(SUBMISSION))
    (folder / "helpers" / "__init__.py").write_text("")
    (folder / "helpers" / "values.py").write_text("ANSWER = 42.0\n")
    os.chmod(tmp_path, 0o755)
    return folder


def config_for(sandbox: Sandbox, submission: Path, name: str, **limits: float) -> StageConfig:
    return StageConfig(
        name=name,
        submission=submission,
        limits=Limits(**{"wall_seconds": 60.0, "cpu_seconds": 120, **limits}),
        sandbox=sandbox,
    )


def call(session: Session, function: str) -> float:
    session.load(wire.Load("submission.py"), what="loading")
    reply = session.call(wire.Call(function), what=function)
    return float(session.get(reply, 0, (1,))[0])


def test_the_harness_connects_only_after_the_go_line_and_sees_the_whole_tree(
    bwrap_sandbox: Sandbox, submission: Path
) -> None:
    public = config_for(bwrap_sandbox, submission, "public")
    with spare_pool() as pool:
        assert pool is not None
        pool.stock(public)
        (spare,) = pool.waiting()
        time.sleep(2.0)
        assert spare.alive()
        # No connection is pending and nothing of the submission is there before the claim.
        ready, _, _ = select.select([spare.channel.listener], [], [], 0)
        assert ready == []
        assert list(spare.submission.iterdir()) == []
        outcome = run_stage(replace(public, name="hidden"), lambda s: call(s, "answer"))
        assert outcome.failure is None, outcome.failure
        assert outcome.value == 42.0
        assert pool.claimed == 1


def test_a_public_stage_cannot_reach_the_spare_waiting_beside_it(
    bwrap_sandbox: Sandbox, submission: Path
) -> None:
    """Attack: the public stage's code kills all it can signal (kill -1) and looks for the
    spare's folders; the hidden stage then runs in that spare, untouched."""
    public = config_for(bwrap_sandbox, submission, "public")
    with spare_pool() as pool:
        assert pool is not None
        outcome = run_stage(public, lambda s: call(s, "sabotage"))  # stocks the hidden spare
        (spare,) = pool.waiting()
        assert spare.alive()
        hidden = run_stage(replace(public, name="hidden"), lambda s: call(s, "answer"))
        assert pool.claimed == 1
    assert hidden.failure is None, hidden.failure
    assert hidden.value == 42.0
    # The sabotage ended its own stage at most; it found none of the spare's files.
    assert outcome.value in (None, 0.0)


def test_the_wall_clock_of_a_spare_runs_from_its_claim(
    bwrap_sandbox: Sandbox, submission: Path
) -> None:
    public = config_for(bwrap_sandbox, submission, "public", wall_seconds=8.0)
    with spare_pool() as pool:
        assert pool is not None
        pool.stock(public)
        time.sleep(4.0)  # half the wall clock spent waiting: none of it is the submission's
        claimed = time.monotonic()
        outcome = run_stage(replace(public, name="hidden"), lambda s: call(s, "hang"))
        after_claim = time.monotonic() - claimed
        assert pool.claimed == 1
    assert outcome.failure is not None and outcome.failure.kind == "timeout"
    # Killed by its own 8 s, counted from the claim, not 4 s after it.
    assert after_claim >= 7.5, after_claim
    assert outcome.result is not None and outcome.result.duration_s >= 7.5


def test_a_spare_nobody_takes_is_torn_down(bwrap_sandbox: Sandbox, submission: Path) -> None:
    public = config_for(bwrap_sandbox, submission, "public")
    pool = SparePool()
    try:
        pool.stock(public)
        (spare,) = pool.waiting()
        # A stage of another shape (other limits) comes: the waiting spare is of no use.
        assert pool.take(replace(public, name="train", limits=Limits(wall_seconds=30.0))) is None
        assert not spare.root.exists()
        assert spare.process.poll() is not None
    finally:
        pool.close()


def test_with_every_slot_busy_no_spare_starts_and_nothing_waits(
    bwrap_sandbox: Sandbox, submission: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARENA_SANDBOX_SLOTS", "1")
    monkeypatch.setenv("ARENA_SANDBOX_CORES_PER_SLOT", "1")
    monkeypatch.setenv("ARENA_SANDBOX_SLOT_DIR", str(tmp_path / "slots"))
    pool = SparePool()
    with acquire_slot(slot_config()):  # the stage that would stock it holds the only slot
        started = time.monotonic()
        pool.stock(config_for(bwrap_sandbox, submission, "public"))
        assert time.monotonic() - started < 5.0
    assert pool.started == 0 and pool.waiting() == []
    pool.close()


def test_a_grading_with_spares_scores_as_one_without(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Week 1's solution and one wrong upload, spares on and off: the same reports."""
    claimed: list[bool] = []
    take = SparePool.take

    def recording_take(self: SparePool, config: StageConfig) -> spares.Spare | None:
        spare = take(self, config)
        claimed.append(spare is not None)
        return spare

    monkeypatch.setattr(SparePool, "take", recording_take)
    bundle = ROOT / "assignments" / "week1-tensors"
    wrong = bundle / "wrong" / "unbiased_variance.py"
    reports = {}
    for flag in ("1", "0"):
        monkeypatch.setenv("ARENA_SPARE_SANDBOXES", flag)
        for upload in (bundle / "solution", wrong):
            report = grade(bundle, upload, GradeOptions(sandbox="bwrap"))
            reports[(flag, upload.name)] = (report.status, report.score, _verdicts(report))
    assert claimed == [False, True, False, True]  # public cold, hidden from its spare; then off
    for upload in ("solution", wrong.name):
        assert reports[("1", upload)] == reports[("0", upload)]
    assert reports[("1", "solution")][1] == 100.0
    assert reports[("1", wrong.name)][1] < 100.0


def test_two_gradings_at_once_on_as_many_slots_both_finish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A spare is stocked only once its stage holds a slot: stocked first, each grading's spare
    took a slot and both public stages waited for one for ever (found by the throughput bench)."""
    import threading

    monkeypatch.setenv("ARENA_SPARE_SANDBOXES", "1")
    monkeypatch.setenv("ARENA_SANDBOX_SLOTS", "2")
    monkeypatch.setenv("ARENA_SANDBOX_CORES_PER_SLOT", "1")
    monkeypatch.setenv("ARENA_SANDBOX_SLOT_DIR", str(tmp_path / "slots"))
    bundle = ROOT / "assignments" / "week1-tensors"
    scores: list[float] = []
    barrier = threading.Barrier(2)

    def one() -> None:
        barrier.wait()
        scores.append(grade(bundle, bundle / "solution", GradeOptions(sandbox="bwrap")).score)

    threads = [threading.Thread(target=one, daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    assert not any(thread.is_alive() for thread in threads), "the gradings wait for each other"
    assert scores == [100.0, 100.0]


def _verdicts(report) -> list[tuple[str, bool, float]]:
    return [(c.name, c.passed, float(np.round(c.points, 6))) for c in report.checks]


# -- python -m grader warm: the process the platform's worker starts before its job ---------------


def test_a_warm_grader_grades_its_job_with_spares_started_before_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The key file of one grading makes the next one's spares: both week 1 stages use them."""
    import io

    from grader.cli import main
    from grader.warm import run_warm

    pools: list[SparePool] = []
    original = spares.SparePool.__init__

    def recording_init(self: SparePool) -> None:
        original(self)
        pools.append(self)

    monkeypatch.setattr(spares.SparePool, "__init__", recording_init)
    key_file = tmp_path / "warm" / "key.json"
    bundle = ROOT / "assignments" / "week1-tensors"
    job = json.dumps(
        ["grade", "--assignment", str(bundle), "--submission", str(bundle / "solution"),
         "--json", "--sandbox", "bwrap"]
    )
    reports = []
    for _ in range(2):
        assert run_warm(key_file, main, io.StringIO(job)) == 0
        reports.append(json.loads(capsys.readouterr().out))
    assert [r["score"] for r in reports] == [100.0, 100.0]
    recorded = json.loads(key_file.read_text())
    assert recorded["stages"] == 2 and recorded["key"]["backend"] == "bwrap"
    first, second = pools
    assert (first.started, first.claimed) == (1, 1)  # only the hidden stage had a spare
    assert (second.started, second.claimed) == (2, 2)  # both, started before the job came


def test_a_warm_grader_refuses_anything_but_a_grade_job(tmp_path: Path) -> None:
    import io

    from grader.cli import main
    from grader.errors import GraderError
    from grader.warm import parse_job, run_warm

    assert run_warm(tmp_path / "key.json", main, io.StringIO("")) == 0  # discarded: nothing to do
    for raw in ('["list"]', '{"grade": 1}', "not json", '["grade", 3]'):
        with pytest.raises(GraderError):
            parse_job(raw)


def test_a_backend_without_spares_refuses_to_start_one_and_the_pool_starts_none(
    submission: Path,
) -> None:
    """Docker's backend watches no local process: no spare, a clear error, cold stages."""
    from grader.errors import GraderError

    class NoSpares(Sandbox):
        name = "docker"
        python = "python3"

        def _open(self, spec, stdin):  # type: ignore[no-untyped-def]
            raise AssertionError("never started")

        @classmethod
        def available(cls) -> str | None:
            return None

    backend = NoSpares()
    with pytest.raises(GraderError, match="cannot start spare sandboxes"):
        backend.open_spare(None)  # type: ignore[arg-type]
    pool = SparePool()
    pool.stock(config_for(backend, submission, "public"))
    assert pool.started == 0 and pool.waiting() == []
