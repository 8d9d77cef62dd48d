"""The trusted side's syntax check of mentee sources, under caps (threat 42).

`ast.parse` of a hostile 5 MB file can allocate gigabytes, so parsing never happens in the
grading process: a child interpreter (`-I -S`: no site, no environment) parses the files under
an address-space limit, a CPU-time limit and a wall clock, and answers one JSON line. Sources
are size-capped before that. Every way it can end is a verdict (`IntakeRejected`) or a pass.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from grader.errors import IntakeRejected

__all__ = ["ParseCaps", "check_python_sources"]

MiB = 1024 * 1024

# Runs in the child: parses argv[2:] (paths relative to argv[1]), prints one JSON object.
_CHILD = r"""
import ast, json, sys
root = sys.argv[1]
for name in sys.argv[2:]:
    try:
        with open(root + "/" + name, "rb") as handle:
            text = handle.read().decode("utf-8")
        ast.parse(text, filename=name)
    except UnicodeDecodeError:
        print(json.dumps({"file": name, "why": "utf8"})); sys.exit(0)
    except SyntaxError as exc:
        print(json.dumps({"file": name, "why": "syntax", "line": exc.lineno, "msg": exc.msg}))
        sys.exit(0)
    except (MemoryError, RecursionError, ValueError):
        sys.stdout.write('{"file": %s, "why": "limits"}\n' % json.dumps(name)); sys.exit(0)
print('{"ok": true}')
"""


@dataclass(frozen=True)
class ParseCaps:
    max_file_bytes: int = 2 * MiB  # the largest legitimate submission module is a few KB
    max_total_bytes: int = 8 * MiB
    memory_bytes: int = 1024 * MiB  # address space of the parsing child
    cpu_seconds: int = 20
    wall_seconds: float = 60.0


def _limit(caps: ParseCaps) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (caps.memory_bytes, caps.memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (caps.cpu_seconds, caps.cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _sources(root: Path, caps: ParseCaps) -> list[str]:
    """The .py files under `root` (relative paths), size-checked before anyone parses them."""
    names: list[str] = []
    total = 0
    for path in sorted(root.rglob("*.py")):
        if not path.is_file() or path.is_symlink():
            continue
        relative = path.relative_to(root).as_posix()
        size = path.stat().st_size
        total += size
        if size > caps.max_file_bytes or total > caps.max_total_bytes:
            raise IntakeRejected(
                "too_large",
                f"{relative} makes the Python sources larger than the "
                f"{caps.max_file_bytes // MiB} MiB per file ({caps.max_total_bytes // MiB} MiB in "
                "all) the grader parses; ship data as weights files, not as code.",
            )
        names.append(relative)
    return names


def _run_child(root: Path, names: list[str], caps: ParseCaps) -> dict[str, object]:
    argv = [sys.executable, "-I", "-S", "-c", _CHILD, str(root), *names]
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            timeout=caps.wall_seconds,
            preexec_fn=lambda: _limit(caps),  # only setrlimit between fork and exec
            check=False,
            env={},
        )
    except subprocess.TimeoutExpired:
        return {"file": names[0] if len(names) == 1 else "a source file", "why": "limits"}
    try:
        answer = json.loads(done.stdout.decode().strip().splitlines()[-1])
    except (ValueError, IndexError, UnicodeDecodeError):
        # Killed at a limit (SIGXCPU, or no memory left even to answer): still a verdict.
        answer = {"file": "a source file", "why": "limits"}
    return answer if isinstance(answer, dict) else {"file": "a source file", "why": "limits"}


def check_python_sources(root: Path, caps: ParseCaps | None = None) -> None:
    """Every .py file under `root` must parse; raises IntakeRejected otherwise. Nothing is
    imported or run, and the grading process never parses mentee code itself."""
    caps = caps or ParseCaps()
    names = _sources(root, caps)
    if not names:
        return
    answer = _run_child(root, names, caps)
    if answer.get("ok") is True:
        return
    name = str(answer.get("file"))
    why = answer.get("why")
    if why == "utf8":
        raise IntakeRejected("syntax", f"{name} is not UTF-8 text.")
    if why == "syntax":
        raise IntakeRejected(
            "syntax", f"{name} line {answer.get('line')} has a syntax error: {answer.get('msg')}."
        )
    raise IntakeRejected(
        "syntax",
        f"{name} cannot be parsed within the grader's limits "
        f"({caps.memory_bytes // MiB} MiB, {caps.cpu_seconds} s): simplify the code.",
    )
