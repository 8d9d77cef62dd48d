"""``grade()``: one submission against one bundle, end to end, always a report.

Intake, hidden data, then each part in its own sandboxed stages; the scores are computed
here, outside any sandbox, from raw predictions. ``grade`` raises only when the grader itself
cannot run (a broken bundle, a missing recipe): anything the mentee caused is a report.

What leaves here is the trusted side's word only (threats 38, 39): ``rejected`` comes from
intake, ``error`` from trusted-side failures; a report that did not end ``scored`` keeps no
hidden result (every check "not graded", no metric); a scored one has its check messages from
the closed vocabulary and its timing metrics rounded, each metric declared in ``metric_info``.
"""

from __future__ import annotations

import os
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from arena_datasets.hidden import ensure_hidden
from grader.bundle import Bundle, load_bundle
from grader.bundle_metrics import scored_keys
from grader.errors import GraderError, IntakeRejected
from grader.intake import unpack_submission
from grader.kinds import KINDS
from grader.metric_info import coarsen, describe
from grader.report import CheckResult, Report, ReportError, cap_log
from grader.sandbox import Limits, Sandbox, get_sandbox
from grader.scoring import total_score
from grader.settings import spare_sandboxes
from grader.stages.context import PartContext, PartResult
from grader.stages.failures import StageFailure
from grader.stages.spares import spare_pool
from grader.vocabulary import closed, not_graded

# When parts fail differently, the report shows the most serious status.
SEVERITY = {"scored": 0, "failed": 1, "error": 2, "rejected": 3}


@dataclass(frozen=True)
class GradeOptions:
    sandbox: str = "auto"  # auto | docker | bwrap | none
    gpus: str = "none"  # none | all | N
    show_hidden_logs: bool = False  # mentors only: hidden-stage logs in the report
    # The platform's worker: hidden-stage logs apart, in ``hidden_logs`` (mentors only), never
    # in ``logs``, which mentees read.
    hidden_logs_apart: bool = False
    # A built hidden-data folder to use as it is (a remote worker's copy of the web's, fetched
    # and verified by hash); None: found or built under ARENA_HOME.
    hidden_data: Path | None = None


def grade(
    assignment: str | Path, submission: Path, options: GradeOptions = GradeOptions()
) -> Report:
    started = time.monotonic()
    bundle = load_bundle(assignment)
    with tempfile.TemporaryDirectory(prefix="arena-grade-") as work_name:
        work = Path(work_name)
        os.chmod(work, 0o755)  # the sandbox user reads the unpacked submission below it
        report = _grade_in(bundle, Path(submission), options, work)
    report.timings["total_s"] = time.monotonic() - started
    report.timings.setdefault("sandbox_start_s", 0.0)
    return report


def _grade_in(bundle: Bundle, submission: Path, options: GradeOptions, work: Path) -> Report:
    try:
        unpacked = _intake(bundle, submission, work)
    except IntakeRejected as rejected:
        return Report("rejected", error=ReportError(rejected.kind, rejected.message))
    try:
        sandbox = get_sandbox(options.sandbox)
    except GraderError as exc:
        return Report("error", error=ReportError("sandbox", f"No sandbox to grade in: {exc}"))
    hidden_started = time.monotonic()
    hidden = options.hidden_data or ensure_hidden(bundle.root)
    hidden_data_s = time.monotonic() - hidden_started
    # Pre-started sandboxes for the stages that follow a public one; none outlives the grading.
    with spare_pool(enabled=spare_sandboxes()):
        report = _run_parts(bundle, unpacked, hidden, sandbox, options, work)
    report.timings["hidden_data_s"] = hidden_data_s
    return report


def _intake(bundle: Bundle, submission: Path, work: Path) -> Path:
    if submission.is_dir():  # a mentor's folder (solution/, wrong/...): zipped like an upload
        submission = _zip_folder(submission, work / "upload.zip")
    return unpack_submission(
        submission,
        work / "submission",
        entry=bundle.entry,
        max_upload_bytes=int(bundle.max_upload_mb * 1024 * 1024),
    )


def _zip_folder(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink() and "__pycache__" not in path.parts:
                archive.write(path, path.relative_to(folder).as_posix())
    return target


def _run_parts(
    bundle: Bundle,
    unpacked: Path,
    hidden: Path,
    sandbox: Sandbox,
    options: GradeOptions,
    work: Path,
) -> Report:
    limits = Limits().merged(bundle.limits)
    report = Report("scored")
    logs: list[str] = []
    hidden_logs: list[str] = []
    private_deltas: list[float] = []
    scored_copies: set[str] = set()  # top-level keys copied from the part that scores them
    for part in bundle.parts:
        ctx = PartContext(
            bundle=bundle,
            part=part,
            submission=unpacked,
            hidden=hidden / part.name,
            sandbox=sandbox,
            limits=limits,
            gpus=options.gpus,
            work=work / "parts",
        )
        (work / "parts").mkdir(exist_ok=True)
        result = _run_part(ctx)
        report.checks.extend(result.checks)
        report.flags.extend(f for f in result.flags if f not in report.flags)
        report.public_cases.extend(result.public_cases)  # public stage only (functions parts)
        if result.private_points_delta is not None:
            private_deltas.append(result.private_points_delta)
        scoring_metric = part.scoring.metric if part.scoring is not None else None
        several = len(bundle.parts) > 1
        merge_part_metrics(
            report.metrics, result.metrics, part.name, scoring_metric, several, scored_copies
        )
        logs += result.logs + (result.hidden_logs if options.show_hidden_logs else [])
        hidden_logs += result.hidden_logs
        for key, value in result.timings.items():
            if key == "sandbox_start_s":
                report.timings.setdefault(key, value)  # the first sandbox's start
            else:
                report.timings[key] = report.timings.get(key, 0.0) + value
        if result.failure is not None:
            _record_failure(report, result.failure)
            if result.failure.status in ("error", "rejected"):
                break
    report.logs = cap_log("\n".join(logs))
    if options.hidden_logs_apart:
        report.hidden_logs = cap_log("\n".join(hidden_logs))
    if report.status != "scored":
        _withhold_hidden_results(report)
        return report
    report.checks = [closed(check) for check in report.checks]
    report.metrics = coarsen(report.metrics)
    report.score = total_score(report.checks)
    if private_deltas:
        # Leaderboards: the score is the public split's; the private board ranks by this.
        report.metrics["public_score"] = report.score
        report.metrics["private_score"] = min(100.0, max(0.0, report.score + sum(private_deltas)))
    report.metric_info = describe(report.metrics, scored_keys(bundle))
    return report


def merge_part_metrics(
    merged: dict[str, float | int],
    metrics: dict[str, float | int],
    part: str,
    scoring_metric: str | None,
    several_parts: bool,
    scored_copies: set[str],
) -> None:
    """Adds one part's metrics to the report's. Top-level metrics are those of the first part
    that scores them, else of the first part that has them (e.g. the first model part's
    accuracy): a copy must be the number that earned points (week 5's mean_iou is measured by
    two parts and scored by the second). With several parts each is also kept under
    "<part>/<metric>". ``scored_copies`` remembers the keys copied from a scoring part."""
    scores = {scoring_metric, f"private_{scoring_metric}"} if scoring_metric else set()
    for key, value in metrics.items():
        if key in scores and key not in scored_copies:
            merged[key] = value
            scored_copies.add(key)
        elif key not in scored_copies:
            merged.setdefault(key, value)
        if several_parts:
            merged[f"{part}/{key}"] = value


def _withhold_hidden_results(report: Report) -> None:
    """A run that did not end ``scored`` shows no hidden result (threat 39): its checks keep
    their names and worth, its metrics go; a ``failed`` run scores 0."""
    report.checks = [not_graded(check) for check in report.checks]
    report.metrics = {}
    report.score = 0.0 if report.status == "failed" else None


def _run_part(ctx: PartContext) -> PartResult:
    try:
        result = KINDS[ctx.part.kind].grade(ctx)
    except StageFailure as failure:
        result = PartResult(failure=failure)
    if result.failure is not None:
        graded = {c.name for c in result.checks}
        result.checks += [
            CheckResult(c.name, False, 0.0, c.max_points, "not graded: " + result.failure.message)
            for c in _expected_checks(ctx)
            if c.name not in graded
        ]
    return result


def _expected_checks(ctx: PartContext) -> list[CheckResult]:
    """The checks a part would report, so a failed part still shows what it was worth."""
    part = ctx.part
    checks = [CheckResult(c.name, False, 0.0, c.points) for c in part.checks]
    if part.scoring is not None:
        checks.append(
            CheckResult(
                f"{part.name}/{part.scoring.metric}", False, 0.0, part.scoring.accuracy_points
            )
        )
        if part.scoring.speed_points > 0:
            checks.append(CheckResult(f"{part.name}/speed", False, 0.0, part.scoring.speed_points))
    return checks


def _record_failure(report: Report, failure: StageFailure) -> None:
    if SEVERITY[failure.status] > SEVERITY[report.status]:
        report.status = failure.status
        report.error = ReportError(failure.kind, failure.message)
