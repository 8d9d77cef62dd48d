"""The training loop learns, repeats bit for bit on CPU, and resumes where it stopped."""

from __future__ import annotations

import pytest
import torch

from reference_models.training import TrainConfig, build_seeded, evaluate, fit, load_dataset
from reference_models.training.data import ImageData

CONFIG = TrainConfig(epochs=2, batch_size=64, lr=0.05, warmup_epochs=0.5,
                     label_smoothing=0.1, augment_shift=2, seed=3, progress=False)


@pytest.fixture(scope="module")
def digits() -> tuple[ImageData, ImageData]:
    train, test = load_dataset("mnist-5k")
    return (train.subset(torch.arange(0, 4000, 6), "mnist-5k/small-train"),
            test.subset(torch.arange(0, 1000, 4), "mnist-5k/small-test"))


def _small_cnn() -> torch.nn.Module:
    return build_seeded("simple_cnn", 3, width=8, num_classes=10, in_channels=1)


def test_it_makes_the_loss_fall_and_beats_chance(digits) -> None:
    train, test = digits
    model = _small_cnn()
    before = evaluate(model, test)
    result = fit(model, train, CONFIG.replace(epochs=3), eval_data=test)
    losses = [h.train_loss for h in result.history]
    assert losses[-1] < losses[0]
    after = evaluate(model, test)
    assert after.loss < before.loss
    assert after.accuracy > 0.5


def test_it_is_bit_identical_when_repeated_with_the_same_seed(digits) -> None:
    train, _ = digits
    first, second = _small_cnn(), _small_cnn()
    fit(first, train, CONFIG)
    fit(second, train, CONFIG)
    for a, b in zip(first.state_dict().values(), second.state_dict().values()):
        assert torch.equal(a, b)


def test_another_seed_gives_other_weights(digits) -> None:
    train, _ = digits
    first, second = _small_cnn(), _small_cnn()
    fit(first, train, CONFIG)
    fit(second, train, CONFIG.replace(seed=4))
    assert not torch.equal(first.classifier[-1].weight, second.classifier[-1].weight)


def test_a_resumed_run_ends_where_an_uninterrupted_one_does(digits, tmp_path) -> None:
    train, _ = digits
    straight = _small_cnn()
    fit(straight, train, CONFIG)
    resumed = _small_cnn()
    fit(resumed, train, CONFIG.replace(epochs=1), state_dir=tmp_path)
    # A fresh process would rebuild the model and call fit again with the full settings.
    resumed_again = _small_cnn()
    result = fit(resumed_again, train, CONFIG, state_dir=tmp_path)
    assert [h.epoch for h in result.history] == [1, 2]
    for a, b in zip(straight.state_dict().values(), resumed_again.state_dict().values()):
        assert torch.equal(a, b)


def test_it_trains_googlenet_with_its_auxiliary_heads(digits) -> None:
    train, _ = digits
    model = build_seeded("googlenet", 0, num_classes=10, in_channels=1, input_size=28)
    tiny = train.subset(torch.arange(8))
    result = fit(model, tiny, CONFIG.replace(epochs=1, batch_size=4))
    assert result.steps == 2 and torch.isfinite(torch.tensor(result.history[0].train_loss))
