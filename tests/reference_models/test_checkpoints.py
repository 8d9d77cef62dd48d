from __future__ import annotations

import json

import pytest
import torch

import reference_models
from reference_models.training import (
    CheckpointInfo,
    ChecksumError,
    load_checkpoint,
    save_checkpoint,
)


def _info() -> CheckpointInfo:
    return CheckpointInfo(architecture="resnet18",
                          model_kwargs={"num_classes": 10, "in_channels": 1, "input_size": 28},
                          dataset="fashion-mnist/train", dataset_sha256="ab" * 32,
                          accuracy=0.9, training_time_s=12.5)


def test_it_round_trips_weights_and_metadata(tmp_path) -> None:
    model = reference_models.build("resnet18", num_classes=10, in_channels=1, input_size=28)
    saved = save_checkpoint(model, tmp_path / "resnet18", _info())
    loaded, info = load_checkpoint(tmp_path / "resnet18.safetensors")
    assert info == saved and len(info.file_sha256) == 64
    for a, b in zip(model.state_dict().values(), loaded.state_dict().values()):
        assert torch.equal(a, b)
    meta = json.loads((tmp_path / "resnet18.json").read_text())
    assert meta["architecture"] == "resnet18" and meta["accuracy"] == 0.9


def test_it_rejects_a_tampered_weights_file(tmp_path) -> None:
    model = reference_models.build("simple_cnn")
    save_checkpoint(model, tmp_path / "cnn", _info())
    weights = tmp_path / "cnn.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF  # one flipped bit in the last tensor
    weights.write_bytes(bytes(data))
    with pytest.raises(ChecksumError, match="changed or corrupted"):
        load_checkpoint(weights)
