"""The `none` backend: NO ISOLATION. A plain subprocess with rlimits and a wall-clock limit.

For development machines without bubblewrap or Docker only; never chosen by "auto". The code
runs as the worker's user with the worker's view of the disk and the network. Paths under the
fixed sandbox locations (`/arena/...`, `/scratch`) in argv, environment values and the working
directory are rewritten to their host sources, so pass such paths to the sandboxed program
through argv or the environment rather than hard-coding them.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import ClassVar

from grader.errors import GraderError
from grader.sandbox.base import PYTHON_PLACEHOLDER, Sandbox, SandboxProcess, SandboxSpec
from grader.sandbox.environment import minimal_env, validate_target
from grader.sandbox.local_process import LocalProcess, feed_stdin
from grader.sandbox.privileges import ChildSetup, make_preexec, rlimits_for

__all__ = ["UnsafeSandbox", "rewrite_paths"]

log = logging.getLogger(__name__)


def rewrite_paths(value: str, table: Mapping[str, str]) -> str:
    """`value` with every sandbox path prefix replaced by its host path (longest first)."""
    for target in sorted(table, key=len, reverse=True):
        source = table[target]
        if value == target or value.startswith(target + "/"):
            return source + value[len(target) :]
        value = value.replace(":" + target + "/", ":" + source + "/")
        value = value.replace("=" + target + "/", "=" + source + "/")
        if value.endswith((":" + target, "=" + target)):
            value = value[: -len(target)] + source
    return value


class UnsafeSandbox(Sandbox):
    name: ClassVar[str] = "none"
    supports_spares: ClassVar[bool] = True

    def __init__(self) -> None:
        self.python = sys.executable
        log.warning("sandbox 'none': submissions run WITHOUT isolation (development only)")

    @classmethod
    def available(cls) -> str | None:
        return None

    @contextlib.contextmanager
    def _open(self, spec: SandboxSpec, stdin: bytes | None) -> Iterator[SandboxProcess]:
        scratch = Path(tempfile.mkdtemp(prefix="arena-unsafe-"))
        process: LocalProcess | None = None
        try:
            table = {"/scratch": str(scratch)}
            for mount in spec.mounts:
                validate_target(mount.target)
                if not mount.source.exists():
                    raise GraderError(f"sandbox mount source {mount.source} does not exist")
                table[mount.target] = str(mount.source)
            argv = [rewrite_paths(a, table) for a in spec.argv]
            if argv and argv[0] == PYTHON_PLACEHOLDER:
                argv[0] = self.python
            env = {
                k: rewrite_paths(v, table) for k, v in minimal_env(spec.env, self.python).items()
            }
            started = time.monotonic()
            popen = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                close_fds=True,
                start_new_session=True,
                preexec_fn=make_preexec(ChildSetup(rlimits=rlimits_for(spec.limits))),  # noqa: PLW1509
                cwd=rewrite_paths(spec.workdir, table),
                env=env,
            )
            process = LocalProcess(
                popen,
                spec.limits,
                started_at=started,
                start_s=time.monotonic() - started,
                cgroup=None,
                shell_style_exit=False,
                armed=stdin is not None,
            )
            if stdin is not None:  # None: a spare, started by go()
                feed_stdin(popen, stdin)
            yield process
        finally:
            if process is not None:
                process.close()
            shutil.rmtree(scratch, ignore_errors=True)
