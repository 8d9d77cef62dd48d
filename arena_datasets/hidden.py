"""Hidden data of a bundle, built on first use by the bundle's trusted recipe.

``ensure_hidden(bundle_dir)`` runs ``recipe.build(out, seed)`` into
``ARENA_HOME/hidden/<slug>/<hash>/``, where the hash is that of the bundle's **data key**
(``data_key``): everything the hidden data are a function of.

- the bundle's ``[data]`` version and seed;
- the SHA-256 of the recipe file's bytes;
- for every first-party module the recipe imports, directly or through other such modules
  (``arena_datasets.generators``, ``arena_datasets.localization``, ``arena_datasets.real``, ...):
  its declared versions (module-level ``*_VERSION`` constants such as ``GENERATOR_VERSION``) and
  a hash of its code (the syntax tree without comments, formatting or docstrings, so editing a
  comment rebuilds nothing but editing a generator does, version bumped or not);
- when the recipe reads real data (it reaches ``arena_datasets.real``): the pinned SHA-256 of
  every raw data file (``arena_datasets/checksums.toml``), which the loaders verify;
- when the recipe draws through the deployment secret (it reaches ``arena_datasets.secret``):
  the secret's fingerprint (never the secret), so another deployment's secret gives another folder.

A change in any of these gives a new folder (a rebuild); nothing changed finds the folder built
before (idempotent: the key costs a few parsed files, never a hash of the data). The build goes
to a temporary folder renamed into place, under a lock, so concurrent workers never see half a
data set. ``manifest.json`` records the key, what changed since the bundle's previous build
(``rebuilt_because``), and the SHA-256 of every file produced.
"""

from __future__ import annotations

import ast
import fcntl
import functools
import hashlib
import importlib.util
import json
import shutil
import sys
import tempfile
import time
import tomllib
from pathlib import Path
from typing import Any

from tqdm import tqdm

from arena_datasets.checksums import CHECKSUMS_FILE, sha256_file
from arena_datasets.paths import REPO_ROOT, arena_home

MANIFEST = "manifest.json"
MANIFEST_FORMAT = 2
KEY_FORMAT = 1

# First-party packages whose modules a recipe may build with: their code is part of the key.
TRACKED_PACKAGES = ("arena_datasets", "reference_models")
# Plumbing that does not shape the data (paths, the fetch and checksum machinery, this builder):
# what it delivers is pinned by the raw data checksums instead.
UNTRACKED_MODULES = frozenset(
    {"arena_datasets", "arena_datasets.paths", "arena_datasets.checksums",
     "arena_datasets.fetch", "arena_datasets.hidden"}
)
# Reaching one of these means the recipe reads real data: the raw checksums join the key.
RAW_DATA_MODULES = frozenset({"arena_datasets.real", "arena_datasets.fetch"})
# Reaching this means the data depend on the deployment secret: its fingerprint joins the key.
SECRET_MODULE = "arena_datasets.secret"


class HiddenDataError(RuntimeError):
    """The recipe is missing, failed, or its output does not match its manifest."""


def content_hash(key: dict[str, Any]) -> str:
    """The folder name of a data key: a hash of its canonical JSON."""
    canonical = json.dumps(key, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


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


# --- the data key -------------------------------------------------------------------------


def _module_file(name: str) -> Path | None:
    """The source file of a first-party module, found without importing it."""
    if name.split(".")[0] not in TRACKED_PACKAGES:
        return None
    base = REPO_ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported_names(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """Every module an ``import`` anywhere in ``tree`` may load (function bodies included)."""
    names: set[str] = set()
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                parts = package.split(".") if package else []
                parts = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
                base = ".".join(parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            names.add(base)
            # ``from arena_datasets import real`` imports the submodule ``arena_datasets.real``
            names.update(f"{base}.{alias.name}" for alias in node.names)
    expanded = set()
    for name in names:  # importing a.b.c runs a and a.b too
        parts = name.split(".")
        expanded.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    return expanded


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
    return tree


@functools.lru_cache(maxsize=256)
def _parsed(path: str, mtime_ns: int, size: int) -> tuple[str, dict[str, Any], ast.Module]:
    """``(code hash, declared versions, tree)`` of a source file, cached while it is unchanged."""
    source = Path(path).read_bytes()
    tree = ast.parse(source, filename=path)
    versions: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id.endswith("_VERSION"):
                    try:
                        versions[target.id] = ast.literal_eval(node.value)  # type: ignore[arg-type]
                    except ValueError:
                        versions[target.id] = ast.unparse(node.value)  # type: ignore[arg-type]
    code = ast.dump(_strip_docstrings(ast.parse(source, filename=path)), annotate_fields=False)
    return hashlib.sha256(code.encode()).hexdigest(), versions, tree


def _parse(path: Path) -> tuple[str, dict[str, Any], ast.Module]:
    stat = path.stat()
    return _parsed(str(path), stat.st_mtime_ns, stat.st_size)


def _declared_versions(module: str, from_source: dict[str, Any]) -> dict[str, Any]:
    """The ``*_VERSION`` values: the live module's where it is imported (what a build in this
    process would use), else the literals of its source (no import just to read a number)."""
    live = sys.modules.get(module)
    if live is None:
        return dict(from_source)
    found = {
        name: getattr(live, name)
        for name in dir(live)
        if name.endswith("_VERSION") and isinstance(getattr(live, name), (int, str, float))
    }
    return {**from_source, **found}


def _dependencies(recipe_tree: ast.Module) -> tuple[dict[str, dict[str, Any]], bool]:
    """The first-party modules the recipe reaches (versions and code hash), and whether it
    reads real data (the secret shows as ``arena_datasets.secret`` among the modules)."""
    modules: dict[str, dict[str, Any]] = {}
    raw_data = False
    pending = sorted(_imported_names(recipe_tree, "", False))
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        raw_data |= name in RAW_DATA_MODULES
        if name in UNTRACKED_MODULES:
            continue
        path = _module_file(name)
        if path is None:
            continue
        code, versions, tree = _parse(path)
        modules[name] = {"versions": _declared_versions(name, versions), "code": code}
        pending.extend(sorted(_imported_names(tree, name, path.name == "__init__.py") - seen))
    return dict(sorted(modules.items())), raw_data


def _raw_data_checksums() -> dict[str, dict[str, str]]:
    # Read the file itself (``pinned()`` is cached per process; a long-lived worker must see edits).
    with CHECKSUMS_FILE.open("rb") as handle:
        return tomllib.load(handle)


def data_key(bundle_dir: Path) -> dict[str, Any]:
    """Everything the bundle's hidden data are a function of (see the module docstring)."""
    _, recipe, version, seed = _data_spec(Path(bundle_dir))
    source = recipe.read_bytes()
    _, _, tree = _parse(recipe)
    modules, raw_data = _dependencies(tree)
    key: dict[str, Any] = {
        "format": KEY_FORMAT,
        "data_version": version,
        "seed": seed,
        "recipe": {"file": recipe.name, "sha256": hashlib.sha256(source).hexdigest()},
        "modules": modules,
        "raw_data": _raw_data_checksums() if raw_data else {},
    }
    if SECRET_MODULE in modules:
        from arena_datasets.secret import fingerprint  # creates the secret on first use

        key["secret"] = fingerprint()
    return key


def key_changes(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    """What differs between two data keys, in words (for ``rebuilt_because`` and the log)."""
    if not old:
        return ["first build"]
    if old.get("format") != new.get("format"):
        return [f"data key format {old.get('format')} -> {new.get('format')}"]
    changes = []
    for field in ("data_version", "seed"):
        if old.get(field) != new.get(field):
            changes.append(f"[data] {field.replace('data_', '')} {old.get(field)} -> {new.get(field)}")
    if old.get("recipe") != new.get("recipe"):
        changes.append(f"recipe {new['recipe']['file']} changed")
    old_modules, new_modules = old.get("modules", {}), new.get("modules", {})
    for name in sorted(set(old_modules) | set(new_modules)):
        before, after = old_modules.get(name), new_modules.get(name)
        if before is None:
            changes.append(f"the recipe now uses {name}")
        elif after is None:
            changes.append(f"the recipe no longer uses {name}")
        else:
            for version in sorted(set(before["versions"]) | set(after["versions"])):
                a, b = before["versions"].get(version), after["versions"].get(version)
                if a != b:
                    changes.append(f"{name}.{version} {a} -> {b}")
            if before["code"] != after["code"]:
                changes.append(f"{name} code changed")
    if old.get("secret") != new.get("secret"):
        changes.append("the deployment secret changed")
    old_raw, new_raw = old.get("raw_data", {}), new.get("raw_data", {})
    for source in sorted(set(old_raw) | set(new_raw)):
        if old_raw.get(source) != new_raw.get(source):
            changes.append(f"raw data {source} checksums changed")
    return changes or ["same key (the previous folder was incomplete)"]


def hidden_dir_for(bundle_dir: Path) -> Path:
    """Where the bundle's hidden data live (built or not)."""
    slug = _data_spec(Path(bundle_dir))[0]
    return arena_home() / "hidden" / slug / content_hash(data_key(Path(bundle_dir)))


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of a built folder, as ``{"format", "key", "rebuilt_because", "files"}``
    (folders built before the data key existed hold only the file hashes)."""
    raw = json.loads((Path(folder) / MANIFEST).read_text())
    if raw.get("format") == MANIFEST_FORMAT and isinstance(raw.get("files"), dict):
        return raw
    return {"format": 1, "key": None, "rebuilt_because": [], "files": raw}


def ensure_hidden(bundle_dir: Path) -> Path:
    """The folder of the bundle's hidden data, built now if it does not exist yet."""
    bundle_dir = Path(bundle_dir).resolve()
    slug, recipe, _, seed = _data_spec(bundle_dir)
    key = data_key(bundle_dir)
    target = arena_home() / "hidden" / slug / content_hash(key)
    if (target / MANIFEST).is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with _lock(target.parent / f".{target.name}.lock"):
        if (target / MANIFEST).is_file():  # another worker finished while we waited
            return target
        because = key_changes(_previous_key(target), key)
        print(f"hidden data for {slug}: building {target.name} ({'; '.join(because)})",
              file=sys.stderr)
        _build(slug, recipe, seed, target, key, because)
    return target


def _previous_key(target: Path) -> dict[str, Any] | None:
    """The key of the bundle's most recently built folder other than ``target``, if any."""
    built = [
        folder for folder in target.parent.iterdir()
        if folder.name != target.name and not folder.name.startswith(".")
        and (folder / MANIFEST).is_file()
    ]
    for folder in sorted(built, key=lambda f: (f / MANIFEST).stat().st_mtime_ns, reverse=True):
        try:
            return read_manifest(folder)["key"]
        except (OSError, ValueError):
            continue
    return None


def _build(slug: str, recipe: Path, seed: int, target: Path, key: dict[str, Any],
           because: list[str]) -> None:
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        with tqdm(
            total=2, desc=f"hidden data for {slug}", unit="step", file=sys.stderr, leave=False
        ) as progress:
            _run_recipe(recipe, scratch, seed)
            progress.update(1)
            files = {
                str(p.relative_to(scratch)): sha256_file(p)
                for p in sorted(scratch.rglob("*"))
                if p.is_file()
            }
            if not files:
                raise HiddenDataError(f"{recipe} wrote no files")
            manifest = {
                "format": MANIFEST_FORMAT,
                "slug": slug,
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "key_hash": target.name,
                "key": key,
                "rebuilt_because": because,
                "files": files,
            }
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
    for relative, expected in read_manifest(folder)["files"].items():
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
