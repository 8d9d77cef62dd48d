"""The registry of part kinds: each kind is one folder here and one line below.

A kind's folder holds everything about it: its grading (``grade.py``) and the helpers only it
uses. ``KINDS[name]`` is the ``Kind`` a ``[[parts]] kind = name`` table is graded by.
"""

from __future__ import annotations

from grader.kinds import architecture, functions, model, train
from grader.kinds.kind import Kind

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        functions.KIND,
        model.KIND,
        train.KIND,
        architecture.KIND,
    )
}
__all__ = ["KINDS", "Kind"]
