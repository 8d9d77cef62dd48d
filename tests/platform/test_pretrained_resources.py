"""Pretrained backbones a bundle declares: listed by the API with their SHA-256 and size, and
never put in the starter download."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import zipfile

from platform_testkit import BUNDLES
from rest_framework.test import APIClient


def test_backbones_are_listed_and_weights_stay_out_of_the_starter(db, settings, tmp_path):  # type: ignore[no-untyped-def]
    from courses.services import seed_course

    root = tmp_path / "bundles"
    bundle = root / "platform-smoke"
    shutil.copytree(BUNDLES / "platform-smoke", bundle)
    manifest = bundle / "assignment.toml"
    text = manifest.read_text()
    manifest.write_text(text.replace("[submission]", 'pretrained = ["tiny_net", "absent_net"]\n\n[submission]', 1))
    (bundle / "starter" / "tiny_net.safetensors").write_bytes(b"x" * 1000)
    (bundle / "starter" / "old.PTH").write_bytes(b"y")
    weights = settings.ARENA_HOME / "weights"
    weights.mkdir(parents=True)
    data = b"weights" * 100
    (weights / "tiny_net.safetensors").write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    (weights / "tiny_net.json").write_text(json.dumps({"file_sha256": digest}))
    settings.ARENA_ASSIGNMENTS = root
    (assignment,) = seed_course(root)

    detail = APIClient().get(f"/api/v1/assignments/{assignment.slug}/").json()
    assert detail["pretrained"] == [
        {"name": "tiny_net", "file": "tiny_net.safetensors",
         "sandbox_path": "/arena/pretrained/tiny_net.safetensors", "sha256": digest,
         "size_bytes": len(data)},
        {"name": "absent_net", "file": "absent_net.safetensors",
         "sandbox_path": "/arena/pretrained/absent_net.safetensors", "sha256": None,
         "size_bytes": None},
    ]
    response = APIClient().get(f"/api/v1/assignments/{assignment.slug}/starter.zip")
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert "platform-smoke/submission.py" in names
    assert not [n for n in names if n.lower().endswith((".safetensors", ".pth"))]
