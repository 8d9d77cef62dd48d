"""Batch-norm recalibration of ``train`` parts (issue 12): the harness re-estimates the running
statistics after training (``arena_harness.training.recalibrate_batchnorm``), and the trusted
side decides on which images and keeps every tensor but the reference's statistics
(``grader.kinds.train.recalibration``). Fast: tiny models, no sandbox, except the attack at the
end (bubblewrap, marked slow)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from grader.bundle import BundleError, load_bundle
from grader.harness.arena_harness import training, wire
from grader.kinds.train import recalibration
from grader.kinds.train.trained_reference import TrainedReference, statistics_positions
from grader.protocol import check_shape_table

BUNDLES = Path(__file__).resolve().parent / "bundles"
ATTACKS = Path(__file__).resolve().parent / "attacks" / "submissions"


def stale_model() -> nn.Module:
    """Dropout, then batch norm, then a linear head; running statistics left at their start."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Dropout(0.5), nn.BatchNorm1d(3), nn.Linear(3, 2))


def images(n: int = 64) -> torch.Tensor:
    generator = torch.Generator().manual_seed(2)
    return 5.0 + 3.0 * torch.randn(n, 3, generator=generator)


# -- the harness: statistics only, of the network that is scored ----------------------------


def test_recalibration_re_estimates_the_statistics_and_leaves_the_parameters() -> None:
    model, x = stale_model(), images()
    before = {k: p.detach().clone() for k, p in model.named_parameters()}
    assert training.recalibrate_batchnorm(model, x, batch_size=16) == 1
    norm = model[1]
    # The plain average of the four batches' statistics (momentum None), dropout off: the
    # inputs' own mean, and the mean of the batches' unbiased variances.
    batches = x.split(16)
    assert torch.allclose(norm.running_mean, torch.stack([b.mean(0) for b in batches]).mean(0))
    expected_var = torch.stack([b.var(0, unbiased=True) for b in batches]).mean(0)
    assert torch.allclose(norm.running_var, expected_var)
    assert int(norm.num_batches_tracked) == 4
    for name, parameter in model.named_parameters():
        assert torch.equal(parameter, before[name]), name
    assert norm.momentum == 0.1 and not model.training and not norm.training


def test_a_model_without_batch_norm_is_left_alone() -> None:
    model = nn.Sequential(nn.Linear(3, 2))
    state = {k: v.clone() for k, v in model.state_dict().items()}
    assert training.recalibrate_batchnorm(model, images(), batch_size=8) == 0
    assert all(torch.equal(v, state[k]) for k, v in model.state_dict().items())


def test_a_recalibration_request_carries_images_and_a_batch_size_only() -> None:
    spec = {"dtype": 1, "shape": [4, 3], "offset": 0}
    payload = wire.Recalibrate(images=spec, batch_size=16).payload()
    assert payload == {"op": "recalibrate", "images": spec, "batch_size": 16}


# -- the trusted side: which images, which tensors -------------------------------------------


def test_the_images_are_the_first_ones_handed_out_and_never_more() -> None:
    split = np.arange(20, dtype=np.float32).reshape(20, 1)
    plan = [np.array([3, 1, 4]), np.array([15, 9, 2]), np.array([6, 5, 8])]
    got = recalibration.recalibration_images(5, split, plan, batches_handed=3)
    assert got[:, 0].tolist() == [3, 1, 4, 15, 9]
    # train() returned after one batch: only that batch's images, whatever the budget says.
    assert recalibration.recalibration_images(5, split, plan, 1)[:, 0].tolist() == [3, 1, 4]
    assert len(recalibration.recalibration_images(0, split, plan, 3)) == 0
    assert len(recalibration.recalibration_images(5, split, plan, 0)) == 0


def table(*shapes: tuple[int, ...]) -> np.ndarray:
    rows = np.zeros((len(shapes), wire.MAX_NDIM + 1), dtype=np.int64)
    for row, shape in zip(rows, shapes):
        row[0] = len(shape)
        row[1 : 1 + len(shape)] = shape
    return check_shape_table(rows)


def test_only_the_references_statistics_are_taken_from_the_recalibrated_state() -> None:
    """A weight, a running mean, a running variance, a counter, a bias; the recalibrated state
    changed all of them: the weight and bias changes are discarded and counted."""
    shapes = table((2, 2), (2,), (2,), (), (2,))
    trained = np.arange(11, dtype=np.float32)
    after = trained + 100.0
    values, taken, discarded = recalibration.take_statistics(trained, after, shapes, (1, 2, 3))
    assert values.tolist() == [0, 1, 2, 3, 104, 105, 106, 107, 108, 9, 10]
    assert (taken, discarded) == (3, 2)
    assert trained[0] == 0.0  # the trained state itself is not modified
    same, _, none = recalibration.take_statistics(trained, trained.copy(), shapes, (1, 2, 3))
    assert none == 0 and np.array_equal(same, trained)


def reference(shapes: list[tuple[int, ...]], statistics: tuple[int, ...]) -> TrainedReference:
    empty = np.zeros((1, 1), dtype=np.float32)
    return TrainedReference("ref", shapes, 0, 0, empty, empty, statistics)


def test_recalibration_runs_only_on_the_references_layout_with_batch_norm() -> None:
    shapes = [(2, 2), (2,)]
    state = table(*shapes)
    assert recalibration.wanted(64, reference(shapes, (1,)), state)
    assert not recalibration.wanted(0, reference(shapes, (1,)), state)  # the budget's off
    assert not recalibration.wanted(64, None, state)
    assert not recalibration.wanted(64, reference(shapes, ()), state)  # AlexNet, VGG-16
    assert not recalibration.wanted(64, reference([(2, 2), (3,)], (1,)), state)


def test_the_references_statistics_are_found_by_module_not_by_name() -> None:
    from reference_models import build

    model = build("simple_cnn", num_classes=10, in_channels=1, input_size=12, width=4)
    names = list(model.state_dict())
    positions = statistics_positions(model)
    stats = ("running_mean", "running_var", "num_batches_tracked")
    assert positions and all(names[i].rsplit(".", 1)[1] in stats for i in positions)
    assert len(positions) == 3 * sum(isinstance(m, nn.BatchNorm2d) for m in model.modules())


# -- the bundle ------------------------------------------------------------------------------


def with_recalibration(tmp_path: Path, slug: str, images: int) -> Path:
    target = tmp_path / slug
    shutil.copytree(BUNDLES / slug, target)
    toml = target / "assignment.toml"
    text = toml.read_text()
    toml.write_text(text.replace("  [parts.budget]\n", f"  [parts.budget]\n  bn_recalibration_images = {images}\n", 1))
    return target


def test_the_budget_reads_its_recalibration_images(tmp_path: Path) -> None:
    (part,) = load_bundle(with_recalibration(tmp_path, "fx-train-ref", 64)).parts
    assert part.budget.bn_recalibration_images == 64


@pytest.mark.parametrize(
    "slug,images,complaint",
    [("fx-train", 64, "needs a reference"), ("fx-train-ref", -1, "must not be negative")],
)
def test_a_recalibration_the_trusted_side_cannot_check_is_refused(
    tmp_path: Path, slug: str, images: int, complaint: str
) -> None:
    with pytest.raises(BundleError, match=complaint):
        load_bundle(with_recalibration(tmp_path, slug, images))


# -- the attack: a forward that trains during recalibration ----------------------------------


@pytest.mark.slow
@pytest.mark.bwrap
def test_weights_changed_during_recalibration_are_discarded(grade_bwrap, tmp_path) -> None:
    """The attack's forward rewrites its head when it runs without gradients after train()
    (as recalibration runs it): it would then predict one class everywhere. The trusted side
    keeps the weights train() returned, so it scores exactly as the honest solution does."""
    bundle = with_recalibration(tmp_path, "fx-train-ref", 64)
    honest = grade_bwrap(bundle, BUNDLES / "fx-train-ref" / "solution")
    folder = tmp_path / "upload"
    folder.mkdir()
    shutil.copy(ATTACKS / "train_recalibration_tamper.py", folder / "submission.py")
    attack = grade_bwrap(bundle, folder)
    assert (honest.status, attack.status) == ("scored", "scored"), attack.to_dict()
    assert "recalibrated on the first 64 training images" in honest.logs
    assert "TAMPERED" in attack.logs and "were discarded" in attack.logs
    # Two trainings of one model may differ by an image or two of the hidden set (threaded
    # float sums: 0.1458 against 0.1427 in one full-suite run); a kept tampered head would
    # answer one class everywhere. Within 0.01 of the honest accuracy, at most 5 points above.
    assert attack.metrics["accuracy"] == pytest.approx(honest.metrics["accuracy"], abs=0.01)
    assert attack.score <= honest.score + 5.0
