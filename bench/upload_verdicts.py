"""Upload-time verdicts: how long the web request spends deciding what intake can decide.

    .venv/bin/python -m bench.upload_verdicts [--runs N]

Times ``submissions.upload_verdict.upload_verdict`` (the grader's intake with its capped parse,
as the upload request runs it) on week 1's bundle for a syntax error, a path-traversal zip, a
zip bomb, a zip without the entry module and the reference solution (which passes on to the
queue). Medians and p90s; writes bench/results/upload_verdicts.json and prints a table. The
goal (issue 14): such a verdict shows in under a second, with no worker involved.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "upload_verdicts.json"
BUNDLE = "week1-tensors"


def _zipped(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _cases() -> dict[str, tuple[str, bytes]]:
    solution = (REPO / "assignments" / BUNDLE / "solution" / "submission.py").read_bytes()
    return {
        "syntax_error": (".py", b"def add(a, b)\n    return a + b\n"),
        "path_traversal_zip": (".zip", _zipped({"../../etc/x.py": b"x = 1\n"})),
        "zip_bomb": (".zip", _zipped({"submission.py": solution, "data.bin": bytes(200 << 20)})),
        "missing_entry_zip": (".zip", _zipped({"helper.py": b"x = 1\n"})),
        "sound_solution": (".py", solution),
    }


def _setup_django(home: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arena_site.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret-" + "x" * 40)
    os.environ["ARENA_HOME"] = str(home)
    sys.path.insert(0, str(REPO / "platform"))
    import django

    django.setup()


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return {"median_s": round(statistics.median(ordered), 4), "p90_s": round(p90, 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="arena-bench-") as home:
        _setup_django(Path(home))
        from courses.models import Assignment
        from submissions.upload_verdict import upload_verdict

        assignment = Assignment(slug=BUNDLE, bundle_dir=BUNDLE, bundle_hash="bench")
        results: dict[str, Any] = {}
        for name, (extension, content) in _cases().items():
            samples, verdict = [], None
            for _ in range(args.runs):
                started = time.perf_counter()
                verdict = upload_verdict(assignment, io.BytesIO(content), extension)
                samples.append(time.perf_counter() - started)
            results[name] = {
                "verdict": f"rejected/{verdict.kind}" if verdict else "queued",
                "upload_bytes": len(content),
                **_summary(samples),
            }
    report = {
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count()},
        "load_average": os.getloadavg()[0],
        "runs": args.runs,
        "bundle": BUNDLE,
        "cases": results,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"{'case':22} {'verdict':28} {'median s':>9} {'p90 s':>7}")
    for name, row in results.items():
        print(f"{name:22} {row['verdict']:28} {row['median_s']:9.3f} {row['p90_s']:7.3f}")


if __name__ == "__main__":
    main()
