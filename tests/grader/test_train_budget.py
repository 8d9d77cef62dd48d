"""``train`` parts' budget: a fixed amount of work handed out by the trusted side
(``grader.kinds.train.feed``: the batches, in the seeded order), the harness's default loop
(one step per batch), and the GPU budget chosen on GPU workers (``[parts.budget.gpu]``,
``[parts.scoring.gpu]``). What a hostile submission cannot do with it is
``test_train_containment.py``."""

from __future__ import annotations

import shutil
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
import torch

from grader.bundle import Budget, BundleError, load_bundle
from grader.harness.arena_harness import training
from grader.kinds.train import feed as train_feed
from grader.kinds.train import grade as train_part
from grader.stages.context import PartContext, PartResult

BUNDLES = Path(__file__).resolve().parent / "bundles"


def budget(**overrides: object) -> dict:
    return {**asdict(Budget(seconds=30, epochs=1, batch_size=8, lr=0.05)), **overrides}


def data(n: int = 40) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    images = torch.rand(n, 1, 4, 4, generator=generator)
    return images, (images.mean(dim=(1, 2, 3)) > 0.5).long()


def tiny_model(seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 2))


# -- the plan: fixed work, in the seeded order ---------------------------------------------


def test_the_work_is_fixed_images_then_epochs() -> None:
    sizes = [len(b) for b in train_feed.batch_plan(40, budget(images=20))]
    assert sizes == [8, 8, 4]
    plan = train_feed.batch_plan(40, budget(epochs=3))
    assert (len(plan), sum(len(b) for b in plan)) == (15, 120)
    assert train_feed.planned_images(budget(epochs=2, images=1000), 40) == 80


def test_each_epoch_is_a_seeded_permutation_of_the_split() -> None:
    """The order the sandbox's loop used to draw itself: one randperm per epoch from ``seed``."""
    plan = train_feed.batch_plan(40, budget(epochs=2, seed=7))
    generator = torch.Generator().manual_seed(7)
    for epoch in range(2):
        order = torch.randperm(40, generator=generator).numpy()
        got = np.concatenate(plan[epoch * 5 : (epoch + 1) * 5])
        assert np.array_equal(got, order)
    assert train_feed.batch_plan(40, budget(epochs=2, seed=7))[3].tolist() == plan[3].tolist()


def test_the_default_loop_makes_one_step_per_batch_and_is_deterministic() -> None:
    images, labels = data(40)
    plan = train_feed.batch_plan(40, budget(epochs=2, optimizer="adam"))
    a, b = tiny_model(), tiny_model()
    run = training.default_loop(a, ((images[i], labels[i]) for i in plan), budget(optimizer="adam"))
    training.default_loop(b, ((images[i], labels[i]) for i in plan), budget(optimizer="adam"))
    assert (run.steps, run.images) == (10, 80)
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)


def test_the_seed_fixes_the_initial_weights() -> None:
    training.seed_everything(budget(seed=3))
    first = torch.nn.Linear(4, 4).weight.clone()
    training.seed_everything(budget(seed=3))
    assert torch.equal(first, torch.nn.Linear(4, 4).weight)


def test_a_batch_fits_the_stage_inputs() -> None:
    room = train_feed.batch_bytes(budget(batch_size=64), (3, 32, 32))
    assert room >= 64 * 3 * 32 * 32 * 4 + 64 * 8


# -- the GPU budget: parsed, validated, chosen on GPU workers -------------------------------

GPU_TABLES = """
  [parts.budget.gpu]
  epochs = 6
  seconds = 40
  [parts.scoring.gpu]
  metric_zero = 0.6
  metric_full = 0.95
"""


@pytest.fixture
def fx_train(tmp_path: Path) -> Path:
    target = tmp_path / "fx-train"
    shutil.copytree(BUNDLES / "fx-train", target)
    return target


def add_gpu_tables(bundle: Path, tables: str = GPU_TABLES) -> None:
    path = bundle / "assignment.toml"
    text = path.read_text()
    anchor = "  [parts.timing]"
    assert anchor in text
    path.write_text(text.replace(anchor, tables.strip("\n") + "\n" + anchor, 1))


def test_the_gpu_tables_override_the_cpu_ones_key_by_key(fx_train: Path) -> None:
    add_gpu_tables(fx_train)
    part = load_bundle(fx_train).parts[0]
    assert (part.budget.epochs, part.budget.seconds) == (3, 10)
    assert part.gpu_budget == Budget(seconds=40, epochs=6, batch_size=64, lr=0.01)
    assert (part.gpu_scoring.metric_zero, part.gpu_scoring.metric_full) == (0.6, 0.95)
    assert part.gpu_scoring.accuracy_points == part.scoring.accuracy_points == 100


def test_cpu_workers_keep_the_cpu_budget_and_gpu_workers_take_the_gpu_one(fx_train) -> None:
    add_gpu_tables(fx_train)
    part = load_bundle(fx_train).parts[0]
    assert part.on_device("cpu") is part
    on_gpu = part.on_device("cuda")
    assert on_gpu.budget == part.gpu_budget and on_gpu.scoring == part.gpu_scoring
    assert on_gpu.max_points == part.max_points
    plain = load_bundle(BUNDLES / "fx-train").parts[0]
    assert plain.on_device("cuda") is plain  # no GPU table: the same budget everywhere


def test_a_gpu_budget_alone_keeps_the_cpu_thresholds(fx_train) -> None:
    add_gpu_tables(fx_train, "  [parts.budget.gpu]\n  epochs = 6\n")
    part = load_bundle(fx_train).parts[0]
    assert part.on_device("cuda").scoring == part.scoring
    assert part.on_device("cuda").budget.epochs == 6


@pytest.mark.parametrize(
    "tables,complaint",
    [
        ("  [parts.budget.gpu]\n  epochs = 0\n", r"\[parts.budget.gpu\]: epochs must be positive"),
        ("  [parts.budget.gpu]\n  minutes = 3\n", r"\[parts.budget.gpu\]: unknown keys"),
        ("  [parts.budget.gpu]\n", r"\[parts.budget.gpu\]: is empty"),
        ("  [parts.budget.gpu]\n  optimizer = 'lbfgs'\n", "optimizer 'lbfgs' is not one of"),
        ("  [parts.scoring.gpu]\n  metric_full = 0.95\n", "needs a \\[parts.budget.gpu\\]"),
        (
            GPU_TABLES + "  accuracy_points = 50\n",
            r"\['accuracy_points'\] cannot change on GPU workers",
        ),
        (
            "  [parts.budget.gpu]\n  epochs = 6\n  [parts.scoring.gpu]\n  metric_zero = 0.99\n",
            r"\[parts.scoring.gpu\]: metric_full must be greater than metric_zero",
        ),
    ],
    ids=["not-positive", "unknown-key", "empty", "optimizer", "scoring-alone", "points", "order"],
)
def test_a_wrong_gpu_table_is_named(fx_train: Path, tables: str, complaint: str) -> None:
    add_gpu_tables(fx_train, tables)
    with pytest.raises(BundleError, match=complaint) as caught:
        load_bundle(fx_train)
    assert "assignment.toml" in str(caught.value) and caught.value.permanent


def test_the_cpu_budget_is_validated_too(fx_train: Path) -> None:
    path = fx_train / "assignment.toml"
    path.write_text(path.read_text().replace("epochs = 3", "epochs = 3\n  images = -5", 1))
    with pytest.raises(BundleError, match="images must not be negative"):
        load_bundle(fx_train)


def test_only_train_parts_have_a_gpu_budget(tmp_path: Path) -> None:
    target = tmp_path / "fx-model"
    shutil.copytree(BUNDLES / "fx-model", target)
    path = target / "assignment.toml"
    text = path.read_text()
    anchor = "  [parts.scoring]"
    assert anchor in text
    path.write_text(text.replace(anchor, "  [parts.budget.gpu]\n  epochs = 2\n" + anchor, 1))
    with pytest.raises(BundleError, match="only train parts have a GPU budget"):
        load_bundle(target)


@pytest.mark.parametrize("gpus,expected_epochs", [("none", 3), ("all", 6), ("1", 6)])
def test_grade_train_picks_the_budget_by_the_workers_device(
    fx_train: Path, gpus: str, expected_epochs: int, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    """The grader's part code, with the sandbox stages replaced by recorders."""
    add_gpu_tables(fx_train)
    bundle = load_bundle(fx_train)
    seen: dict[str, object] = {}

    def fake_train_stage(ctx: PartContext, result: PartResult, inputs: Path, reference) -> None:
        # Returns no state, as if training had failed: nothing else runs.
        seen["budget"], seen["scoring"] = ctx.part.budget, ctx.part.scoring

    monkeypatch.setattr(train_part, "train_stage", fake_train_stage)
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    (hidden / "train.npz").write_bytes(b"")
    ctx = PartContext(
        bundle=bundle,
        part=bundle.parts[0],
        submission=tmp_path,
        hidden=hidden,
        sandbox=None,  # type: ignore[arg-type]
        limits=None,  # type: ignore[arg-type]
        gpus=gpus,
        work=tmp_path / "work",
    )
    result = train_part.grade_train(ctx)
    assert seen["budget"].epochs == expected_epochs
    on_gpu = expected_epochs == 6
    assert seen["scoring"].metric_zero == (0.6 if on_gpu else 0.5)
    assert ("GPU worker" if on_gpu else "CPU worker") in result.logs[0]


def test_a_train_hook_with_the_old_signature_is_an_interface_failure() -> None:
    from grader.harness.arena_harness.loading import HarnessFailure

    def old_style(model, images, labels, budget):  # train(model, images, labels, budget)
        return None

    with pytest.raises(HarnessFailure, match=r"train\(\) must take \(model, batches, budget\)"):
        training._check_signature(old_style)
    training._check_signature(lambda model, batches, budget: None)


# -- the budget is work: the same score on a loaded worker, time only a safety net ----------


def spinning_hogs(count: int) -> list:
    """``count`` processes that each spin a CPU core until killed (a loaded worker)."""
    import subprocess
    import sys

    return [
        subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)
    ]


@pytest.mark.slow
@pytest.mark.bwrap
def test_a_train_part_scores_the_same_on_a_loaded_worker(grade_bwrap) -> None:
    """fx-train (3 epochs of 1,024 images, a tiny model) graded on this worker as it is, then
    beside CPU hogs that spin on every core three times over: the training takes several times
    longer, gets every batch of the budget all the same, and the model, its accuracy and the
    score are the same. (Under the old wall-clock ceiling of 10 s the loaded run was cut.)"""
    import os

    quiet = grade_bwrap("fx-train", BUNDLES / "fx-train" / "solution")
    hogs = spinning_hogs(3 * (os.cpu_count() or 2))
    try:
        loaded = grade_bwrap("fx-train", BUNDLES / "fx-train" / "solution")
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    for report in (quiet, loaded):
        assert report.status == "scored", report.to_dict()
        assert report.metrics["train_images"] == 3072, report.logs
        assert "returned before the budget" not in report.logs
    assert loaded.score == quiet.score
    assert loaded.metrics["accuracy"] == quiet.metrics["accuracy"]


def fx_train_copy(tmp_path: Path, seconds: float | None = None, wall: int | None = None) -> Path:
    target = tmp_path / "fx-train"
    shutil.copytree(BUNDLES / "fx-train", target)
    path = target / "assignment.toml"
    text = path.read_text()
    if seconds is not None:
        text = text.replace("  seconds = 10\n", f"  seconds = {seconds}\n", 1)
    if wall is not None:
        text = text.replace("wall_seconds = 60\n", f"wall_seconds = {wall}\n", 1)
    path.write_text(text)
    return target


def grade_source(bundle: Path, source: str, tmp_path: Path, arena_home: Path, monkeypatch):
    from grader.grading import GradeOptions, grade

    monkeypatch.setenv("ARENA_HOME", str(arena_home))
    folder = tmp_path / "upload"
    folder.mkdir()
    (folder / "submission.py").write_text(source)
    return grade(bundle, folder, GradeOptions(sandbox="bwrap"))


SPINNING_TRAIN = '''
import time
import torch
from torch import nn


def build_model(num_classes, in_channels):
    return nn.Sequential(nn.Flatten(), nn.Linear(in_channels * 64, num_classes))


def train(model, batches, budget):
    optimizer = torch.optim.SGD(model.parameters(), lr=budget["lr"])
    for images, labels in batches:
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(images), labels).backward()
        optimizer.step()
    started = time.process_time()
    while time.process_time() - started < 3 * budget["seconds"]:
        pass  # burns CPU time far past the safety net
'''

SLEEPING_TRAIN = SPINNING_TRAIN.replace(
    '''    started = time.process_time()
    while time.process_time() - started < 3 * budget["seconds"]:
        pass  # burns CPU time far past the safety net''',
    "    time.sleep(3600)  # no CPU time at all: only the wall clock can stop it",
)


@pytest.mark.slow
@pytest.mark.bwrap
def test_a_train_past_its_cpu_safety_net_fails_as_a_timeout_not_a_lower_score(
    bwrap_sandbox, arena_home, tmp_path, monkeypatch
) -> None:
    bundle = fx_train_copy(tmp_path, seconds=0.5, wall=600)  # CPU is the net here
    report = grade_source(bundle, SPINNING_TRAIN, tmp_path, arena_home, monkeypatch)
    assert (report.status, report.error.kind, report.score) == ("failed", "timeout", 0.0)
    assert "safety net of 0.5 s of CPU time" in report.error.message, report.error.message


@pytest.mark.slow
@pytest.mark.bwrap
def test_a_train_that_never_returns_meets_the_wall_clock_net(
    bwrap_sandbox, arena_home, tmp_path, monkeypatch
) -> None:
    """It sleeps (no CPU time): the stage's wall clock ends it, and the part says which net."""
    bundle = fx_train_copy(tmp_path, wall=45)
    report = grade_source(bundle, SLEEPING_TRAIN, tmp_path, arena_home, monkeypatch)
    assert (report.status, report.error.kind, report.score) == ("failed", "timeout", 0.0)
    message = report.error.message
    assert "training hit its safety net of 45 s of wall-clock time" in message, message
    assert "the part is not scored" in message


def test_the_cpu_net_is_named_from_the_sandboxs_own_record(fx_train: Path, tmp_path) -> None:
    """The trusted side's verdict when the cgroup stopped the stage on CPU time (the harness's
    own check never got to answer): which net, its size and the budget's work."""
    from grader.sandbox import Limits, RunResult
    from grader.stages.failures import StageFailure
    from grader.stages.session import StageOutcome

    bundle = load_bundle(fx_train)
    ctx = PartContext(
        bundle=bundle, part=bundle.parts[0], submission=tmp_path, hidden=tmp_path,
        sandbox=None, limits=Limits(wall_seconds=60), work=tmp_path,  # type: ignore[arg-type]
    )
    record = RunResult(
        exit_code=-9, stdout=b"", stderr=b"", duration_s=70.0, timed_out=False,
        oom_killed=False, output_truncated=False, cpu_limited=True, start_s=0.1,
    )
    crashed = StageFailure("failed", "crash", "train stage: the process ended unexpectedly.")
    outcome = StageOutcome(None, crashed, "", 0.1, 70.0, record)
    verdict = train_part.safety_net_failure(ctx, outcome)
    assert verdict is not None and (verdict.status, verdict.kind) == ("failed", "timeout")
    assert "safety net of 10 s of CPU time" in verdict.message
    assert "3 epoch(s) in batches of 64" in verdict.message
    assert train_part.train_limits(ctx).cpu_seconds == 10 + train_part.STAGE_CPU_MARGIN_S
    # A stage that ended for another reason keeps its own verdict.
    record.cpu_limited = False
    assert train_part.safety_net_failure(ctx, outcome) is None
