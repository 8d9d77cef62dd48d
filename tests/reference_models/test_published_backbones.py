"""The platform's own published backbones: committed with their SHA-256, verified and installed
into ``var/weights`` by ``fetch-weights``, refused when anything was changed."""

from __future__ import annotations

import os

import pytest

from reference_models import backbones
from reference_models.training import CheckpointInfo, save_checkpoint
from reference_models.training.data import load_dataset
from reference_models.training.loop import evaluate

FASHION_RESNET = "resnet18w16_fashion-mnist"


@pytest.fixture
def published(tmp_path, monkeypatch, arena_home):
    """A tiny model published into a private ``published/`` folder and pinned."""
    monkeypatch.setattr(backbones, "PUBLISHED_DIR", tmp_path / "published")
    model = backbones.build("simple_cnn", width=4)
    source = save_checkpoint(model, tmp_path / "trained" / "tiny", CheckpointInfo(
        architecture="simple_cnn", model_kwargs={"width": 4}, dataset="none",
        dataset_sha256="", accuracy=None, training_time_s=None))
    path, sha256 = backbones.publish(tmp_path / "trained" / "tiny", "tiny_backbone")
    assert sha256 == source.file_sha256 and path.is_file()
    monkeypatch.setattr(backbones, "PUBLISHED", {"tiny_backbone": sha256})
    return path, sha256


def test_install_copies_a_verified_backbone_once(published, arena_home) -> None:
    (target,) = backbones.install_published()
    assert target == arena_home / "weights" / "tiny_backbone.safetensors"
    state, info = backbones.load_backbone_state("tiny_backbone")
    assert info.file_sha256 == published[1] and state
    before = os.stat(target).st_mtime_ns
    backbones.install_published()  # idempotent: nothing is copied again
    assert os.stat(target).st_mtime_ns == before


def test_a_changed_published_file_is_refused(published, arena_home) -> None:
    path = published[0]
    path.write_bytes(path.read_bytes()[:-1] + b"\x00")
    with pytest.raises(Exception, match="SHA-256"):
        backbones.install_published()
    assert not (arena_home / "weights" / "tiny_backbone.safetensors").exists()


def test_metadata_cannot_vouch_for_other_weights(published, monkeypatch) -> None:
    monkeypatch.setattr(backbones, "PUBLISHED", {"tiny_backbone": "0" * 64})
    with pytest.raises(backbones.WeightsError, match="pins"):
        backbones.install_published()


def test_a_damaged_installed_copy_is_replaced(published, arena_home) -> None:
    (target,) = backbones.install_published()
    target.write_bytes(b"garbage")
    backbones.install_published()
    assert backbones.load_backbone_state("tiny_backbone")[1].file_sha256 == published[1]


@pytest.mark.slow
def test_the_published_fashion_mnist_resnet_is_the_one_measured(arena_home) -> None:
    """The committed backbone installs, loads into the registered architecture and reaches
    the accuracy its metadata records (at least the issue's 92%) on the 10,000 test images."""
    backbones.install_published([FASHION_RESNET])
    model = backbones.load_pretrained(FASHION_RESNET).eval()
    _, info = backbones.load_backbone_state(FASHION_RESNET)
    assert info.architecture == "resnet18" and info.model_kwargs["width"] == 16
    _, test = load_dataset("fashion-mnist")
    assert info.extra["test_dataset_sha256"] == test.sha256()
    accuracy = evaluate(model, test).accuracy
    assert accuracy == pytest.approx(info.accuracy, abs=1e-4)
    assert accuracy >= 0.92
