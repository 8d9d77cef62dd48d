"""The ``train`` part kind (see docs/internals.md, "Part kinds")."""

from grader.kinds.kind import Kind
from grader.kinds.train.grade import grade_train

KIND = Kind(name="train", grade=grade_train)
