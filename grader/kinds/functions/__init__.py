"""The ``functions`` part kind (see docs/internals.md, "Part kinds")."""

from grader.kinds.functions.grade import grade_functions
from grader.kinds.kind import Kind

KIND = Kind(name="functions", grade=grade_functions)
