"""Assignment bundles: ``assignments/<slug>/assignment.toml`` read into typed, validated records.

Mentors write these files by hand, so every mistake is reported with the file and the key
that is wrong (``BundleError``), never as a ``KeyError`` deep inside grading.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from grader.errors import GraderError
from grader.sandbox.runtime import OPTIONAL_DISTRIBUTIONS

PART_KINDS = ("functions", "model", "train", "architecture")
SCORING_METRICS = ("accuracy", "top5_accuracy", "loc_accuracy", "mean_iou")
LIMIT_KEYS = (
    "wall_seconds",
    "cpu_seconds",
    "memory_mb",
    "pids",
    "scratch_mb",
    "shm_mb",
    "output_bytes",
    "file_size_mb",
    "open_files",
)
REPO_ROOT = Path(__file__).resolve().parent.parent
# Names of pretrained backbones: the stem of ``var/weights/<name>.safetensors``.
PRETRAINED_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


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


BUDGET_OPTIMIZERS = ("sgd", "adam")


@dataclass(frozen=True)
class Budget:
    """How a ``train`` part trains: a fixed amount of work; ``seconds`` is only a ceiling.

    The default loop makes ``epochs`` passes over the training split in orders drawn from
    ``seed``, ``batch_size`` images a step, and stops after ``images`` images when that is set
    (0: whole epochs), with ``optimizer`` ("sgd", momentum 0.9, or "adam") at ``lr``. It never
    starts a step that it expects to end past ``seconds``; the same work on any worker gives
    the same model, however loaded the worker is.
    """

    seconds: float = 60.0
    epochs: int = 1
    batch_size: int = 64
    lr: float = 0.01
    images: int = 0
    seed: int = 0
    optimizer: str = "sgd"


@dataclass(frozen=True)
class Part:
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

    @property
    def max_points(self) -> float:
        return sum(part.max_points for part in self.parts)

    @property
    def recipe_path(self) -> Path:
        return self.root / self.data.recipe


def assignments_root() -> Path:
    """``ARENA_ASSIGNMENTS`` overrides ``<repo>/assignments``."""
    configured = os.environ.get("ARENA_ASSIGNMENTS")
    return Path(configured).resolve() if configured else REPO_ROOT / "assignments"


def resolve_bundle_dir(slug_or_dir: str | Path) -> Path:
    candidate = Path(slug_or_dir)
    if (candidate / "assignment.toml").is_file():
        return candidate.resolve()
    by_slug = assignments_root() / str(slug_or_dir)
    if (
        isinstance(slug_or_dir, str)
        and "/" not in slug_or_dir
        and (by_slug / "assignment.toml").is_file()
    ):
        return by_slug
    raise BundleError(f"no assignment bundle named {str(slug_or_dir)!r} (looked in {by_slug})")


def load_bundle(slug_or_dir: str | Path) -> Bundle:
    root = resolve_bundle_dir(slug_or_dir)
    path = root / "assignment.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BundleError(f"{path}: cannot read: {exc}") from exc
    return _Reader(path, root).bundle(raw)


def list_bundles(root: Path | None = None) -> list[Bundle]:
    """Every valid bundle under ``root`` (default: the assignments folder), by week then slug."""
    base = root or assignments_root()
    if not base.is_dir():
        return []
    bundles = [load_bundle(d) for d in sorted(base.iterdir()) if (d / "assignment.toml").is_file()]
    return sorted(bundles, key=lambda b: (b.week, b.slug))


class _Reader:
    """Typed access to the TOML tables with errors naming the file and key."""

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

    def bundle(self, raw: dict) -> Bundle:
        slug = self.get(raw, "slug", str, "top level")
        if slug != self.root.name:
            raise self.fail("slug", f"{slug!r} must equal the folder name {self.root.name!r}")
        submission = self.get(raw, "submission", dict, "top level", {})
        raw_parts = self.get(raw, "parts", list, "top level")
        if not raw_parts:
            raise self.fail("parts", "a bundle needs at least one [[parts]]")
        parts = tuple(self.part(p, i) for i, p in enumerate(raw_parts))
        names = [p.name for p in parts]
        if len(set(names)) != len(names):
            raise self.fail("parts", f"part names must be unique, got {names}")
        bundle = Bundle(
            root=self.root,
            slug=slug,
            week=self.get(raw, "week", int, "top level"),
            title=self.get(raw, "title", str, "top level"),
            kind=self.get(raw, "kind", str, "top level", parts[0].kind),
            entry=self.get(submission, "entry", str, "[submission]", "submission.py"),
            max_upload_mb=self.get(submission, "max_upload_mb", float, "[submission]", 50.0),
            import_seconds=self.positive(submission, "import_seconds", "[submission]", 60.0),
            limits=self.limits(self.get(raw, "limits", dict, "top level", {})),
            data=self.data(self.get(raw, "data", dict, "top level", {})),
            parts=parts,
            gpu=self.get(raw, "gpu", bool, "top level", False),
            public=self.get(raw, "public", bool, "top level", True),
            daily_quota=self.get(raw, "daily_quota", int, "top level", 20),
            max_selected=self.get(raw, "max_selected", int, "top level", 2),
            opens_at=self.get(raw, "opens_at", str, "top level", None),
            deadline=self.get(raw, "deadline", str, "top level", None),
            pretrained=self.pretrained(raw),
            runtime_packages=self.runtime_packages(raw),
        )
        self.validate_totals(bundle)
        self.validate_pretrained(bundle)
        return bundle

    def positive(self, table: dict, key: str, where: str, default: float) -> float:
        value = self.get(table, key, float, where, default)
        if value <= 0:
            raise self.fail(f"{where} {key}", "must be positive")
        return value

    def validate_totals(self, bundle: Bundle) -> None:
        if bundle.kind not in PART_KINDS:
            raise self.fail("kind", f"{bundle.kind!r} is not one of {PART_KINDS}")
        if not bundle.entry.endswith(".py") or "/" in bundle.entry or bundle.entry.startswith("."):
            raise self.fail("[submission] entry", f"{bundle.entry!r} must be a top-level .py file")
        if abs(bundle.max_points - 100.0) > 1e-6:
            raise self.fail("points", f"the parts' points sum to {bundle.max_points:g}, not 100")

    def runtime_packages(self, raw: dict) -> tuple[str, ...]:
        """``runtime_packages = ["torchvision"]``: names from the sandbox's optional list."""
        items = self.get(raw, "runtime_packages", list, "top level", [])
        for item in items:
            if not isinstance(item, str) or item not in OPTIONAL_DISTRIBUTIONS:
                raise self.fail(
                    "runtime_packages", f"{item!r} is not one of {sorted(OPTIONAL_DISTRIBUTIONS)}"
                )
        return tuple(dict.fromkeys(items))

    # -- pretrained backbones -------------------------------------------------------------
    def pretrained(self, raw: dict) -> tuple[Pretrained, ...]:
        """``pretrained = ["name", ...]`` or ``[{ name = "...", sha256 = "<64 hex>" }, ...]``."""
        where = "pretrained"
        items = self.get(raw, "pretrained", list, "top level", [])
        entries: list[Pretrained] = []
        for i, item in enumerate(items):
            at = f"{where}[{i}]"
            if isinstance(item, str):
                entry = Pretrained(item)
            elif isinstance(item, dict):
                unknown = set(item) - {"name", "sha256"}
                if unknown:
                    raise self.fail(at, f"unknown keys {sorted(unknown)}; known: name, sha256")
                entry = Pretrained(
                    self.get(item, "name", str, at), self.get(item, "sha256", str, at, "").lower()
                )
            else:
                raise self.fail(at, f"must be a backbone name or {{name, sha256}}, got {item!r}")
            if not PRETRAINED_NAME.fullmatch(entry.name) or ".." in entry.name:
                raise self.fail(
                    at,
                    f"{entry.name!r} is not a backbone name (the stem of "
                    "var/weights/<name>.safetensors: letters, digits, _ . -)",
                )
            if entry.sha256 and not re.fullmatch(r"[0-9a-f]{64}", entry.sha256):
                raise self.fail(at, "sha256 must be 64 hexadecimal digits")
            entries.append(entry)
        names = [e.name for e in entries]
        if len(set(names)) != len(names):
            raise self.fail(where, f"backbone names must be unique, got {names}")
        return tuple(entries)

    def validate_pretrained(self, bundle: Bundle) -> None:
        for i, part in enumerate(bundle.parts):
            if part.weights_strict:
                continue
            where = f"[[parts]] #{i + 1}"
            if part.kind != "model":
                raise self.fail(where, "weights_strict = false applies to model parts only")
            if not bundle.pretrained:
                raise self.fail(
                    where,
                    "weights_strict = false lets an upload omit tensors loaded from a pretrained "
                    "backbone, but the bundle declares none (top-level pretrained = [...])",
                )

    def limits(self, raw: dict) -> dict[str, float]:
        unknown = set(raw) - set(LIMIT_KEYS)
        if unknown:
            raise self.fail("[limits]", f"unknown keys {sorted(unknown)}; known: {LIMIT_KEYS}")
        limits = {k: self.get(raw, k, float, "[limits]") for k in raw}
        for key, value in limits.items():
            if value <= 0:
                raise self.fail("[limits]", f"{key} must be positive")
        return limits

    def data(self, raw: dict) -> DataSpec:
        spec = DataSpec(
            recipe=self.get(raw, "recipe", str, "[data]", "recipe.py"),
            version=self.get(raw, "version", int, "[data]", 1),
            seed=self.get(raw, "seed", int, "[data]", 0),
        )
        if not (self.root / spec.recipe).is_file():
            raise self.fail("[data] recipe", f"{spec.recipe!r} does not exist in the bundle")
        return spec

    def part(self, raw: dict, index: int) -> Part:
        where = f"[[parts]] #{index + 1}"
        if not isinstance(raw, dict):
            raise self.fail(where, "must be a table")
        kind = self.get(raw, "kind", str, where)
        if kind not in PART_KINDS:
            raise self.fail(where, f"kind {kind!r} is not one of {PART_KINDS}")
        name = self.get(raw, "name", str, where)
        if not name.replace("-", "_").isidentifier():
            raise self.fail(where, f"name {name!r} must be a simple word (letters, digits, _ -)")
        checks = tuple(
            self.check(c, f"{where} check #{i + 1}", kind)
            for i, c in enumerate(self.get(raw, "checks", list, where, []))
        )
        scoring_raw = self.get(raw, "scoring", dict, where, None)
        budget_raw = self.get(raw, "budget", dict, where, {})
        gpu_scoring_raw = self.gpu_table(scoring_raw or {}, where, "scoring", kind)
        gpu_budget_raw = self.gpu_table(budget_raw, where, "budget", kind)
        budget = self.budget(self.without_gpu(budget_raw), where)
        part = Part(
            name=name,
            kind=kind,
            checks=checks,
            weights=self.get(raw, "weights", str, where, ""),
            builder=self.get(raw, "builder", str, where, "build_model"),
            input_shape=self.int_tuple(raw, "input_shape", where),
            outputs=self.outputs(raw, where),
            num_classes=self.get(raw, "num_classes", int, where, 10),
            scoring=self.scoring(self.without_gpu(scoring_raw), where)
            if scoring_raw is not None
            else None,
            timing=self.timing(self.get(raw, "timing", dict, where, {}), where),
            budget=budget,
            gpu_budget=self.gpu_budget(budget, gpu_budget_raw, where),
            gpu_scoring=self.gpu_scoring(scoring_raw, gpu_scoring_raw, gpu_budget_raw, where),
            reference=self.get(raw, "reference", str, where, ""),
            builder_kwargs=self.get(raw, "builder_kwargs", dict, where, {}),
            weights_strict=self.get(raw, "weights_strict", bool, where, True),
        )
        self.validate_part(part, where)
        return part

    def validate_part(self, part: Part, where: str) -> None:
        empty = part.scoring.empty_label if part.scoring is not None else None
        if empty is not None and not 0 <= empty < part.num_classes:
            raise self.fail(
                f"{where} [parts.scoring]",
                f"empty_label {empty} must be a class in [0, {part.num_classes})",
            )
        if part.kind in ("functions", "architecture") and not part.checks:
            raise self.fail(where, f"a {part.kind} part needs at least one [[parts.checks]]")
        needs_shape = part.kind in ("model", "train", "architecture")
        if needs_shape and (len(part.input_shape) != 3 or min(part.input_shape) <= 0):
            raise self.fail(where, "input_shape must be [C, H, W] with positive sizes")
        if part.kind in ("model", "train"):
            if not part.outputs:
                raise self.fail(where, "outputs must declare at least one output")
            if part.scoring is None:
                raise self.fail(where, f"a {part.kind} part needs [parts.scoring]")
            if part.kind == "model" and not part.weights:
                raise self.fail(where, 'a model part needs weights = "<file in the upload>"')
        if part.kind == "train" and part.builder == "build_model" and part.budget.seconds <= 0:
            raise self.fail(where, "[parts.budget] seconds must be positive")

    def check(self, raw: dict, where: str, kind: str) -> Check:
        if not isinstance(raw, dict):
            raise self.fail(where, "must be a table")
        name = self.get(raw, "name", str, where)
        check = Check(
            name=name,
            points=self.get(raw, "points", float, where),
            function=self.get(raw, "function", str, where, name),
            rtol=self.get(raw, "rtol", float, where, 1e-5),
            atol=self.get(raw, "atol", float, where, 1e-6),
            arg_type=self.get(raw, "arg_type", str, where, "torch"),
            kwargs=self.get(raw, "kwargs", dict, where, {}),
            forbidden_ops=tuple(self.get(raw, "forbidden_ops", list, where, [])),
            reference=self.get(raw, "reference", str, where, ""),
            dtype=self.get(raw, "dtype", str, where, "class"),
        )
        if check.dtype not in ("class", "exact", "numeric"):
            raise self.fail(where, f"dtype {check.dtype!r} must be 'class', 'exact' or 'numeric'")
        self.validate_forbidden(check, where, kind)
        if check.points < 0:
            raise self.fail(where, "points must not be negative")
        if check.arg_type not in ("torch", "numpy"):
            raise self.fail(where, f"arg_type {check.arg_type!r} must be 'torch' or 'numpy'")
        if not check.function.isidentifier():
            raise self.fail(where, f"function {check.function!r} is not a Python name")
        return check

    def validate_forbidden(self, check: Check, where: str, kind: str) -> None:
        from grader.source_audit import AUDITED_OPS

        if check.forbidden_ops and kind != "functions":
            raise self.fail(where, "only functions checks can forbid operators")
        unknown = [op for op in check.forbidden_ops if op not in AUDITED_OPS]
        if unknown:
            raise self.fail(where, f"forbidden_ops {unknown} are not audited: {list(AUDITED_OPS)}")

    def int_tuple(self, raw: dict, key: str, where: str) -> tuple[int, ...]:
        values = self.get(raw, key, list, where, [])
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            raise self.fail(where, f"{key} must be a list of integers")
        return tuple(values)

    def outputs(self, raw: dict, where: str) -> tuple[OutputSpec, ...]:
        specs = []
        for i, item in enumerate(self.get(raw, "outputs", list, where, [])):
            if not isinstance(item, dict):
                raise self.fail(where, f"outputs[{i}] must be {{name, shape}}")
            shape = self.int_tuple(item, "shape", f"{where} outputs[{i}]")
            if not shape or min(shape) <= 0 or len(shape) > 7:
                raise self.fail(where, f"outputs[{i}] shape must have 1..7 positive sizes")
            specs.append(OutputSpec(self.get(item, "name", str, where), shape))
        return tuple(specs)

    def scoring(self, raw: dict, where: str, table: str = "[parts.scoring]") -> Scoring:
        w = f"{where} {table}"
        known = Scoring.__dataclass_fields__
        unknown = set(raw) - set(known)
        if unknown:
            raise self.fail(w, f"unknown keys {sorted(unknown)}")
        kinds = {"metric": str, "empty_label": int}
        values = {k: self.get(raw, k, kinds.get(k, float), w) for k in raw}
        scoring = Scoring(**values)
        if scoring.empty_label is not None and scoring.empty_label < 0:
            raise self.fail(w, f"empty_label {scoring.empty_label} must not be negative")
        if scoring.metric not in SCORING_METRICS:
            raise self.fail(w, f"metric {scoring.metric!r} is not one of {SCORING_METRICS}")
        if scoring.metric_full <= scoring.metric_zero:
            raise self.fail(w, "metric_full must be greater than metric_zero")
        if scoring.speed_points and not 0 < scoring.ips_zero < scoring.ips_full:
            raise self.fail(w, "speed scoring needs 0 < ips_zero < ips_full")
        return scoring

    def timing(self, raw: dict, where: str) -> Timing:
        return self.dataclass_table(Timing, raw, f"{where} [parts.timing]")

    def budget(self, raw: dict, where: str, table: str = "[parts.budget]") -> Budget:
        w = f"{where} {table}"
        fields = Budget.__dataclass_fields__
        unknown = set(raw) - set(fields)
        if unknown:
            raise self.fail(w, f"unknown keys {sorted(unknown)}; known: {sorted(fields)}")
        values: dict[str, Any] = {}
        for key in raw:
            if key == "optimizer":
                values[key] = self.get(raw, key, str, w)
                if values[key] not in BUDGET_OPTIMIZERS:
                    raise self.fail(
                        w, f"optimizer {values[key]!r} is not one of {BUDGET_OPTIMIZERS}"
                    )
                continue
            values[key] = self.get(raw, key, int if fields[key].type == "int" else float, w)
            if key in ("images", "seed"):
                if values[key] < 0:
                    raise self.fail(w, f"{key} must not be negative")
            elif values[key] <= 0:
                raise self.fail(w, f"{key} must be positive")
        return Budget(**values)

    def gpu_table(self, raw: dict, where: str, table: str, kind: str) -> dict | None:
        """The ``gpu`` sub-table of ``[parts.budget]`` or ``[parts.scoring]``, if any."""
        if "gpu" not in raw:
            return None
        gpu = raw["gpu"]
        if not isinstance(gpu, dict):
            raise self.fail(
                f"{where} [parts.{table}]", f"'gpu' must be a table [parts.{table}.gpu]"
            )
        if kind != "train":
            raise self.fail(f"{where} [parts.{table}.gpu]", "only train parts have a GPU budget")
        return gpu

    @staticmethod
    def without_gpu(raw: dict) -> dict:
        return {k: v for k, v in raw.items() if k != "gpu"}

    def gpu_budget(self, cpu: Budget, raw: dict | None, where: str) -> Budget | None:
        """``[parts.budget.gpu]``: its keys over the CPU budget's."""
        if raw is None:
            return None
        w = f"{where} [parts.budget.gpu]"
        if not raw:
            raise self.fail(w, "is empty: set what GPU workers change (epochs, images, seconds)")
        return self.budget({**asdict(cpu), **raw}, where, "[parts.budget.gpu]")

    def gpu_scoring(
        self, cpu_raw: dict | None, raw: dict | None, gpu_budget_raw: dict | None, where: str
    ) -> Scoring | None:
        """``[parts.scoring.gpu]``: thresholds over the CPU scoring's; the points stay the same."""
        if raw is None:
            return None
        w = f"{where} [parts.scoring.gpu]"
        if gpu_budget_raw is None:
            raise self.fail(
                w, "needs a [parts.budget.gpu]: the same budget scores the same anywhere"
            )
        fixed = {"metric", "accuracy_points", "speed_points", "empty_label"} & set(raw)
        if fixed:
            raise self.fail(
                w, f"{sorted(fixed)} cannot change on GPU workers (a score means the same anywhere)"
            )
        return self.scoring(
            {**self.without_gpu(cpu_raw or {}), **raw}, where, "[parts.scoring.gpu]"
        )

    def dataclass_table(self, cls: type, raw: dict, where: str) -> Any:
        fields = cls.__dataclass_fields__
        unknown = set(raw) - set(fields)
        if unknown:
            raise self.fail(where, f"unknown keys {sorted(unknown)}")
        values = {}
        for key in raw:
            kind = int if fields[key].type == "int" else float
            values[key] = self.get(raw, key, kind, where)
            if values[key] <= 0 and key != "warmup_queries":
                raise self.fail(where, f"{key} must be positive")
        return cls(**values)
