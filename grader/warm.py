"""``python -m grader warm --key-file PATH``: a grading process started before its job.

The platform's worker keeps one waiting (``platform/submissions/warm_grader.py``). It has done
the grader's imports (torch among them) and, when the key file names the first stage of the
worker's last grading, started a spare sandbox of that shape (``grader/stages/spares.py``), so
a grading like the last one starts with nothing left to import. The job arrives on stdin as the
JSON list of a ``grade`` command's arguments; it runs in this process exactly as
``python -m grader grade`` runs it (same report, same exit codes), and the key file is then
rewritten with this grading's first stage. End of input without a job (the worker discarded
this process) exits 0 at once.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from grader.errors import GraderError
from grader.settings import spare_sandboxes
from grader.stages.spares import SpareKey, SparePool, spare_pool

__all__ = ["parse_job", "run_warm"]

log = logging.getLogger(__name__)
# Spares started before the job: week 1's two stages; each one holds a sandbox's memory.
MAX_WARM_SPARES = 2


def run_warm(key_file: Path, run_job: Callable[[list[str]], int], jobs: TextIO = sys.stdin) -> int:
    """Wait for the job on ``jobs`` and run it with ``run_job`` (the CLI's ``main``)."""
    from grader import grading  # noqa: F401  (the imports a job would otherwise wait for)

    with spare_pool(enabled=spare_sandboxes()) as pool:
        if pool is not None:
            _stock_from(pool, key_file)
        raw = jobs.read()
        if not raw.strip():
            return 0
        code = run_job(parse_job(raw))
        if pool is not None and pool.first_key is not None:
            _write_key(key_file, pool.first_key, pool.demand[pool.first_key])
        return code


def parse_job(raw: str) -> list[str]:
    """The ``grade`` command's arguments from the worker's JSON; anything else is refused."""
    try:
        argv = json.loads(raw)
    except ValueError:
        argv = None
    if (
        not isinstance(argv, list)
        or not argv
        or argv[0] != "grade"
        or not all(isinstance(a, str) for a in argv)
    ):
        raise GraderError(
            'a warm grader\'s job must be a JSON list: ["grade", ...]', permanent=True
        )
    return argv


def _stock_from(pool: SparePool, key_file: Path) -> None:
    """Spares shaped like the last grading's first stage, as many as its stages of that shape
    (at most ``MAX_WARM_SPARES``), if the file names one. Not with CPU slots: a spare waiting
    for a job that may never come would hold a slot's cores (spares inside a grading do)."""
    from grader.sandbox import get_sandbox
    from grader.sandbox.slots import slot_config

    try:
        if slot_config() is not None:
            return
        recorded = json.loads(key_file.read_text())
        key = SpareKey.from_json(json.dumps(recorded["key"]))
        count = min(MAX_WARM_SPARES, max(1, int(recorded["stages"])))
        sandbox = get_sandbox(key.backend)
    except FileNotFoundError:
        return  # this worker's first grading
    except (OSError, ValueError, KeyError, TypeError, GraderError) as exc:
        log.info("no spare before the job: %s", exc)
        return
    pool.stock(key.stage_config(sandbox), count)


def _write_key(key_file: Path, key: SpareKey, stages: int) -> None:
    """Replaced whole (a reader never sees half a file); a failure only costs the next spare."""
    temporary = key_file.with_name(f".{key_file.name}.{os.getpid()}")
    try:
        key_file.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(json.dumps({"key": json.loads(key.to_json()), "stages": stages}))
        os.replace(temporary, key_file)
    except OSError as exc:
        log.info("spare key not written: %s", exc)
        temporary.unlink(missing_ok=True)
