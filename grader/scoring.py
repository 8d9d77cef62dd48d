"""Points from metrics: the per-part scoring spec of ``assignment.toml``.

Accuracy points grow linearly from ``metric_zero`` to ``metric_full``. Speed points grow with
the logarithm of throughput from ``ips_zero`` to ``ips_full`` and count only when the accuracy
metric reaches ``accuracy_floor`` (threat 35: fast garbage earns nothing). Throughput is
the sandbox's to steer, so it is rounded to two significant digits before it earns points or
shows in a message (threat 38); the points then encode no more of it than the report does.
Messages are templates of ``grader.vocabulary``.
"""

from __future__ import annotations

import math

from grader.bundle import Scoring
from grader.metric_info import round_sig
from grader.report import CheckResult


def linear_fraction(value: float, zero: float, full: float) -> float:
    if not math.isfinite(value):
        return 0.0
    return min(1.0, max(0.0, (value - zero) / (full - zero)))


def log_fraction(value: float, zero: float, full: float) -> float:
    if not math.isfinite(value) or value <= zero:
        return 0.0
    return min(1.0, math.log(value / zero) / math.log(full / zero))


def accuracy_check(scoring: Scoring, metrics: dict[str, float], prefix: str) -> CheckResult:
    value = float(metrics.get(scoring.metric, 0.0))
    fraction = linear_fraction(value, scoring.metric_zero, scoring.metric_full)
    return CheckResult(
        name=f"{prefix}{scoring.metric}",
        passed=fraction > 0.0,
        points=fraction * scoring.accuracy_points,
        max_points=scoring.accuracy_points,
        message=f"{scoring.metric} {value:.4f} (zero at {scoring.metric_zero:g}, "
        f"full at {scoring.metric_full:g})",
    )


def speed_check(
    scoring: Scoring, metrics: dict[str, float], prefix: str, *, speed_valid: bool, why: str
) -> CheckResult:
    """Speed points; ``speed_valid`` is False when the timer saw answer caching (threat 32)."""
    accuracy = float(metrics.get(scoring.metric, 0.0))
    ips = float(metrics.get("throughput_ips", 0.0))
    name = f"{prefix}speed"
    if accuracy < scoring.accuracy_floor:
        message = (
            f"speed counts only at {scoring.metric} >= {scoring.accuracy_floor:g}; "
            f"this model reached {accuracy:.4f}"
        )
        return CheckResult(name, False, 0.0, scoring.speed_points, message)
    if not speed_valid:
        return CheckResult(name, False, 0.0, scoring.speed_points, why)
    ips = round_sig(ips)
    fraction = log_fraction(ips, scoring.ips_zero, scoring.ips_full)
    message = (
        f"{ips:g} images/s (zero at {scoring.ips_zero:g}, "
        f"full at {scoring.ips_full:g}, log scale; 2 significant digits)"
    )
    return CheckResult(
        name, fraction > 0.0, fraction * scoring.speed_points, scoring.speed_points, message
    )


def metric_checks(
    scoring: Scoring,
    metrics: dict[str, float],
    prefix: str = "",
    *,
    speed_valid: bool = True,
    why: str = "",
) -> list[CheckResult]:
    checks = [accuracy_check(scoring, metrics, prefix)]
    if scoring.speed_points > 0:
        checks.append(speed_check(scoring, metrics, prefix, speed_valid=speed_valid, why=why))
    return checks


def total_score(checks: list[CheckResult]) -> float:
    """The sum of the points earned; the bundle's points sum to 100."""
    return min(100.0, max(0.0, sum(check.points for check in checks)))
