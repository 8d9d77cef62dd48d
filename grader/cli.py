"""``python -m grader list|grade|warm``: contracts.md section 2 (``warm``: ``grader/warm.py``).

``grade`` exits 0 whenever grading finished, whatever the verdict. When the grader itself could
not run it says why on stderr and exits ``EXIT_PERMANENT`` (3) if running again cannot help (a
broken bundle, bad arguments: ``GraderError.permanent``), else ``EXIT_RETRYABLE`` (2).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from grader import settings
from grader.bundle import list_bundles
from grader.errors import GraderError
from grader.report import Report

SANDBOXES = ("auto", "docker", "bwrap", "none")
EXIT_RETRYABLE = 2
EXIT_PERMANENT = 3


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except GraderError as exc:
        print(f"grader: {exc}", file=sys.stderr)
        return EXIT_PERMANENT if exc.permanent else EXIT_RETRYABLE


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m grader", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="the assignment bundles")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=run_list)
    grading = commands.add_parser("grade", help="grade one submission")
    grading.add_argument("--assignment", required=True, help="a slug or a bundle folder")
    grading.add_argument("--submission", required=True, type=Path)
    grading.add_argument("--sandbox", choices=SANDBOXES, default=settings.default_sandbox())
    grading.add_argument(
        "--gpus",
        default=settings.default_gpus(),
        type=gpus_option,
        help="all, none or a device number",
    )
    grading.add_argument("--json", action="store_true")
    grading.add_argument(
        "--show-hidden-logs",
        action="store_true",
        help="mentors only: include the hidden stages' output",
    )
    grading.add_argument(
        "--hidden-logs-apart",
        action="store_true",
        help="the hidden stages' output in the report's hidden_logs, never in logs (the worker)",
    )
    grading.add_argument(
        "--hidden-data",
        type=Path,
        help="a built hidden-data folder to grade with (workers that fetched the web's copy)",
    )
    grading.set_defaults(handler=run_grade)
    warm = commands.add_parser(
        "warm",
        help="wait for one grade job on stdin, imports done and a spare sandbox started "
        "(the platform's worker)",
    )
    warm.add_argument(
        "--key-file",
        required=True,
        type=Path,
        help="the shape of the last grading's first stage: read first, rewritten after",
    )
    warm.set_defaults(handler=run_warm_command)
    return parser


def gpus_option(value: str) -> str:
    if value in ("all", "none") or all(part.isdigit() for part in value.split(",")):
        return value
    raise argparse.ArgumentTypeError("--gpus takes all, none or device numbers like 0 or 0,1")


def run_list(args: argparse.Namespace) -> int:
    bundles = list_bundles()
    if args.json:
        print(
            json.dumps(
                [
                    {"slug": b.slug, "week": b.week, "title": b.title, "kind": b.kind}
                    for b in bundles
                ]
            )
        )
    else:
        for b in bundles:
            print(f"week {b.week:<3} {b.slug:<32} {b.kind:<13} {b.title}")
    return 0


def run_grade(args: argparse.Namespace) -> int:
    from grader.grading import GradeOptions, grade  # torch is imported only to grade

    if args.sandbox not in SANDBOXES:
        raise GraderError(f"ARENA_SANDBOX must be one of {SANDBOXES}", permanent=True)
    if not args.submission.exists():
        raise GraderError(f"no such submission: {args.submission}", permanent=True)
    if args.hidden_data is not None and not (args.hidden_data / "manifest.json").is_file():
        raise GraderError(
            f"--hidden-data {args.hidden_data} holds no manifest.json", permanent=True
        )
    options = GradeOptions(
        sandbox=args.sandbox,
        gpus=args.gpus,
        show_hidden_logs=args.show_hidden_logs,
        hidden_logs_apart=args.hidden_logs_apart,
        hidden_data=args.hidden_data,
    )
    report = grade(args.assignment, args.submission, options)
    print(report.to_json() if args.json else summary(report))
    return 0


def run_warm_command(args: argparse.Namespace) -> int:
    from grader.warm import run_warm

    return run_warm(args.key_file, main)


def summary(report: Report) -> str:
    lines = [
        f"status: {report.status}"
        + (f"   score: {report.score:.2f} / 100" if report.score is not None else "")
    ]
    if report.error:
        lines.append(f"error ({report.error.kind}): {report.error.message}")
    for check in report.checks:
        mark = "PASS" if check.passed else "FAIL"
        lines.append(
            f"  [{mark}] {check.name:<28} {check.points:6.2f} / {check.max_points:<6g}"
            f" {check.message}"
        )
    for key, value in report.metrics.items():
        lines.append(
            f"  {key:<20} {value:.4g}" if isinstance(value, float) else f"  {key:<20} {value}"
        )
    timings = ", ".join(f"{k} {v:.2f}s" for k, v in report.timings.items())
    lines.append(f"timings: {timings}")
    if report.logs:
        lines += ["logs:", report.logs]
    if report.hidden_logs:
        lines += ["hidden-stage logs (mentors only):", report.hidden_logs]
    return "\n".join(lines)
