"""The ``functions`` kind's keys: ``[[parts.checks]]``, each a function of the upload called
on the recipe's cases and compared on the trusted side (``rtol``/``atol``, ``dtype`` policy),
optionally "by hand" (``forbidden_ops``), with hints for failed public cases
(``[[parts.checks.hints]]``, grader.kinds.functions.hints).
"""

from __future__ import annotations

from typing import Any

from grader.kinds.functions.hints import HintError, read_hints
from grader.kinds.kind import Rule
from grader.manifest import Check, Part, Reader
from grader.source_audit import AUDITED_OPS

KEYS = frozenset({"checks"})
CHECK_KEYS = frozenset(
    {
        "name",
        "points",
        "function",
        "rtol",
        "atol",
        "arg_type",
        "kwargs",
        "forbidden_ops",
        "dtype",
        "hints",
    }
)
DTYPE_POLICIES = ("class", "exact", "numeric")
ARG_TYPES = ("torch", "numpy")


def read(reader: Reader, raw: dict[str, Any], name: str, where: str) -> Part:
    reader.only(raw, KEYS | {"name", "kind"}, where)
    checks = tuple(
        check(reader, table, at) for table, at in reader.tables(raw, "checks", where, "check")
    )
    if not checks:
        raise reader.fail(where, "a functions part needs at least one [[parts.checks]]")
    return Part(name=name, kind="functions", checks=checks)


def check(reader: Reader, raw: dict[str, Any], where: str) -> Check:
    reader.only(raw, CHECK_KEYS, where)
    name = reader.get(raw, "name", str, where)
    result = Check(
        name=name,
        points=reader.get(raw, "points", float, where),
        function=reader.get(raw, "function", str, where, name),
        rtol=reader.get(raw, "rtol", float, where, 1e-5),
        atol=reader.get(raw, "atol", float, where, 1e-6),
        arg_type=reader.get(raw, "arg_type", str, where, "torch"),
        kwargs=reader.get(raw, "kwargs", dict, where, {}),
        forbidden_ops=tuple(reader.get(raw, "forbidden_ops", list, where, [])),
        dtype=reader.get(raw, "dtype", str, where, "class"),
        hints=hints(reader, raw, where),
    )
    if result.dtype not in DTYPE_POLICIES:
        raise reader.fail(where, f"dtype {result.dtype!r} must be 'class', 'exact' or 'numeric'")
    unknown = [op for op in result.forbidden_ops if op not in AUDITED_OPS]
    if unknown:
        raise reader.fail(where, f"forbidden_ops {unknown} are not audited: {list(AUDITED_OPS)}")
    check_common(reader, result, where)
    if result.arg_type not in ARG_TYPES:
        raise reader.fail(where, f"arg_type {result.arg_type!r} must be 'torch' or 'numpy'")
    return result


def hints(reader: Reader, raw: dict[str, Any], where: str) -> tuple[Any, ...]:
    try:
        return read_hints(raw.get("hints"))
    except HintError as exc:
        raise reader.fail(where, str(exc)) from None


def check_common(reader: Reader, result: Check, where: str) -> None:
    """What every check of any kind must satisfy."""
    if result.points < 0:
        raise reader.fail(where, "points must not be negative")
    if not result.function.isidentifier():
        raise reader.fail(where, f"function {result.function!r} is not a Python name")


def rules(part: Part) -> list[Rule]:
    return [
        Rule(
            f"{c.name}: every hidden case matches the reference (rtol {c.rtol:g}, atol {c.atol:g}"
            + ("; exact dtype)" if c.dtype == "exact" else ")")
            + (
                f"; written by hand, without {', '.join(c.forbidden_ops)}"
                if c.forbidden_ops
                else ""
            ),
            c.points,
        )
        for c in part.checks
    ]
