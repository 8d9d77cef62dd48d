"""Issue 11 class 9 (threat 41): a model part's parameter and MACs counts come from its
weights file's header, parsed on the trusted side, never from the harness's answers."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import torch
from safetensors.torch import save_file

from grader.kinds.model.counts import model_counts, weights_shapes

BUNDLES = Path(__file__).resolve().parent / "bundles"


def test_a_model_of_matrices_gets_params_and_macs() -> None:
    counts = model_counts(BUNDLES / "fx-model" / "solution", "model.safetensors", strict=True)
    assert counts == {"params": 130, "macs": 128}


def test_a_convolution_gets_params_but_no_macs_and_statistics_are_not_params(tmp_path) -> None:
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4))
    save_file(model.state_dict(), str(tmp_path / "w.safetensors"))
    assert model_counts(tmp_path, "w.safetensors", strict=True) == {"params": 36 + 4 + 4 + 4}


def test_no_trusted_header_means_no_counts(tmp_path) -> None:
    (tmp_path / "w.safetensors").write_bytes(struct.pack("<Q", 1 << 40) + b"{}")
    assert model_counts(tmp_path, "w.safetensors", strict=True) == {}
    assert model_counts(tmp_path, "model.pt", strict=True) == {}
    assert model_counts(BUNDLES / "fx-model" / "solution", "model.safetensors", strict=False) == {}


def test_huge_shapes_count_exactly_or_not_at_all(tmp_path) -> None:
    header = {"w": {"dtype": "F32", "shape": [2**40, 2**40], "data_offsets": [0, 0]}}
    text = json.dumps(header).encode()
    (tmp_path / "w.safetensors").write_bytes(struct.pack("<Q", len(text)) + text)
    assert weights_shapes(tmp_path / "w.safetensors") == {"w": ("F32", (2**40, 2**40))}
    assert model_counts(tmp_path, "w.safetensors", strict=True) == {}
