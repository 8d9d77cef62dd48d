"""Attacks on the sandbox runtime and on intake, graded end to end through grade().

- runtime_read_labels: the published test labels are not in the sandbox (threat 37): the same
  lookup answers every query without a sandbox and is at chance in one;
- runtime_ipc_fill: nothing can be written to the host through /arena/ipc (threats 23, 42);
- runtime_torchvision_arch: torchvision is not importable where a bundle does not ask for it
  (threat 40), in a fixture and in week 4's own bundle;
- bytecode that shadows the uploaded source is refused at intake (class 6).
"""

from __future__ import annotations

import re
import shutil
import sys
import zipfile
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from grader.grading import GradeOptions, grade
from grader.report import Report

HERE = Path(__file__).resolve().parent
SUBMISSIONS = HERE / "submissions"
BUNDLES = HERE.parent / "bundles"
REPO = HERE.parents[2]
NOT_AVAILABLE = "ModuleNotFoundError (torchvision is not available in this assignment's sandbox)"
DEBIAN_LABELS = Path("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz")


def _upload(tmp_path: Path, name: str, *, weights: dict[str, torch.Tensor] | None = None) -> Path:
    folder = tmp_path / "upload"
    folder.mkdir()
    shutil.copy(SUBMISSIONS / f"{name}.py", folder / "submission.py")
    if weights is not None:
        save_file(weights, str(folder / "model.safetensors"))
    return folder


def _grade(bundle: Path, upload: Path, backend: str, hidden_logs: bool = True) -> Report:
    return grade(bundle, upload, GradeOptions(sandbox=backend, show_hidden_logs=hidden_logs))


@pytest.fixture
def home(arena_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ARENA_HOME", str(arena_home))
    return arena_home


@pytest.mark.slow
def test_the_label_lookup_scores_without_a_sandbox(home: Path, tmp_path: Path) -> None:
    """The attack is real: where the published files are readable it answers every verbatim
    query exactly (the timer's re-sent queries are fresh variants, which only it misses)."""
    assert DEBIAN_LABELS.is_file(), "the worker's Debian dataset package is the attack's source"
    upload = _upload(tmp_path, "runtime_read_labels", weights={"scale": torch.ones(1)})
    report = _grade(BUNDLES / "fx-runtime-labels", upload, "none")
    assert "ESCAPED" in report.logs
    accuracy = next(v for k, v in report.metrics.items() if k.endswith("accuracy"))
    assert report.status == "scored" and accuracy > 0.3, report.to_dict()  # chance: 0.1


@pytest.mark.slow
def test_the_label_lookup_is_at_chance_in_the_sandbox(sandbox, home: Path, tmp_path: Path) -> None:
    upload = _upload(tmp_path, "runtime_read_labels", weights={"scale": torch.ones(1)})
    report = _grade(BUNDLES / "fx-runtime-labels", upload, sandbox.name)
    assert report.status == "scored", report.to_dict()
    assert "ESCAPED" not in report.logs, report.logs[:2000]
    accuracy = next(v for k, v in report.metrics.items() if k.endswith("accuracy"))
    assert accuracy < 0.2  # class 0's share of the first 500 test images: chance
    assert report.score < 15


@pytest.mark.slow
def test_nothing_can_be_written_to_the_host_through_the_ipc_directory(
    sandbox, home: Path, tmp_path: Path
) -> None:
    upload = _upload(tmp_path, "runtime_ipc_fill")
    report = _grade(BUNDLES / "fx-attacks", upload, sandbox.name)
    assert report.status == "scored" and report.score == 100.0, report.to_dict()
    assert "ESCAPED" not in report.logs, report.logs[:2000]


@pytest.mark.slow
def test_torchvision_is_not_importable_in_an_architecture_fixture(
    sandbox, home: Path, tmp_path: Path
) -> None:
    upload = _upload(tmp_path, "runtime_torchvision_arch")
    report = _grade(BUNDLES / "fx-arch", upload, sandbox.name)
    assert report.score == 0.0, report.to_dict()
    # The public stage's log says why, in the harness's fixed words (no exception text).
    assert NOT_AVAILABLE in report.logs, report.logs[-2000:]


def _week4_resnet18_only(tmp_path: Path) -> Path:
    """Week 4's bundle (its limits, data and recipe) with one part: ResNet-18 at 28x28."""
    source = REPO / "assignments" / "week4-architectures"
    bundle = tmp_path / source.name
    shutil.copytree(source, bundle, ignore=shutil.ignore_patterns("wrong", "solution", "*.md"))
    text = (source / "assignment.toml").read_text()
    head = text[: re.search(r"^\[\[parts\]\]", text, re.MULTILINE).start()]  # type: ignore[union-attr]
    part = """
[[parts]]
name = "small"
kind = "architecture"
input_shape = [1, 28, 28]
num_classes = 10
builder_kwargs = { in_channels = 1, input_size = 28 }
  [[parts.checks]]
  name = "resnet18_small"
  function = "resnet18"
  reference = "resnet18"
  points = 100
  rtol = 1e-3
  atol = 1e-4
"""
    (bundle / "assignment.toml").write_text(head + part)
    return bundle


TORCHVISION_RESNET = """
import torchvision
from torch import nn


def resnet18(num_classes=1000, in_channels=3, input_size=224):
    model = torchvision.models.resnet18(num_classes=num_classes)
    model.conv1 = nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
    return model
"""


@pytest.mark.slow
@pytest.mark.bwrap
def test_a_week4_torchvision_one_liner_fails_with_a_clear_message(
    bwrap_sandbox, home: Path, tmp_path: Path
) -> None:
    bundle = _week4_resnet18_only(tmp_path)
    upload = tmp_path / "submission.py"
    upload.write_text(TORCHVISION_RESNET)
    report = _grade(bundle, upload, "bwrap", hidden_logs=False)
    assert report.score == 0.0 and not any(c.passed for c in report.checks), report.to_dict()
    assert NOT_AVAILABLE in report.logs, report.logs[-2000:]  # what the mentee reads


SHADOWED_SOURCE = "def add(a, b):\n    raise RuntimeError('the uploaded source')\n"


def _pyc(source: str) -> bytes:
    import importlib.util
    import marshal

    code = compile(source, "submission.py", "exec")
    return importlib.util.MAGIC_NUMBER + b"\0" * 12 + marshal.dumps(code)


@pytest.mark.parametrize(
    "entry",
    [f"__pycache__/submission.{sys.implementation.cache_tag}.pyc", "submission.pyc", "helper.so"],
)
def test_bytecode_that_would_shadow_the_source_is_rejected(
    entry: str, home: Path, tmp_path: Path
) -> None:
    upload = tmp_path / "up.zip"
    with zipfile.ZipFile(upload, "w") as archive:
        archive.writestr("submission.py", SHADOWED_SOURCE)
        archive.writestr(entry, _pyc("def add(a, b):\n    return a + b\n"))
    report = _grade(BUNDLES / "fx-attacks", upload, "bwrap")
    assert report.status == "rejected", report.to_dict()
    assert report.error is not None and report.error.kind == "unsupported_format"
    assert entry in report.error.message
