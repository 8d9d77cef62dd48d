"""``train`` parts' budget: a fixed amount of work with seconds only a ceiling (the default loop
stops before the ceiling, not after), the mentee's ``train()`` hook, and the GPU budget
chosen on GPU workers (``[parts.budget.gpu]``, ``[parts.scoring.gpu]``)."""

from __future__ import annotations

import shutil
import time
import types
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
import torch

from grader.bundle import Budget, BundleError, load_bundle
from grader.harness.arena_harness import training, wire
from grader.harness.arena_harness.loading import HarnessFailure
from grader.parts import train as train_part
from grader.parts.common import PartContext, PartResult

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


class SlowModel(torch.nn.Module):
    """A step costs ``delay`` seconds of wall clock, like a big model on a loaded worker."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay
        self.linear = torch.nn.Linear(16, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        time.sleep(self.delay)
        return self.linear(x.flatten(1))


# -- the default loop: fixed work, the ceiling only a ceiling ---------------------------------


def test_the_work_is_fixed_images_then_epochs() -> None:
    images, labels = data(40)
    run = training.default_loop(tiny_model(), images, labels, budget(images=20), time.monotonic())
    assert (run.steps, run.images, run.stopped_by_ceiling) == (3, 20, False)  # 8 + 8 + 4
    run = training.default_loop(tiny_model(), images, labels, budget(epochs=3), time.monotonic())
    assert (run.steps, run.images) == (15, 120)
    assert training.planned_images(budget(epochs=2, images=1000), 40) == 80


def test_the_same_budget_trains_the_same_model_whatever_the_clock_says() -> None:
    images, labels = data(40)
    a, b = tiny_model(), tiny_model()
    training.default_loop(a, images, labels, budget(epochs=2, optimizer="adam"), time.monotonic())
    slow_clock = iter(np.arange(0.0, 1000.0, 0.5))  # a loaded worker: every step takes 0.5 s
    run = training.default_loop(
        b, images, labels, budget(epochs=2, optimizer="adam"), 0.0, clock=lambda: next(slow_clock)
    )
    assert not run.stopped_by_ceiling and run.images == 80
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)


def test_a_slow_model_stops_before_the_ceiling_not_after() -> None:
    images, labels = data(400)
    seconds = 1.0
    started = time.monotonic()
    run = training.default_loop(
        SlowModel(0.12), images, labels, budget(seconds=seconds, epochs=50), started
    )
    elapsed = time.monotonic() - started
    assert run.stopped_by_ceiling and run.steps >= 2
    assert elapsed < seconds, f"the loop ran {elapsed:.2f} s past a {seconds} s ceiling"
    assert "time ceiling stopped it" in run.describe(len(images))


def test_it_does_not_start_a_step_it_expects_to_overshoot() -> None:
    """A fake clock: steps take 2 s and the ceiling is 10 s (deadline 9.5 s). After steps ending
    at 2, 4, 6 the next would end at 8 (fine); then 8 + 1.5 * 2 > 9.5: it stops at 4 steps."""
    images, labels = data(400)
    now = [0.0]

    class Step(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.linear = torch.nn.Linear(16, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            now[0] += 2.0
            return self.linear(x.flatten(1))

    run = training.default_loop(
        Step(), images, labels, budget(seconds=10, epochs=10), 0.0, clock=lambda: now[0]
    )
    assert (run.steps, run.stopped_by_ceiling) == (4, True)
    assert now[0] <= 10 * training.DEADLINE_FRACTION


def write_split(tmp_path: Path, n: int = 40) -> Path:
    images, labels = data(n)
    path = tmp_path / "train.npz"
    np.savez(path, images=images.numpy(), labels=labels.numpy())
    return path


def test_without_a_hook_the_default_loop_runs_and_reports_its_work(tmp_path, capsys) -> None:
    module = types.ModuleType("submission")
    training.train(
        module, tiny_model(), write_split(tmp_path), budget(images=24), torch.device("cpu")
    )
    assert "[train] 3 steps, 24 images (0.60 epochs)" in capsys.readouterr().out


def test_the_mentees_hook_gets_the_whole_budget(tmp_path) -> None:
    seen = {}
    module = types.ModuleType("submission")

    def train(model, images, labels, given):
        seen.update(given, n=len(images))

    module.train = train
    given = budget(images=24, seed=7, optimizer="adam")
    training.train(module, tiny_model(), write_split(tmp_path), given, torch.device("cpu"))
    assert seen == {**given, "n": 40}


def test_a_hook_that_overruns_the_ceiling_fails_the_part(tmp_path) -> None:
    module = types.ModuleType("submission")
    module.train = lambda model, images, labels, given: time.sleep(0.3)
    with pytest.raises(HarnessFailure) as caught:
        training.train(
            module, tiny_model(), write_split(tmp_path), budget(seconds=0.2), torch.device("cpu")
        )
    assert caught.value.status == wire.BUDGET


def test_the_seed_fixes_the_initial_weights() -> None:
    training.seed_everything(budget(seed=3))
    first = torch.nn.Linear(4, 4).weight.clone()
    training.seed_everything(budget(seed=3))
    assert torch.equal(first, torch.nn.Linear(4, 4).weight)


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

    def fake_train_stage(ctx: PartContext, result: PartResult, inputs: Path) -> None:
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
