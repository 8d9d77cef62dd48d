"""The ``model`` part kind: a trained model in the upload, evaluated and timed on hidden data."""

from grader.kinds.kind import Kind
from grader.kinds.model import manifest

KIND = Kind(
    name="model",
    read=manifest.read,
    grade_path="grader.kinds.model.grade:grade_model",
    rules=manifest.rules,
    metrics=manifest.METRICS,
    scored_metrics=manifest.scored_metrics,
)
