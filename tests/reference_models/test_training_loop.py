"""The training loop learns, repeats bit for bit on CPU, and resumes where it stopped."""

from __future__ import annotations

import pytest
import torch

from reference_models.training import TrainConfig, build_seeded, evaluate, fit, load_dataset
from reference_models.training.data import ImageData
from reference_models.training.loop import EpochLog

CONFIG = TrainConfig(epochs=2, batch_size=32, lr=0.05, warmup_epochs=0.5,
                     label_smoothing=0.1, augment_shift=2, seed=3, progress=False)


class Crash(Exception):
    pass


@pytest.fixture(scope="module")
def digits() -> tuple[ImageData, ImageData]:
    train, test = load_dataset("mnist-5k")
    return (train.subset(torch.arange(0, 4000, 10), "mnist-5k/small-train"),
            test.subset(torch.arange(0, 1000, 5), "mnist-5k/small-test"))


def _small_cnn() -> torch.nn.Module:
    return build_seeded("simple_cnn", 3, width=8, num_classes=10, in_channels=1)


def _same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.state_dict().values(),
                                                 b.state_dict().values()))


def test_it_makes_the_loss_fall_and_beats_chance(digits) -> None:
    train, test = digits
    model = _small_cnn()
    before = evaluate(model, test)
    result = fit(model, train, CONFIG.replace(epochs=4, optimizer="adamw", lr=0.01,
                                              label_smoothing=0.0))
    losses = [h.train_loss for h in result.history]
    assert losses[-1] < losses[0]
    after = evaluate(model, test)
    assert after.loss < before.loss
    assert after.accuracy > 0.4  # chance is 0.1; this run gets 0.63


def test_it_is_bit_identical_when_repeated_with_the_same_seed_only(digits) -> None:
    train = digits[0].subset(torch.arange(128))
    config = CONFIG.replace(epochs=1)
    first, second, other_seed = _small_cnn(), _small_cnn(), _small_cnn()
    fit(first, train, config)
    fit(second, train, config)
    fit(other_seed, train, config.replace(seed=4))
    assert _same_weights(first, second)
    assert not _same_weights(first, other_seed)


def test_a_resumed_run_ends_where_an_uninterrupted_one_does(digits, tmp_path) -> None:
    train = digits[0].subset(torch.arange(128))
    straight = _small_cnn()
    fit(straight, train, CONFIG)

    def crash_after_first_epoch(log: EpochLog) -> None:
        if log.epoch == 1:
            raise Crash

    with pytest.raises(Crash):
        fit(_small_cnn(), train, CONFIG, state_dir=tmp_path, on_epoch_end=crash_after_first_epoch)
    resumed = _small_cnn()  # a fresh process rebuilds the model and calls fit again
    result = fit(resumed, train, CONFIG, state_dir=tmp_path)
    assert [h.epoch for h in result.history] == [1, 2]
    assert _same_weights(straight, resumed)


def test_it_trains_googlenet_with_its_auxiliary_heads(digits) -> None:
    model = build_seeded("googlenet", 0, num_classes=10, in_channels=1, input_size=28)
    tiny = digits[0].subset(torch.arange(4))
    result = fit(model, tiny, CONFIG.replace(epochs=1, batch_size=2))
    assert result.steps == 2 and torch.isfinite(torch.tensor(result.history[0].train_loss))


def test_batchnorm_recalibration_measures_the_statistics_again(digits) -> None:
    from reference_models.training.loop import recalibrate_batchnorm

    train = digits[0]
    model = build_seeded("resnet18", 0, num_classes=10, in_channels=1, input_size=28, width=4)
    norm = model.bn1
    norm.running_mean.fill_(100.0)  # stale statistics, as after a short run
    norm.running_var.fill_(1e-3)
    used = recalibrate_batchnorm(model, train, batches=4, batch_size=32)
    assert used == 4
    assert norm.momentum == 0.1 and model.training  # settings restored
    # The first norm sees the stem's convolution of the images: its mean is small, not 100.
    assert float(norm.running_mean.abs().max()) < 10.0
    assert float(norm.running_var.min()) > 1e-3
    # Deterministic for a seed, and the weights are untouched.
    again = build_seeded("resnet18", 0, num_classes=10, in_channels=1, input_size=28, width=4)
    recalibrate_batchnorm(again, train, batches=4, batch_size=32)
    assert _same_weights(model, again)
    plain = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(28 * 28, 10))
    assert recalibrate_batchnorm(plain, train, batches=4) == 0  # no batch norm: no-op


def test_a_cpu_clock_budget_stops_the_run(digits) -> None:
    train = digits[0]
    config = CONFIG.replace(epochs=1000, time_budget_s=0.5, budget_clock="cpu")
    result = fit(_small_cnn(), train, config)
    assert result.stopped_by_budget
    assert 0.5 <= result.training_time_s < 5.0
    with pytest.raises(ValueError, match="budget_clock"):
        CONFIG.replace(budget_clock="gpu")
