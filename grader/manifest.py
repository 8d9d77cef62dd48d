"""The records an ``assignment.toml`` is read into, and the reader that names every mistake.

``grader.bundle`` reads the common frame (slug, week, limits, data, backbones) and hands each
``[[parts]]`` table to its kind's ``manifest`` module (``grader/kinds/<kind>/manifest.py``),
which reads the keys that kind owns with ``Reader``. The records here are plain values with
the grader's defaults: the platform stores them as they are (``asdict``), so a default has one
home. Mentors write these files by hand, so every mistake is a ``BundleError`` naming the file
and the key, never a ``KeyError`` deep inside grading.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from grader.errors import GraderError


class BundleError(GraderError):
    """An ``assignment.toml`` that cannot be graded; retrying does not help."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


@dataclass(frozen=True)
class Check:
    name: str
    points: float
    function: str = ""
    rtol: float = 1e-5
    atol: float = 1e-6
    arg_type: str = "torch"
    kwargs: dict[str, Any] = field(default_factory=dict)
    reference: str = ""  # architecture kind: the reference_models name (default: function)
    # functions kind: operators the check's function must not run ("aten::convolution", ...,
    # or "autograd"); audited in the sandbox and in the source (grader.source_audit).
    forbidden_ops: tuple[str, ...] = ()
    # functions kind: how a result's dtype must match the expected one (class | exact | numeric).
    dtype: str = "class"
    # functions kind: hints shown under a failed public case when their detector fires
    # (grader.kinds.functions.hints.Hint; typed loosely here: the records import no kind).
    hints: tuple[Any, ...] = ()


@dataclass(frozen=True)
class OutputSpec:
    name: str
    shape: tuple[int, ...]


@dataclass(frozen=True)
class Scoring:
    metric: str = "accuracy"
    metric_zero: float = 0.0
    metric_full: float = 1.0
    accuracy_points: float = 0.0
    accuracy_floor: float = 0.0
    speed_points: float = 0.0
    ips_zero: float = 1.0
    ips_full: float = 1000.0
    # Localization parts: the class of canvases with no object (``localization_metrics``);
    # None: a canvas is empty when its true box has no area.
    empty_label: int | None = None

    @property
    def max_points(self) -> float:
        return self.accuracy_points + self.speed_points


@dataclass(frozen=True)
class Timing:
    """How the trusted timer runs a model part (see ``grader.loadgen``)."""

    batch_size: int = 64
    warmup_queries: int = 3
    min_queries: int = 20
    min_duration_s: float = 1.0
    repeats: int = 5
    query_timeout_s: float = 30.0


@dataclass(frozen=True)
class Budget:
    """How a ``train`` part trains: a fixed amount of work; ``seconds`` is only a safety net.

    The default loop makes ``epochs`` passes over the training split in orders drawn from
    ``seed``, ``batch_size`` images a step, and stops after ``images`` images when that is set
    (0: whole epochs), with ``optimizer`` ("sgd", momentum 0.9, or "adam") at ``lr``. Every
    batch of that work is handed out, however slow the worker: the same work on any worker
    gives the same model, however loaded the worker is. ``seconds`` is CPU time (all the
    sandbox's processes and threads): a train() that uses more fails as a ``timeout``.

    ``bn_recalibration_images`` (0: off): once training returned, the platform recomputes the
    batch-norm running statistics on the first that many images the submission was handed
    (``grader.kinds.train.recalibration``); the part must name a ``reference``.
    """

    seconds: float = 60.0
    epochs: int = 1
    batch_size: int = 64
    lr: float = 0.01
    images: int = 0
    seed: int = 0
    optimizer: str = "sgd"
    bn_recalibration_images: int = 0


@dataclass(frozen=True)
class Part:
    """One ``[[parts]]`` table, as its kind read it (keys it does not own keep their default)."""

    name: str
    kind: str
    checks: tuple[Check, ...] = ()
    weights: str = ""
    builder: str = "build_model"
    input_shape: tuple[int, ...] = ()
    outputs: tuple[OutputSpec, ...] = ()
    num_classes: int = 10
    scoring: Scoring | None = None
    timing: Timing = Timing()
    budget: Budget = Budget()
    # ``train`` parts on GPU workers (``[parts.budget.gpu]``, ``[parts.scoring.gpu]``): a
    # larger budget and the thresholds measured under it. ``on_device`` picks them.
    gpu_budget: Budget | None = None
    gpu_scoring: Scoring | None = None
    reference: str = ""
    builder_kwargs: dict[str, Any] = field(default_factory=dict)
    # False: the upload's weights file may omit tensors the builder loaded from a pretrained
    # backbone (see Pretrained); whatever it holds must still fit the model's keys and shapes.
    weights_strict: bool = True

    @property
    def max_points(self) -> float:
        points = sum(check.points for check in self.checks)
        return points + (self.scoring.max_points if self.scoring else 0.0)

    @property
    def metric_scoring(self) -> Scoring:
        """The scoring of a part scored by a metric (``model``, ``train``): its manifest
        requires one, so its absence here is a grader bug, not the bundle's."""
        if self.scoring is None:
            raise GraderError(f"part {self.name!r} ({self.kind}) has no scoring")
        return self.scoring

    def on_device(self, device: str) -> Part:
        """This part as a ``device`` worker grades it: on "cuda", the GPU budget and scoring
        (when the bundle sets them); anywhere else, or without them, the part as written."""
        if device != "cuda" or self.gpu_budget is None:
            return self
        return replace(
            self,
            budget=self.gpu_budget,
            scoring=self.gpu_scoring or self.scoring,
            gpu_budget=None,
            gpu_scoring=None,
        )


@dataclass(frozen=True)
class Pretrained:
    """A pretrained backbone the sandbox receives read-only at ``/arena/pretrained/<name>.*``.

    The trusted side copies ``var/weights/<name>.safetensors`` (checked against the SHA-256 its
    ``<name>.json`` records, and against ``sha256`` when the bundle pins one) and the JSON.
    """

    name: str
    sha256: str = ""  # optional pin; empty: the metadata file's ``file_sha256`` is trusted

    @property
    def filename(self) -> str:
        return f"{self.name}.safetensors"


@dataclass(frozen=True)
class DataSpec:
    recipe: str = "recipe.py"
    version: int = 1
    seed: int = 0


@dataclass(frozen=True)
class Bundle:
    root: Path
    slug: str
    week: int
    title: str
    kind: str
    entry: str
    max_upload_mb: float
    limits: dict[str, float]
    data: DataSpec
    parts: tuple[Part, ...]
    gpu: bool = False
    public: bool = True
    daily_quota: int = 20
    max_selected: int = 2
    opens_at: str | None = None
    deadline: str | None = None
    pretrained: tuple[Pretrained, ...] = ()
    # ``[submission] import_seconds``: the entry module's import, bounded apart from training.
    import_seconds: float = 60.0
    # Optional packages the sandbox sees on top of torch/numpy (``runtime_packages``); default
    # none: ``import torchvision`` fails in a bundle that does not ask for it.
    runtime_packages: tuple[str, ...] = ()
    # The course page's words for the bundle's week ("" : the platform says "Week <n>"), and
    # whether that week's page shows the reference architectures' comparison chart.
    week_title: str = ""
    comparison_chart: bool = False

    @property
    def max_points(self) -> float:
        return sum(part.max_points for part in self.parts)

    @property
    def recipe_path(self) -> Path:
        return self.root / self.data.recipe


class Reader:
    """Typed access to one file's TOML tables, with errors naming the file and the key."""

    def __init__(self, path: Path, root: Path) -> None:
        self.path = path
        self.root = root

    def fail(self, where: str, what: str) -> BundleError:
        return BundleError(f"{self.path}: {where}: {what}")

    def get(self, table: dict, key: str, kind: type | tuple, where: str, default: Any = ...) -> Any:
        if key not in table:
            if default is ...:
                raise self.fail(where, f"missing required key {key!r}")
            return default
        value = table[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if float in kinds and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(value, bool) and bool not in kinds:
            raise self.fail(where, f"{key!r} must be {kinds[0].__name__}, not a boolean")
        if not isinstance(value, kinds):
            raise self.fail(where, f"{key!r} must be {kinds[0].__name__}, got {value!r}")
        return value

    def only(self, table: dict, known: frozenset[str] | set[str], where: str) -> None:
        """A key nobody reads is a mistake (a typo would silently keep the default)."""
        unknown = set(table) - set(known)
        if unknown:
            raise self.fail(where, f"unknown keys {sorted(unknown)}; known: {sorted(known)}")

    def positive(self, table: dict, key: str, where: str, default: float) -> float:
        value = self.get(table, key, float, where, default)
        if value <= 0:
            raise self.fail(f"{where} {key}", "must be positive")
        return value

    def int_tuple(self, raw: dict, key: str, where: str) -> tuple[int, ...]:
        values = self.get(raw, key, list, where, [])
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            raise self.fail(where, f"{key} must be a list of integers")
        return tuple(values)

    def tables(self, raw: dict, key: str, where: str, label: str) -> list[tuple[dict, str]]:
        """The tables of an array of tables (``[[parts.checks]]``), each with where it is."""
        found = []
        for i, item in enumerate(self.get(raw, key, list, where, [])):
            at = f"{where} {label} #{i + 1}"
            if not isinstance(item, dict):
                raise self.fail(at, "must be a table")
            found.append((item, at))
        return found

    def dataclass_table(self, cls: type[Any], raw: dict, where: str) -> Any:
        """A table of positive numbers into ``cls`` (``warmup_queries`` may be 0)."""
        fields = {f.name: f for f in dataclasses.fields(cls)}
        self.only(raw, set(fields), where)
        values = {}
        for key in raw:
            kind = int if fields[key].type == "int" else float
            values[key] = self.get(raw, key, kind, where)
            if values[key] <= 0 and key != "warmup_queries":
                raise self.fail(where, f"{key} must be positive")
        return cls(**values)
