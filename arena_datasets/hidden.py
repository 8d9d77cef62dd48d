"""Hidden data of a bundle, built on first use by the bundle's trusted recipe.

``ensure_hidden(bundle_dir)`` runs ``recipe.build(out, seed)`` into
``ARENA_HOME/hidden/<slug>/<hash>/``, where the hash covers the recipe's source, the data
version and the seed: a changed recipe gets a new folder, an unchanged one is built once. The
build goes to a temporary folder renamed into place, under a lock, so concurrent workers never
see half a data set. A ``manifest.json`` records the SHA-256 of every file produced.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import json
import shutil
import sys
import tempfile
import tomllib
from pathlib import Path

from tqdm import tqdm

from arena_datasets.checksums import sha256_file
from arena_datasets.paths import arena_home

MANIFEST = "manifest.json"


class HiddenDataError(RuntimeError):
    """The recipe is missing, failed, or its output does not match its manifest."""


def content_hash(recipe_source: bytes, version: int, seed: int) -> str:
    digest = hashlib.sha256()
    digest.update(recipe_source)
    digest.update(f"\0version={version}\0seed={seed}".encode())
    return digest.hexdigest()[:32]


def _data_spec(bundle_dir: Path) -> tuple[str, Path, int, int]:
    with (bundle_dir / "assignment.toml").open("rb") as handle:
        raw = tomllib.load(handle)
    data = raw.get("data", {})
    recipe = bundle_dir / data.get("recipe", "recipe.py")
    if not recipe.is_file():
        raise HiddenDataError(f"{bundle_dir}: the recipe {recipe.name} does not exist")
    return (
        raw.get("slug", bundle_dir.name),
        recipe,
        int(data.get("version", 1)),
        int(data.get("seed", 0)),
    )


def hidden_dir_for(bundle_dir: Path) -> Path:
    """Where the bundle's hidden data live (built or not)."""
    slug, recipe, version, seed = _data_spec(Path(bundle_dir))
    return arena_home() / "hidden" / slug / content_hash(recipe.read_bytes(), version, seed)


def ensure_hidden(bundle_dir: Path) -> Path:
    """The folder of the bundle's hidden data, built now if it does not exist yet."""
    bundle_dir = Path(bundle_dir).resolve()
    slug, recipe, _, seed = _data_spec(bundle_dir)
    target = hidden_dir_for(bundle_dir)
    if (target / MANIFEST).is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with _lock(target.parent / f".{target.name}.lock"):
        if (target / MANIFEST).is_file():  # another worker finished while we waited
            return target
        _build(slug, recipe, seed, target)
    return target


def _build(slug: str, recipe: Path, seed: int, target: Path) -> None:
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        with tqdm(
            total=2, desc=f"hidden data for {slug}", unit="step", file=sys.stderr, leave=False
        ) as progress:
            _run_recipe(recipe, scratch, seed)
            progress.update(1)
            manifest = {
                str(p.relative_to(scratch)): sha256_file(p)
                for p in sorted(scratch.rglob("*"))
                if p.is_file()
            }
            if not manifest:
                raise HiddenDataError(f"{recipe} wrote no files")
            (scratch / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
            progress.update(1)
        if target.exists():  # a stale, incomplete folder left by a crash: replace it
            shutil.rmtree(target)
        scratch.rename(target)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise


def _run_recipe(recipe: Path, out: Path, seed: int) -> None:
    name = f"_arena_recipe_{hashlib.sha256(str(recipe).encode()).hexdigest()[:12]}"
    spec = importlib.util.spec_from_file_location(name, recipe)
    if spec is None or spec.loader is None:
        raise HiddenDataError(f"cannot load the recipe {recipe}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    build = getattr(module, "build", None)
    if not callable(build):
        raise HiddenDataError(f"{recipe} must define build(out, seed)")
    build(out, seed)


def verify_hidden(folder: Path) -> None:
    """Re-hash every file against the manifest (for ``make hidden`` and audits)."""
    manifest = json.loads((folder / MANIFEST).read_text())
    for relative, expected in manifest.items():
        path = folder / relative
        if not path.is_file() or sha256_file(path) != expected:
            raise HiddenDataError(f"{path} does not match the manifest")


class _lock:
    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> None:
        self.handle = self.path.open("w")
        fcntl.flock(self.handle, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()
