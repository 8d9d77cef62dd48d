"""The typed requests the trusted side sends: the JSON each one becomes, and the weight-mapping
rule read back the way the harness reads it."""

from __future__ import annotations

import pytest

from grader.harness.arena_harness import wire


def test_a_load_without_a_model_asks_the_harness_to_build_nothing() -> None:
    payload = wire.Load("submission.py").payload()
    assert payload == {"op": "load", "entry": "submission.py", "device": "cpu"}


def test_each_weight_mapping_survives_the_trip_to_the_harness() -> None:
    for weights in (
        wire.Weights("model.safetensors", "name", strict=False),
        wire.Weights("trained.safetensors", "order"),
        wire.Weights("resnet.safetensors", "role"),
    ):
        model = wire.Model("build_model", {"num_classes": 10}, weights)
        payload = wire.Load("submission.py", "cpu", model=model).payload()
        assert payload["builder_kwargs"] == {"num_classes": 10}
        assert wire.Weights.from_request(payload) == weights


def test_an_old_style_request_without_a_mapping_is_matched_by_name_and_strict() -> None:
    assert wire.Weights.from_request({"weights": "m.safetensors"}) == wire.Weights("m.safetensors")
    assert wire.Weights.from_request({"op": "load"}) is None


def test_an_unknown_weight_mapping_is_refused_on_either_side() -> None:
    with pytest.raises(ValueError, match="unknown weight mapping"):
        wire.Weights("m.safetensors", "by_guess")
    with pytest.raises(ValueError, match="unknown weight mapping"):
        wire.Weights.from_request({"weights": "m.safetensors", "weights_mode": "by_guess"})


def test_a_call_records_forbidden_operators_only_when_asked() -> None:
    plain = wire.Call("relu", ({"scalar": 1.0},)).payload()
    assert "audit" not in plain and plain["args"] == [{"scalar": 1.0}]
    audited = wire.Call("relu", (), {}, ("aten::relu",)).payload()
    assert audited["audit"] == ["aten::relu"]
