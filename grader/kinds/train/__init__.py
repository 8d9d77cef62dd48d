"""The ``train`` part kind: a model trained in the sandbox under a fixed budget, then evaluated."""

from grader.kinds.kind import Kind
from grader.kinds.model.manifest import scored_metrics
from grader.kinds.train import manifest

KIND = Kind(
    name="train",
    read=manifest.read,
    grade_path="grader.kinds.train.grade:grade_train",
    rules=manifest.rules,
    metrics=manifest.METRICS,
    scored_metrics=scored_metrics,
)
