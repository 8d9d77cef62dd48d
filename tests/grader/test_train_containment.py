"""Issue 11 classes 7 and 9, through both sandboxes (bubblewrap and Docker): a train part trains on the budget's samples
only (handed out by the trusted side, none at import, none in a thread after train()
returns), its import is bounded apart from training, the trained model must be the
architecture the part names, and parameter and MACs counts (train and model parts) are the
trusted side's, whatever the harness is made to answer."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.bundle import load_bundle

BUNDLES = Path(__file__).resolve().parent / "bundles"
ATTACKS = Path(__file__).resolve().parent / "attacks" / "submissions"
pytestmark = [pytest.mark.slow]  # each test runs once per backend (the grade_with fixture)


def upload(tmp_path: Path, attack: str) -> Path:
    folder = tmp_path / "upload"
    folder.mkdir()
    shutil.copy(ATTACKS / f"{attack}.py", folder / "submission.py")
    return folder


def reference_counts() -> tuple[int, int]:
    """fx-train-ref's simple_cnn (width 4, 12x12) counted here, as the grader should."""
    from grader.kinds.train.trained_reference import count_macs
    from reference_models import build

    model = build("simple_cnn", num_classes=10, in_channels=1, input_size=12, width=4).eval()
    return sum(p.numel() for p in model.parameters()), count_macs(model, (1, 1, 12, 12))


def test_a_thread_started_at_import_fails_the_part(grade_with, tmp_path) -> None:
    report = grade_with("fx-train", upload(tmp_path, "train_import_thread"))
    assert (report.status, report.error.kind, report.score) == ("failed", "timeout", 0.0)
    assert "a thread started at import" in report.error.message


def test_the_submission_gets_the_budgets_samples_and_no_file(grade_with, tmp_path) -> None:
    """fx-train's budget: 3 epochs of 1,024 images. Taking every batch, a second pass, next()
    after the end and a search of the filesystem for the split give exactly those 3,072."""
    report = grade_with("fx-train", upload(tmp_path, "train_hoard_data"))
    assert report.status == "scored", report.to_dict()
    assert "HOARD seen=3072 found=0" in report.logs
    assert report.metrics["train_images"] == 3072


def test_a_thread_left_running_after_train_fails_the_part(grade_with, tmp_path) -> None:
    report = grade_with("fx-train", upload(tmp_path, "train_thread_after_return"))
    assert (report.status, report.error.kind, report.score) == ("failed", "timeout", 0.0)
    assert "still running when it returned" in report.error.message


def test_an_import_past_import_seconds_fails_before_any_training(grade_with, tmp_path) -> None:
    bundle = tmp_path / "fx-train"
    shutil.copytree(BUNDLES / "fx-train", bundle)
    toml = bundle / "assignment.toml"
    toml.write_text(
        toml.read_text().replace("max_upload_mb = 1\n", "max_upload_mb = 1\nimport_seconds = 3\n")
    )
    assert load_bundle(bundle).import_seconds == 3
    report = grade_with(bundle, upload(tmp_path, "train_slow_import"))
    assert (report.status, report.score) == ("failed", 0.0), report.to_dict()
    assert report.error.kind == "timeout"
    assert "train_s" not in report.timings  # the training request was never sent


def test_the_named_architecture_trains_and_is_counted_on_the_trusted_side(grade_with) -> None:
    report = grade_with("fx-train-ref", BUNDLES / "fx-train-ref" / "solution")
    assert (report.status, report.score) == ("scored", 100.0), report.to_dict()
    params, macs = reference_counts()
    assert (report.metrics["params"], report.metrics["macs"]) == (params, macs)
    assert report.metrics["train_images"] == 256


def test_a_one_parameter_model_is_not_the_architecture_it_names(grade_with, tmp_path) -> None:
    report = grade_with("fx-train-ref", upload(tmp_path, "train_lookup_model"))
    assert (report.status, report.score) == ("scored", 0.0), report.to_dict()
    (check,) = report.checks
    assert check.message.startswith("the trained model is not simple_cnn")
    assert "params" not in report.metrics  # never scored: nothing to count


def test_forged_params_and_macs_give_way_to_the_trusted_counts(grade_with, tmp_path) -> None:
    """The submission patches the harness's params and macs replies to say 1,234."""
    report = grade_with("fx-train-ref", upload(tmp_path, "counts_forged"))
    assert (report.status, report.score) == ("scored", 100.0), report.to_dict()
    params, macs = reference_counts()
    assert (report.metrics["params"], report.metrics["macs"]) == (params, macs)
    assert 1234 not in (report.metrics["params"], report.metrics["macs"])


def test_a_model_parts_forged_counts_give_way_to_its_weights_file(grade_with, tmp_path) -> None:
    folder = upload(tmp_path, "counts_forged_model")
    shutil.copy(BUNDLES / "fx-model" / "solution" / "model.safetensors", folder)
    report = grade_with("fx-model", folder)
    assert report.status == "scored", report.to_dict()
    assert (report.metrics["params"], report.metrics["macs"]) == (130, 128)
