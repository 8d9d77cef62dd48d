"""Week 5's pretrained backbones through the real grader (bubblewrap): a frozen-backbone upload
that ships only its heads, an upload that tries to change the mount, and a tampered backbone
on the worker, refused before any submission code runs."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.assignments.conftest import bundle_dir, describe, grade_bundle
from tests.assignments.week5_home import MOBILENET, week5_home

SLUG = "week5-transfer"
HERE = Path(__file__).resolve().parent / "week5_submissions"
pytestmark = [pytest.mark.slow, pytest.mark.bwrap]


@pytest.fixture
def home(monkeypatch) -> Path:
    path = week5_home()
    monkeypatch.setenv("ARENA_HOME", str(path))
    return path


def upload_folder(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    shutil.copytree(HERE / name, folder)
    shutil.copy(bundle_dir(SLUG) / "starter" / "pretrained.py", folder / "pretrained.py")
    return folder


def test_a_frozen_backbone_upload_ships_only_its_heads_and_is_scored(home, tmp_path, monkeypatch):
    import importlib.util
    import sys

    import torch
    import torch.nn.functional as F
    from safetensors.torch import save_file

    folder = upload_folder(tmp_path, "frozen_head")
    monkeypatch.setenv("ARENA_PRETRAINED", str(home / "weights"))
    monkeypatch.syspath_prepend(str(folder))
    spec = importlib.util.spec_from_file_location("frozen_head_submission", folder / "submission.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules.pop("pretrained", None)
    torch.manual_seed(0)
    classifier = module.build_classifier().eval()
    with np.load(bundle_dir(SLUG) / "starter" / "train_digits.npz") as data:
        images = torch.from_numpy(data["images"]).float()[:, None] / 255.0
        labels = torch.from_numpy(data["labels"]).long()
    with torch.no_grad():
        features = classifier.backbone(images)
    optimizer = torch.optim.Adam(classifier.head.parameters(), lr=1e-2)
    for _ in range(200):  # a linear probe on the frozen features: a second or two
        loss = F.cross_entropy(classifier.head(features), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    localizer = module.build_localizer()
    for name, model in (("classifier", classifier), ("localizer", localizer)):
        head = {k: v.detach().contiguous() for k, v in model.state_dict().items()
                if k.startswith("head.")}
        save_file(head, str(folder / f"{name}.safetensors"))
        assert (folder / f"{name}.safetensors").stat().st_size < 64 * 1024
    report = grade_bundle(SLUG, folder)
    assert report["status"] == "scored", describe(report)
    assert report["error"] is None and report["score"] is not None, describe(report)
    for metric in ("digits/accuracy", "localize/loc_accuracy", "boxes/mean_iou"):
        assert metric in report["metrics"], describe(report)
    assert report["metrics"]["digits/accuracy"] > 0.2, describe(report)  # the probe learned


def test_a_head_only_upload_without_the_backbone_in_the_builder_is_a_weights_failure(
        home, tmp_path):
    """The solution's localizer head alone over a trunk the builder did NOT load: refused,
    naming the tensors (the load is in the public stage, so the report's error may)."""
    folder = tmp_path / "forgot"
    shutil.copytree(bundle_dir(SLUG) / "solution", folder)
    source = (folder / "submission.py").read_text()
    source = source.replace("self.features = pretrained_trunk()", "self.features = mobilenet_v2_trunk()")
    (folder / "submission.py").write_text(source)
    report = grade_bundle(SLUG, folder)
    assert report["status"] == "failed", describe(report)
    error = report["error"]
    assert error["kind"] == "weights" and "does not fit the model" in error["message"], error
    assert "did not load from a pretrained backbone: features.0.0.weight" in error["message"]


def test_writing_into_the_mount_is_refused(home, tmp_path):
    weights = home / "weights" / f"{MOBILENET}.safetensors"
    before = hashlib.sha256(weights.read_bytes()).hexdigest()
    report = grade_bundle(SLUG, upload_folder(tmp_path, "write_pretrained"))
    assert report["status"] == "failed" and report["error"]["kind"] == "exception", describe(report)
    logs = report["logs"]
    listing = re.search(r"\[probe\] folder: (\S+) (.*)", logs)
    assert listing, logs[-2000:]
    assert listing.group(1) == "/arena/pretrained"
    assert listing.group(2) == str(sorted(
        f"{n}{s}" for n in ("mobilenet_v2_imagenet", "resnet18w16_fashion-mnist")
        for s in (".json", ".safetensors")))
    results = dict(re.findall(r"\[probe\] (\w+): (\w+)$", logs, re.MULTILINE))
    assert set(results) == {"overwrite", "truncate", "create", "unlink", "rename", "chmod",
                            "mkdir"}, logs[-2000:]
    assert "WROTE" not in results.values(), results
    assert set(results.values()) <= {"EROFS", "EPERM", "EACCES"}, results
    assert hashlib.sha256(weights.read_bytes()).hexdigest() == before


def test_a_tampered_backbone_is_refused_before_any_submission_code_runs(
        home, tmp_path, monkeypatch):
    from grader.sandbox.bwrap import BwrapSandbox

    tampered = tmp_path / "home"
    tampered.mkdir()
    for name in ("hidden", "cache"):
        (tampered / name).symlink_to((home / name).resolve())
    shutil.copytree(home / "weights", tampered / "weights")
    target = tampered / "weights" / f"{MOBILENET}.safetensors"
    data = bytearray(target.read_bytes())
    data[-1] ^= 0xFF  # one bit pattern in the last tensor: same size, other content
    target.write_bytes(bytes(data))
    monkeypatch.setenv("ARENA_HOME", str(tampered))
    opened = []
    original = BwrapSandbox._open

    def spy(self, spec, stdin):
        opened.append(spec)
        return original(self, spec, stdin)

    monkeypatch.setattr(BwrapSandbox, "_open", spy)
    report = grade_bundle(SLUG, upload_folder(tmp_path, "write_pretrained"))
    assert report["status"] == "error", describe(report)
    assert report["error"]["kind"] == "pretrained", describe(report)
    assert "make setup" in report["error"]["message"]
    assert "changed or corrupted" in report["error"]["message"]
    assert opened == [], "a sandbox was started"
    assert "[probe]" not in report["logs"]
