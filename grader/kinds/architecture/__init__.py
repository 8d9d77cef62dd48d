"""The ``architecture`` part kind (see docs/internals.md, "Part kinds")."""

from grader.kinds.architecture.grade import grade_architecture
from grader.kinds.kind import Kind

KIND = Kind(name="architecture", grade=grade_architecture)
