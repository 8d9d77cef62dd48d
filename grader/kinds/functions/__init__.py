"""The ``functions`` part kind: named functions of the upload called on hidden cases."""

from grader.kinds.functions import manifest
from grader.kinds.kind import Kind

KIND = Kind(
    name="functions",
    read=manifest.read,
    grade_path="grader.kinds.functions.grade:grade_functions",
    rules=manifest.rules,
)
