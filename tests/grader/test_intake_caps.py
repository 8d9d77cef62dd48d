"""Intake refuses what Python could import that is not source, and ends every hostile upload in
a verdict: huge or deeply nested sources, over-long names and paths deeper than PATH_MAX."""

from __future__ import annotations

import importlib.util
import marshal
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from grader.errors import IntakeRejected
from grader.intake import unpack_submission
from grader.intake_parse import ParseCaps, check_python_sources

MiB = 1024 * 1024
GOOD = b"def add(a, b):\n    raise RuntimeError('the source is not what runs')\n"


def _zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def _rejected(upload: Path, tmp_path: Path, *, max_files: int = 500) -> IntakeRejected:
    with pytest.raises(IntakeRejected) as info:
        unpack_submission(
            upload,
            tmp_path / "out",
            entry="submission.py",
            max_upload_bytes=20 * MiB,
            max_files=max_files,
        )
    assert info.value.message.endswith(".")
    return info.value


def _bytecode(source: str) -> bytes:
    """A real .pyc of `source` for this interpreter (header + marshalled code)."""
    code = compile(source, "submission.py", "exec")
    return importlib.util.MAGIC_NUMBER + b"\0" * 12 + marshal.dumps(code)


SCORING = "def add(a, b):\n    return a + b\n"
TAG = sys.implementation.cache_tag


@pytest.mark.parametrize(
    "name",
    [
        f"__pycache__/submission.{TAG}.pyc",
        "submission.pyc",
        "helper.pyo",
        "helper.cpython-311-x86_64-linux-gnu.so",
        "helper.abi3.so",
        "helper.pyd",
        "evil.pth",
        "lib.zip",
        "lib.egg",
        "lib.whl",
        "pkg/__pycache__/notes.txt",
        "pkg/HELPER.PYC",
    ],
)
def test_it_refuses_anything_importable_that_is_not_source(name: str, tmp_path: Path) -> None:
    upload = _zip(tmp_path / "up.zip", {"submission.py": GOOD, name: _bytecode(SCORING)})
    rejected = _rejected(upload, tmp_path)
    assert rejected.kind == "unsupported_format"
    assert name in rejected.message and "source" in rejected.message


def test_the_shadowing_bytecode_would_have_scored(tmp_path: Path) -> None:
    """The rejected pyc is a real attack: Python prefers __pycache__ over the raising source."""
    folder = tmp_path / "tree"
    (folder / "__pycache__").mkdir(parents=True)
    (folder / "submission.py").write_bytes(GOOD)
    source_stat = (folder / "submission.py").stat()
    code = compile(SCORING, str(folder / "submission.py"), "exec")
    header = importlib.util.MAGIC_NUMBER + (0).to_bytes(4, "little")
    header += int(source_stat.st_mtime).to_bytes(4, "little")
    header += (source_stat.st_size & 0xFFFFFFFF).to_bytes(4, "little")
    (folder / "__pycache__" / f"submission.{TAG}.pyc").write_bytes(header + marshal.dumps(code))
    probe = "import submission; print(submission.add(2, 3))"
    shadowed = subprocess.run(
        [sys.executable, "-c", probe], cwd=folder, capture_output=True, check=False
    )
    assert shadowed.stdout.strip() == b"5"  # the hidden bytecode ran, not the uploaded source


def test_data_files_and_sources_stay_accepted(tmp_path: Path) -> None:
    upload = _zip(
        tmp_path / "up.zip",
        {
            "submission.py": GOOD,
            "model.safetensors": b"x" * 64,
            "pkg/util.py": b"y = 1\n",
            "notes.txt": b"zip and pyc are fine in prose",
        },
    )
    root = unpack_submission(upload, tmp_path / "out", entry="submission.py", max_upload_bytes=MiB)
    assert (root / "model.safetensors").is_file()


def test_an_over_long_entry_name_is_an_invalid_archive(tmp_path: Path) -> None:
    upload = _zip(tmp_path / "up.zip", {"submission.py": GOOD, "a" * 300 + ".txt": b"x"})
    rejected = _rejected(upload, tmp_path)
    assert rejected.kind == "invalid_archive" and "too long" in rejected.message
    assert len(rejected.message) < 200  # the name is shortened in the sentence


def test_a_path_deeper_than_path_max_is_an_invalid_archive(tmp_path: Path) -> None:
    deep = "/".join(["d" * 200] * 25) + "/x.txt"  # 5,000 bytes: past PATH_MAX (4,096)
    upload = _zip(tmp_path / "up.zip", {"submission.py": GOOD, deep: b"x"})
    rejected = _rejected(upload, tmp_path)
    assert rejected.kind == "invalid_archive"


def test_a_deeply_nested_tree_is_an_invalid_archive(tmp_path: Path) -> None:
    deep = "/".join(["d"] * 40) + "/x.txt"
    upload = _zip(tmp_path / "up.zip", {"submission.py": GOOD, deep: b"x"})
    assert _rejected(upload, tmp_path).kind == "invalid_archive"


def test_a_source_that_explodes_ast_parse_is_rejected_without_touching_the_grader(
    tmp_path: Path,
) -> None:
    """1.9 MB of nested expressions: ast.parse would need gigabytes; the capped child says no
    and the grading process's own memory does not grow."""
    root = tmp_path / "tree"
    root.mkdir()
    (root / "submission.py").write_text(
        "x = " + "(" * 90 + "1" + ")" * 90 + "\n" + "y = [" + "1," * 950_000 + "]\n"
    )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    with pytest.raises(IntakeRejected) as info:
        check_python_sources(root, ParseCaps(memory_bytes=256 * MiB))
    assert info.value.kind == "syntax" and "limits" in info.value.message
    assert time.monotonic() - started < 60
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50 * 1024  # KiB


def test_a_source_over_the_size_cap_is_too_large(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "submission.py").write_bytes(b"# pad\n" * (3 * MiB // 6))
    with pytest.raises(IntakeRejected) as info:
        check_python_sources(root)
    assert info.value.kind == "too_large" and "submission.py" in info.value.message


def test_syntax_errors_still_name_the_file_and_line(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    (root / "pkg").mkdir(parents=True)
    (root / "submission.py").write_bytes(b"x = 1\n")
    (root / "pkg" / "util.py").write_bytes(b"def f(:\n")
    with pytest.raises(IntakeRejected) as info:
        check_python_sources(root)
    assert info.value.kind == "syntax"
    assert info.value.message.startswith("pkg/util.py line 1 has a syntax error")
