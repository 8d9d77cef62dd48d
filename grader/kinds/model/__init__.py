"""The ``model`` part kind (see docs/internals.md, "Part kinds")."""

from grader.kinds.kind import Kind
from grader.kinds.model.grade import grade_model

KIND = Kind(name="model", grade=grade_model)
