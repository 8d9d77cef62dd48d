"""The ``architecture`` part kind: builders proved equivalent to the reference networks."""

from grader.kinds.architecture import manifest
from grader.kinds.kind import Kind

KIND = Kind(
    name="architecture",
    read=manifest.read,
    grade_path="grader.kinds.architecture.grade:grade_architecture",
    rules=manifest.rules,
)
