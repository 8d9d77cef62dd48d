"""Pretrained backbones: the bundle declaration, the verified read-only staging on the trusted
side, the stage's mounts and argv, and the harness's partial (``weights_strict = false``) load."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file
from torch import nn

from grader.bundle import BundleError, Pretrained, load_bundle
from grader.harness.arena_harness import loading, wire
from grader.harness.arena_harness.loading import HarnessFailure
from grader.pretrained import PretrainedError, remove_staged, stage_pretrained
from grader.sandbox import Limits
from grader.stages.failures import StageFailure
from grader.stages.session import StageConfig, run_stage
from grader.stages.session import stage_spec as _spec

BUNDLES = Path(__file__).resolve().parent / "bundles"


# -- the declaration -----------------------------------------------------------------------------
@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    target = tmp_path / "fx-model"
    shutil.copytree(BUNDLES / "fx-model", target)
    return target


def declare(bundle: Path, top: str, part: str = "") -> None:
    path = bundle / "assignment.toml"
    text = path.read_text()
    text = text.replace("[submission]", f"{top}\n\n[submission]", 1)
    if part:
        text = text.replace('weights = "model.safetensors"\n',
                            f'weights = "model.safetensors"\n{part}\n', 1)
    path.write_text(text)


def test_no_declaration_means_nothing_mounted(bundle: Path) -> None:
    loaded = load_bundle(bundle)
    assert loaded.pretrained == () and loaded.parts[0].weights_strict


def test_names_and_tables_are_read(bundle: Path) -> None:
    pin = "ab" * 32
    declare(bundle, f'pretrained = ["mobilenet_v2_imagenet", {{ name = "resnet18w16_fashion-mnist", sha256 = "{pin.upper()}" }}]',
            "weights_strict = false")
    loaded = load_bundle(bundle)
    assert loaded.pretrained == (Pretrained("mobilenet_v2_imagenet"),
                                 Pretrained("resnet18w16_fashion-mnist", pin))
    assert not loaded.parts[0].weights_strict


@pytest.mark.parametrize(
    "top,part,complaint",
    [
        ('pretrained = "mobilenet_v2_imagenet"', "", "'pretrained' must be list"),
        ('pretrained = ["../etc/passwd"]', "", "is not a backbone name"),
        ('pretrained = ["a/b"]', "", "is not a backbone name"),
        ('pretrained = [".hidden"]', "", "is not a backbone name"),
        ('pretrained = ["x", "x"]', "", "must be unique"),
        ('pretrained = [{ name = "x", sha256 = "12" }]', "", "64 hexadecimal"),
        ('pretrained = [{ name = "x", path = "/etc" }]', "", "unknown keys"),
        ("pretrained = [3]", "", "must be a backbone name"),
        ("", "weights_strict = false", "declares none"),
        ('pretrained = ["x"]', 'weights_strict = "no"', "'weights_strict' must be bool"),
    ],
)
def test_mistakes_are_named(bundle: Path, top: str, part: str, complaint: str) -> None:
    declare(bundle, top, part)
    with pytest.raises(BundleError, match="assignment.toml") as raised:
        load_bundle(bundle)
    assert complaint in str(raised.value)


def test_the_week5_bundle_declares_both_backbones() -> None:
    loaded = load_bundle("week5-transfer")
    assert [p.name for p in loaded.pretrained] == ["mobilenet_v2_imagenet",
                                                  "resnet18w16_fashion-mnist"]
    assert not any(p.weights_strict for p in loaded.parts)


# -- staging on the trusted side -----------------------------------------------------------------
def write_backbone(root: Path, name: str, data: bytes = b"weights-bytes" * 100) -> str:
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{name}.safetensors").write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    meta = {"format": "arena-checkpoint-v1", "file_sha256": digest, "architecture": "x"}
    (root / f"{name}.json").write_text(json.dumps(meta))
    return digest


def test_declared_files_are_copied_verified_and_read_only(tmp_path: Path) -> None:
    weights = tmp_path / "weights"
    write_backbone(weights, "a")
    write_backbone(weights, "b", b"other")
    write_backbone(weights, "undeclared")
    folder = stage_pretrained([Pretrained("a"), Pretrained("b")], weights)
    try:
        assert sorted(p.name for p in folder.iterdir()) == ["a.json", "a.safetensors",
                                                            "b.json", "b.safetensors"]
        assert (folder / "b.safetensors").read_bytes() == b"other"
        assert stat.S_IMODE(folder.stat().st_mode) == 0o555
        assert all(stat.S_IMODE(p.stat().st_mode) == 0o444 for p in folder.iterdir())
        assert not (folder / "a.safetensors").samefile(weights / "a.safetensors")
    finally:
        remove_staged(folder)
    assert not folder.exists()


@pytest.mark.parametrize("damage", ["tampered", "missing", "no_metadata", "pin"])
def test_a_bad_backbone_is_refused_with_the_fix(tmp_path: Path, damage: str) -> None:
    weights = tmp_path / "weights"
    write_backbone(weights, "a")
    pin = ""
    if damage == "tampered":
        with (weights / "a.safetensors").open("r+b") as handle:
            handle.write(b"X")
    elif damage == "missing":
        (weights / "a.safetensors").unlink()
    elif damage == "no_metadata":
        (weights / "a.json").unlink()
    else:
        pin = "0" * 64
    before = set(Path(os.environ.get("TMPDIR", "/tmp")).glob("arena-pretrained-*"))
    with pytest.raises(PretrainedError) as raised:
        stage_pretrained([Pretrained("a", pin)], weights)
    assert "make setup" in raised.value.message
    assert "fetch-weights" in raised.value.message
    after = set(Path(os.environ.get("TMPDIR", "/tmp")).glob("arena-pretrained-*"))
    assert after <= before, "a refused staging left its folder behind"


class NeverOpened:
    name = "never"

    def open(self, spec: object) -> object:  # pragma: no cover - must not be reached
        raise AssertionError("the sandbox was started despite a bad backbone")


def test_a_stage_with_a_bad_backbone_is_an_error_before_the_sandbox_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARENA_HOME", str(tmp_path))
    write_backbone(tmp_path / "weights", "a")
    (tmp_path / "weights" / "a.safetensors").write_bytes(b"swapped")
    config = StageConfig("public", tmp_path, Limits(), NeverOpened(),  # type: ignore[arg-type]
                         pretrained=(Pretrained("a"),))
    with pytest.raises(StageFailure) as raised:
        run_stage(config, lambda session: None)
    assert (raised.value.status, raised.value.kind) == ("error", "pretrained")
    assert "make setup" in raised.value.message


def test_the_mount_and_argv_appear_only_when_declared(tmp_path: Path) -> None:
    config = StageConfig("public", tmp_path, Limits(), NeverOpened())  # type: ignore[arg-type]
    plain = _spec(config, tmp_path)
    assert "--pretrained" not in plain.argv
    assert all(m.target != "/arena/pretrained" for m in plain.mounts)
    staged = _spec(config, tmp_path, tmp_path / "staged")
    mount = next(m for m in staged.mounts if m.target == "/arena/pretrained")
    assert mount.source == tmp_path / "staged" and not mount.writable
    assert staged.argv[staged.argv.index("--pretrained") + 1] == "/arena/pretrained"


# -- the harness's partial load ------------------------------------------------------------------
class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.trunk = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4))
        self.head = nn.Linear(4, 2)


@pytest.fixture
def mounted(tmp_path: Path) -> tuple[Path, dict[str, torch.Tensor]]:
    torch.manual_seed(1)
    backbone = {f"features.{k}": v for k, v in Net().trunk.state_dict().items()}
    folder = tmp_path / "pretrained"
    folder.mkdir()
    save_file(backbone, str(folder / "bb.safetensors"))
    return folder, {k.removeprefix("features."): v for k, v in backbone.items()}


def built(trunk_state: dict[str, torch.Tensor] | None) -> Net:
    torch.manual_seed(2)
    net = Net()
    if trunk_state is not None:
        net.trunk.load_state_dict(trunk_state)
    return net


def upload(tmp_path: Path, state: dict[str, torch.Tensor]) -> Path:
    path = tmp_path / "model.safetensors"
    save_file({k: v.contiguous() for k, v in state.items()}, str(path))
    return path


def test_a_head_only_upload_loads_over_a_mounted_trunk(tmp_path: Path, mounted) -> None:
    folder, trunk = mounted
    head = {"head.weight": torch.ones(2, 4).half(), "head.bias": torch.zeros(2)}
    net = built(trunk)
    loading.load_weights(net, upload(tmp_path, head), strict=False, pretrained=folder)
    assert torch.equal(net.head.weight, torch.ones(2, 4))
    assert torch.equal(net.trunk[0].weight, trunk["0.weight"])


def test_strict_stays_the_default(tmp_path: Path, mounted) -> None:
    _folder, trunk = mounted
    with pytest.raises(HarnessFailure) as raised:
        loading.load_weights(built(trunk), upload(tmp_path, {"head.bias": torch.zeros(2)}))
    assert raised.value.status == wire.WEIGHTS
    assert "lacks 8 of the model's tensors (trunk.0.weight" in raised.value.message


@pytest.mark.parametrize(
    "case,complaint",
    [
        ("not_loaded", "did not load from a pretrained backbone: trunk.0.weight"),
        ("forgot_head", "leaves out 2 tensor(s)"),
        ("unexpected", "the model does not have: head.extra"),
        ("shape", "head.weight has shape (3, 4)"),
        ("no_mount", "did not load from a pretrained backbone"),
    ],
)
def test_a_partial_upload_is_checked(tmp_path: Path, mounted, case: str, complaint: str) -> None:
    folder, trunk = mounted
    head = {"head.weight": torch.ones(2, 4), "head.bias": torch.zeros(2)}
    net = built(trunk)
    if case == "not_loaded":
        net = built(None)
    elif case == "forgot_head":
        head = {"trunk.0.bias": trunk["0.bias"]}
    elif case == "unexpected":
        head["head.extra"] = torch.zeros(1)
    elif case == "shape":
        head["head.weight"] = torch.ones(3, 4)
    elif case == "no_mount":
        folder = None
    with pytest.raises(HarnessFailure) as raised:
        loading.load_weights(net, upload(tmp_path, head), strict=False, pretrained=folder)
    assert raised.value.status == wire.WEIGHTS
    assert complaint in raised.value.message
