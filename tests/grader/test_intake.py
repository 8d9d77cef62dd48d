"""Safe intake: valid uploads become a clean tree; every invalid one is rejected with its kind."""

from __future__ import annotations

import io
import json
import stat
import zipfile
from pathlib import Path

import pytest

from grader.errors import IntakeRejected
from grader.intake import unpack_submission

MiB = 1024 * 1024
GOOD = "def softmax(x):\n    return x\n"


def _zip(path: Path, entries: dict[str, bytes], *, modes: dict[str, int] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if modes and name in modes:
                info.external_attr = modes[name] << 16
                info.create_system = 3
            archive.writestr(info, data)
    return path


def _unpack(upload: Path, tmp_path: Path, **caps: int) -> Path:
    caps.setdefault("max_upload_bytes", 5 * MiB)
    return unpack_submission(upload, tmp_path / "out", entry="submission.py", **caps)


def _rejected(upload: Path, tmp_path: Path, **caps: int) -> IntakeRejected:
    with pytest.raises(IntakeRejected) as info:
        _unpack(upload, tmp_path, **caps)
    assert info.value.message.endswith(".")  # one sentence for the mentee
    return info.value


def test_it_accepts_a_python_file_as_the_entry_module(tmp_path: Path) -> None:
    upload = tmp_path / "my_solution.py"
    upload.write_text(GOOD)
    root = _unpack(upload, tmp_path)
    assert (root / "submission.py").read_text() == GOOD
    assert stat.S_IMODE((root / "submission.py").stat().st_mode) == 0o644
    assert stat.S_IMODE(root.stat().st_mode) == 0o755


def test_it_unpacks_a_zip_with_weights_as_opaque_bytes(tmp_path: Path) -> None:
    weights = bytes(range(256)) * 100
    upload = _zip(
        tmp_path / "up.zip",
        {"submission.py": GOOD.encode(), "model.safetensors": weights, "pkg/util.py": b"y = 2\n"},
    )
    root = _unpack(upload, tmp_path)
    assert (root / "model.safetensors").read_bytes() == weights
    assert stat.S_IMODE((root / "pkg").stat().st_mode) == 0o755
    assert stat.S_IMODE((root / "pkg" / "util.py").stat().st_mode) == 0o644


def test_it_strips_a_single_top_folder(tmp_path: Path) -> None:
    upload = _zip(
        tmp_path / "up.zip",
        {"mysub/": b"", "mysub/submission.py": GOOD.encode(), "__MACOSX/._x": b"junk"},
    )
    root = _unpack(upload, tmp_path)
    assert sorted(p.name for p in root.iterdir()) == ["submission.py"]


def test_it_converts_notebook_code_cells_and_drops_magics(tmp_path: Path) -> None:
    notebook = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# Title", "id": "a"},
            {
                "cell_type": "code",
                "metadata": {},
                "source": "!pip install foo\n%matplotlib inline\nimport math\n",
                "outputs": [],
                "execution_count": None,
                "id": "b",
            },
            {
                "cell_type": "code",
                "metadata": {},
                "source": "%%bash\nrm -rf /\n",
                "outputs": [],
                "execution_count": None,
                "id": "c",
            },
            {
                "cell_type": "code",
                "metadata": {},
                "source": GOOD,
                "outputs": [],
                "execution_count": None,
                "id": "d",
            },
        ],
    }
    upload = tmp_path / "work.ipynb"
    upload.write_text(json.dumps(notebook))
    source = (_unpack(upload, tmp_path) / "submission.py").read_text()
    assert "import math" in source and "def softmax" in source
    assert "pip install" not in source and "rm -rf" not in source and "%matplotlib" not in source
    assert "Dropped 4 IPython magic or shell line(s)" in source


def test_it_rejects_an_oversized_upload(tmp_path: Path) -> None:
    upload = tmp_path / "big.py"
    upload.write_text("x = 1\n" * 1000)
    assert _rejected(upload, tmp_path, max_upload_bytes=100).kind == "too_large"
    assert not (tmp_path / "out").exists()


def test_it_rejects_unsupported_formats(tmp_path: Path) -> None:
    upload = tmp_path / "model.pt"
    upload.write_bytes(b"\x80\x02pickle")
    assert _rejected(upload, tmp_path).kind == "unsupported_format"


def test_it_rejects_python_that_does_not_parse(tmp_path: Path) -> None:
    upload = tmp_path / "bad.py"
    upload.write_text("def softmax(x)\n    return x\n")
    rejection = _rejected(upload, tmp_path)
    assert rejection.kind == "syntax" and "line 1" in rejection.message


def test_it_rejects_a_syntax_error_in_any_module_of_a_zip(tmp_path: Path) -> None:
    upload = _zip(tmp_path / "up.zip", {"submission.py": GOOD.encode(), "util.py": b"def (:\n"})
    assert _rejected(upload, tmp_path).kind == "syntax"


def test_it_never_runs_uploaded_code_while_checking_it(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    upload = tmp_path / "evil.py"
    upload.write_text(f"open({str(canary)!r}, 'w').write('ran')\n")
    _unpack(upload, tmp_path)
    assert not canary.exists()


def test_it_rejects_a_missing_entry_module(tmp_path: Path) -> None:
    upload = _zip(tmp_path / "up.zip", {"solution.py": GOOD.encode()})
    rejection = _rejected(upload, tmp_path)
    assert rejection.kind == "missing_entry" and "submission.py" in rejection.message


def test_it_rejects_what_is_not_a_zip(tmp_path: Path) -> None:
    upload = tmp_path / "up.zip"
    upload.write_bytes(b"PK\x03\x04 this is not really a zip")
    assert _rejected(upload, tmp_path).kind == "invalid_archive"


@pytest.mark.parametrize(
    "name", ["/etc/cron.d/evil", "../evil.py", "a/../../evil.py", "C:/evil.py", "a\\..\\evil.py"]
)
def test_it_rejects_paths_escaping_the_archive(tmp_path: Path, name: str) -> None:
    upload = _zip(tmp_path / "up.zip", {"submission.py": GOOD.encode(), name: b"x = 1\n"})
    assert _rejected(upload, tmp_path).kind == "invalid_archive"
    assert not (tmp_path / "evil.py").exists()


@pytest.mark.parametrize(
    "mode", [stat.S_IFLNK | 0o777, stat.S_IFCHR | 0o666, stat.S_IFIFO | 0o644, stat.S_IFBLK | 0o600]
)
def test_it_rejects_links_and_special_files(tmp_path: Path, mode: int) -> None:
    upload = _zip(
        tmp_path / "up.zip",
        {"submission.py": GOOD.encode(), "weights.pt": b"/etc/shadow"},
        modes={"weights.pt": mode},
    )
    assert _rejected(upload, tmp_path).kind == "invalid_archive"


def test_it_rejects_duplicate_entries(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("submission.py", GOOD)
        with pytest.warns(UserWarning):
            archive.writestr("submission.py", "import os\n")
    upload = tmp_path / "up.zip"
    upload.write_bytes(buffer.getvalue())
    assert _rejected(upload, tmp_path).kind == "invalid_archive"


def test_it_rejects_too_many_files(tmp_path: Path) -> None:
    entries = {f"f{i}.txt": b"" for i in range(30)} | {"submission.py": GOOD.encode()}
    upload = _zip(tmp_path / "up.zip", entries)
    assert _rejected(upload, tmp_path, max_files=20).kind == "too_many_files"


def test_it_rejects_a_zip_bomb_by_ratio(tmp_path: Path) -> None:
    upload = _zip(
        tmp_path / "up.zip", {"submission.py": GOOD.encode(), "zeros.bin": bytes(20 * MiB)}
    )
    assert upload.stat().st_size < MiB
    assert _rejected(upload, tmp_path, max_total_bytes=100 * MiB).kind == "zip_bomb"


def test_it_rejects_a_zip_bomb_by_total_size(tmp_path: Path) -> None:
    upload = _zip(tmp_path / "up.zip", {"submission.py": GOOD.encode(), "a.bin": bytes(3 * MiB)})
    assert _rejected(upload, tmp_path, max_total_bytes=2 * MiB).kind == "zip_bomb"


def test_it_rejects_an_entry_larger_than_it_claims(tmp_path: Path) -> None:
    upload = _zip(tmp_path / "up.zip", {"submission.py": GOOD.encode(), "data.bin": b"a" * 5000})
    raw = bytearray(upload.read_bytes())
    # Shrink the declared size of data.bin in the central directory (the one zipfile trusts).
    central = raw.rfind(b"PK\x01\x02")
    size_field = central + 24
    raw[size_field : size_field + 4] = (100).to_bytes(4, "little")
    upload.write_bytes(bytes(raw))
    assert _rejected(upload, tmp_path).kind in ("zip_bomb", "invalid_archive")
