"""What of the host's Python runtime a sandbox sees: the one place that decides it (threat 37).

A sandbox sees the interpreter, its standard library, the system's shared libraries and an
allow-list of Python distributions (and what they require), never a dataset file:
- `MASKED_DATA_DIRS` (`/usr/share`: Debian's dataset packages, documentation data) and every
  other Python installation's packages (Debian's `dist-packages`, the base interpreter's own
  `site-packages`, other `python3.*` trees) are hidden under empty read-only directories;
- the virtualenv's `site-packages` is an empty read-only directory into which only the files of
  allow-listed distributions (from their installed RECORD) are bound read-only.
`BASE_DISTRIBUTIONS` are always there; a bundle adds `OPTIONAL_DISTRIBUTIONS` by name
(`runtime_packages = ["torchvision"]`). Both backends apply the same `RuntimeLayout`.
"""

from __future__ import annotations

import functools
import glob
import os
import sys
import sysconfig
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from grader.errors import GraderError

__all__ = [
    "BASE_DISTRIBUTIONS",
    "MASKED_DATA_DIRS",
    "OPTIONAL_DISTRIBUTIONS",
    "RuntimeLayout",
    "allowed_distributions",
    "runtime_layout",
]

# What the harness and every bundle's solution import (torch brings its CUDA libraries).
BASE_DISTRIBUTIONS = ("torch", "numpy", "safetensors")
# What a bundle may ask for on top, by the name it writes in `runtime_packages`.
OPTIONAL_DISTRIBUTIONS = {"torchvision": ("torchvision",)}
# Never in a sandbox even if a requirement names them: they ship datasets (threat 37).
FORBIDDEN_DISTRIBUTIONS = frozenset(
    {"scikit-learn", "scikit-image", "mlxtend", "mnist", "tensorflow-datasets", "datasets"}
)
# System directories of data, hidden whole: the interpreter and torch need none of them.
MASKED_DATA_DIRS = ("/usr/share", "/usr/local/share")
# Where other Python installations keep packages (and data: Debian's python3-sklearn).
_FOREIGN_PYTHON_GLOBS = (
    "/usr/lib/python3*",
    "/usr/lib/python2*",
    "/usr/local/lib/python3*",
    "/usr/lib/python3/dist-packages",
)
_PACKAGE_SEARCH_ROOTS = ("/usr/lib", "/usr/lib64", "/usr/local/lib", "/usr/libexec")


@dataclass(frozen=True)
class RuntimeLayout:
    """Mounts, in order: `masks` (empty read-only directories) go over the system and runtime
    binds, then `binds` (read-only, source == target) land inside the masks."""

    masks: tuple[str, ...]
    binds: tuple[str, ...]


def _site_packages() -> str:
    return os.path.realpath(sysconfig.get_paths()["purelib"])


def _inside(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


@functools.lru_cache(maxsize=1)
def _installed() -> dict[str, metadata.Distribution]:
    """The distributions of the virtualenv's site-packages, by canonical name."""
    site = _site_packages()
    found: dict[str, metadata.Distribution] = {}
    for dist in metadata.distributions(path=[site]):
        name = dist.metadata["Name"]
        if name:
            found.setdefault(canonicalize_name(name), dist)
    return found


def _requirements(dist: metadata.Distribution, extras: Iterable[str]) -> list[Requirement]:
    """`dist`'s requirements that apply here with `extras` asked for (others' markers fail)."""
    wanted: list[Requirement] = []
    for line in dist.requires or []:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if req.marker is None:
            wanted.append(req)
            continue
        env = default_environment()
        for extra in ("", *extras):
            if req.marker.evaluate({**env, "extra": extra}):  # type: ignore[dict-item]
                wanted.append(req)
                break
    return wanted


def allowed_distributions(packages: Sequence[str] = ()) -> list[str]:
    """Canonical names of every distribution a sandbox sees: the base, `packages`, their needs."""
    roots = list(BASE_DISTRIBUTIONS)
    for name in packages:
        if name not in OPTIONAL_DISTRIBUTIONS:
            raise GraderError(
                f"runtime package {name!r} is not one of {sorted(OPTIONAL_DISTRIBUTIONS)}",
                permanent=True,
            )
        roots += OPTIONAL_DISTRIBUTIONS[name]
    installed = _installed()
    seen: set[str] = set()
    todo: list[tuple[str, tuple[str, ...]]] = [(canonicalize_name(r), ()) for r in roots]
    while todo:
        name, extras = todo.pop()
        if name in FORBIDDEN_DISTRIBUTIONS or name not in installed:
            continue  # an optional or platform-specific requirement that is not installed
        key = f"{name}[{','.join(sorted(extras))}]"
        if key in seen:
            continue
        seen.add(key)
        for req in _requirements(installed[name], extras):
            todo.append((canonicalize_name(req.name), tuple(req.extras)))
    return sorted({key.split("[")[0] for key in seen})


def _top_entries(dist: metadata.Distribution, depth: int) -> set[tuple[str, ...]]:
    """The first `depth` path components of every file the distribution installed."""
    entries: set[tuple[str, ...]] = set()
    for file in dist.files or []:
        parts = Path(file).parts
        if not parts or parts[0] in ("..", "__pycache__") or parts[0].endswith(".pth"):
            continue  # console scripts outside site-packages; .pth hooks are never needed
        entries.add(tuple(parts[:depth]) if len(parts) > depth else tuple(parts))
    return entries


def _entries_to_bind(allowed: Sequence[str]) -> list[str]:
    """Paths inside site-packages to bind: a top-level entry whole when only allowed
    distributions own it, else (a namespace directory such as `nvidia/`) one level deeper."""
    installed = _installed()
    owners: dict[tuple[str, ...], set[str]] = {}
    for name, dist in installed.items():
        for entry in _top_entries(dist, 1):
            owners.setdefault(entry, set()).add(name)
    chosen: set[tuple[str, ...]] = set()
    for name in allowed:
        for entry in _top_entries(installed[name], 1):
            if owners[entry] <= set(allowed):
                chosen.add(entry)
            else:
                chosen.update(e for e in _top_entries(installed[name], 2) if e[0] == entry[0])
    site = _site_packages()
    paths = [os.path.join(site, *entry) for entry in sorted(chosen)]
    return [p for p in paths if os.path.lexists(p)]


@functools.lru_cache(maxsize=1)
def _bundled_site_dirs() -> tuple[str, ...]:
    """`site-packages`/`dist-packages` anywhere under the system library trees (tools such as
    the Google Cloud SDK bundle a whole Python); found once per process (about a second)."""
    found: list[str] = []
    for top in _PACKAGE_SEARCH_ROOTS:
        for dirpath, dirnames, _ in os.walk(top):
            keep = []
            for name in dirnames:
                if name in ("site-packages", "dist-packages"):
                    found.append(os.path.realpath(os.path.join(dirpath, name)))
                else:
                    keep.append(name)
            dirnames[:] = keep  # a package tree is masked whole: no need to look inside
    return tuple(found)


def _foreign_python_dirs(runtime: Sequence[str]) -> list[str]:
    """Package trees of every Python installation other than the sandbox's own stdlib."""
    stdlib = os.path.realpath(sysconfig.get_paths()["stdlib"])
    base = sysconfig.get_paths(vars={"base": sys.base_prefix, "platbase": sys.base_exec_prefix})
    found = {os.path.realpath(p) for pattern in _FOREIGN_PYTHON_GLOBS for p in glob.glob(pattern)}
    found.update(_bundled_site_dirs())
    found.add(os.path.realpath(base["purelib"]))
    found.add(os.path.realpath(base["platlib"]))
    for prefix in runtime:
        found.add(os.path.join(prefix, "share"))
    site = _site_packages()
    return sorted(
        p
        for p in found
        if os.path.isdir(p)
        and not os.path.islink(p)
        and p not in (stdlib, site)
        # a tree that holds the interpreter's own stdlib or site-packages is not foreign
        and not _inside(stdlib, p)
        and not _inside(site, p)
    )


def _outermost(paths: Iterable[str]) -> list[str]:
    """`paths` without those inside another one of them (masking the outer hides them)."""
    ordered = sorted(set(paths), key=len)
    kept: list[str] = []
    for path in ordered:
        if not any(_inside(path, outer) for outer in kept):
            kept.append(path)
    return sorted(kept)


@functools.lru_cache(maxsize=8)
def runtime_layout(packages: tuple[str, ...], runtime: tuple[str, ...]) -> RuntimeLayout:
    """The masks and binds for a sandbox with `packages` over the base; `runtime`: the runtime
    paths already bound whole (the virtualenv, the base interpreter)."""
    site = _site_packages()
    masks = [*(d for d in MASKED_DATA_DIRS if os.path.isdir(d)), *_foreign_python_dirs(runtime)]
    masks = [*_outermost(masks), site]
    binds = _entries_to_bind(allowed_distributions(packages))
    return RuntimeLayout(masks=tuple(masks), binds=tuple(binds))
