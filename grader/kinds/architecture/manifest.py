"""The ``architecture`` kind's keys: ``[[parts.checks]]``, each a builder of the upload proved
equivalent to a ``reference_models`` network (reference weights in, reference outputs out).
"""

from __future__ import annotations

from typing import Any

from grader.kinds.functions.manifest import check_common
from grader.kinds.kind import Rule
from grader.kinds.model.manifest import input_shape
from grader.manifest import Check, Part, Reader

KEYS = frozenset({"checks", "input_shape", "num_classes", "builder_kwargs"})
CHECK_KEYS = frozenset({"name", "points", "function", "reference", "rtol", "atol", "kwargs"})


def read(reader: Reader, raw: dict[str, Any], name: str, where: str) -> Part:
    reader.only(raw, KEYS | {"name", "kind"}, where)
    checks = tuple(
        check(reader, table, at) for table, at in reader.tables(raw, "checks", where, "check")
    )
    if not checks:
        raise reader.fail(where, "an architecture part needs at least one [[parts.checks]]")
    return Part(
        name=name,
        kind="architecture",
        checks=checks,
        input_shape=input_shape(reader, raw, where),
        num_classes=reader.get(raw, "num_classes", int, where, 10),
        builder_kwargs=reader.get(raw, "builder_kwargs", dict, where, {}),
    )


def check(reader: Reader, raw: dict[str, Any], where: str) -> Check:
    if "forbidden_ops" in raw:
        raise reader.fail(where, "only functions checks can forbid operators")
    reader.only(raw, CHECK_KEYS, where)
    name = reader.get(raw, "name", str, where)
    result = Check(
        name=name,
        points=reader.get(raw, "points", float, where),
        function=reader.get(raw, "function", str, where, name),
        reference=reader.get(raw, "reference", str, where, ""),
        rtol=reader.get(raw, "rtol", float, where, 1e-5),
        atol=reader.get(raw, "atol", float, where, 1e-6),
        kwargs=reader.get(raw, "kwargs", dict, where, {}),
    )
    check_common(reader, result, where)
    return result


def rules(part: Part) -> list[Rule]:
    return [
        Rule(
            f"{c.name}: reference weights give the reference outputs (rtol {c.rtol:g}, "
            f"atol {c.atol:g}); parameter shapes match",
            c.points,
        )
        for c in part.checks
    ]
