"""The allow-listed runtime is enough for every bundle: each solution's entry module (and what it
imports) loads in a sandbox with exactly its bundle's runtime packages. Grading them in full is
`tests/assignments/`; this proves, in seconds per bundle and on both backends, that no import
the solutions make was taken away by the runtime's allow-list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.bundle import list_bundles
from grader.sandbox import (
    PYTHON_PLACEHOLDER,
    Limits,
    Mount,
    Sandbox,
    SandboxSpec,
    grant_sandbox_access,
)

BUNDLES = list_bundles()

# Imports the entry module as the harness does; an ImportError names the missing module.
IMPORT_ENTRY = """
import importlib, json, sys
sys.path.insert(0, "/arena/submission")
sys.dont_write_bytecode = True
try:
    importlib.import_module(sys.argv[1])
    print(json.dumps({"missing": None}))
except ImportError as exc:
    print(json.dumps({"missing": exc.name or str(exc)}))
"""


@pytest.mark.parametrize("bundle", BUNDLES, ids=[b.slug for b in BUNDLES])
def test_the_solution_imports_in_its_bundles_sandbox(
    sandbox: Sandbox, bundle, tmp_path: Path
) -> None:
    copy = tmp_path / "solution"
    copy.mkdir()
    for path in (bundle.root / "solution").glob("*.py"):
        (copy / path.name).write_bytes(path.read_bytes())
    grant_sandbox_access(copy)
    spec = SandboxSpec(
        argv=[PYTHON_PLACEHOLDER, "-c", IMPORT_ENTRY, Path(bundle.entry).stem],
        mounts=(Mount(copy, "/arena/submission"),),
        limits=Limits(wall_seconds=120, cpu_seconds=120),
        packages=bundle.runtime_packages,
    )
    result = sandbox.run(spec)
    assert result.exit_code == 0, result.stderr.decode()[-2000:]
    assert json.loads(result.stdout) == {"missing": None}, bundle.slug
