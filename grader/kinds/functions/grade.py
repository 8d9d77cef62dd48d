"""``functions`` parts: named functions called on cases, compared on the trusted side.

Cases come from the recipe's files (``{check}/{i}/args/{k}``, ``.../kwargs/{name}``; a key
ending in ``/s`` is a 0-d array passed as a Python scalar; expected outputs
``{check}/{i}/out/{j}``). Public cases run in a public stage whose logs the mentee reads;
hidden cases run in a sandbox whose logs only mentors may read. A check earns its points when
every hidden case matches.

A case matches exactly as the bundle says (truthiness is no match): the shape
exactly, the dtype class (bool, integer or floating; ``dtype = "exact"`` asks for the very
dtype, ``"numeric"`` lets integers and floats stand for each other, never bools), then the
values (integers and bools equal, floats within ``rtol``/``atol``). A check's message is one
sentence of ``grader.vocabulary``: pass, or the most telling reason among its cases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from grader.bundle import Check
from grader.kinds.functions import audit
from grader.protocol import NonFinite, Reply, ShapeMismatch
from grader.report import CheckResult
from grader.stages.context import PartContext, PartResult, load_npz
from grader.stages.failures import StageFailure
from grader.stages.session import Session, StageConfig, run_stage
from grader.vocabulary import CASE_REASONS, FUNCTIONS_PASSED

KEY = re.compile(
    r"^(?P<check>[^/]+)/(?P<case>\d+)/(?P<role>args|kwargs|out)/(?P<name>[^/]+)"
    r"(?P<scalar>/s)?$"
)
CALL_TIMEOUT_S = 60.0
# Failures that belong to one check; anything else (a crash, a timeout) ends the part.
CHECK_LEVEL_KINDS = ("exception", "interface", "shape", "nan_output", "output_limit")
# Which reason a failed check names when its cases fail differently: the most basic first.
REASON_ORDER = (
    "interface",
    "exception",
    "count",
    "shape",
    "dtype",
    "nan_output",
    "output_limit",
    "values",
)


@dataclass
class Case:
    args: dict[int, np.ndarray] = field(default_factory=dict)
    kwargs: dict[str, np.ndarray] = field(default_factory=dict)
    scalars: set[str] = field(default_factory=set)
    expected: dict[int, np.ndarray] = field(default_factory=dict)

    @property
    def in_bytes(self) -> int:
        return sum(a.nbytes + 64 for a in (*self.args.values(), *self.kwargs.values()))

    @property
    def out_bytes(self) -> int:
        # Room for the expected outputs even if returned as float64 or int64.
        return sum(max(e.size, 1) * 8 + 64 for e in self.expected.values()) + 4096


def parse_cases(
    inputs: dict[str, np.ndarray], labels: dict[str, np.ndarray]
) -> dict[str, list[Case]]:
    cases: dict[str, dict[int, Case]] = {}
    for key, array in (*inputs.items(), *labels.items()):
        match = KEY.match(key)
        if match is None:
            continue
        case = cases.setdefault(match["check"], {}).setdefault(int(match["case"]), Case())
        name, role = match["name"], match["role"]
        if role == "out":
            case.expected[int(name)] = array
        elif role == "args":
            case.args[int(name)] = array
        else:
            case.kwargs[name] = array
        if match["scalar"] and role != "out":
            case.scalars.add(f"{role}/{name}")
    return {check: [c[i] for i in sorted(c)] for check, c in cases.items()}


def grade_functions(ctx: PartContext) -> PartResult:
    result = PartResult()
    hidden = parse_cases(load_npz(ctx.hidden / "inputs.npz"), load_npz(ctx.hidden / "labels.npz"))
    missing = [c.name for c in ctx.part.checks if not hidden.get(c.name)]
    if missing:
        raise StageFailure("error", "bundle", f"the hidden data has no cases for {missing}")
    if (ctx.hidden / "public.npz").is_file():
        public = parse_cases(
            load_npz(ctx.hidden / "public.npz"), load_npz(ctx.hidden / "public_labels.npz")
        )
        outcome = run_stage(_config(ctx, "public", public), lambda s: run_cases(s, ctx, public))
        if not result.absorb(outcome, "public"):
            result.fail_all(_zero_checks(ctx), "the public stage failed")
            return result
        result.logs += [
            f"[public] {name} case {i}: {CASE_REASONS[verdict] if verdict else 'ok'}"
            for name, verdicts in (outcome.value or {}).items()
            for i, verdict in enumerate(verdicts)
        ]
    outcome = run_stage(
        _config(ctx, "hidden", hidden),
        lambda s: (run_cases(s, ctx, hidden), audit.recorded(s, ctx.part.checks)),
    )
    if not result.absorb(outcome, "hidden"):
        result.fail_all(_zero_checks(ctx), "the hidden stage failed")
        return result
    verdicts, used = outcome.value
    checks = [check_result(check, verdicts[check.name]) for check in ctx.part.checks]
    result.checks += audit.enforce(ctx, checks, used)  # forbidden operators (threat 40)
    return result


def _config(ctx: PartContext, name: str, cases: dict[str, list[Case]]) -> StageConfig:
    all_cases = [case for group in cases.values() for case in group]
    return ctx.stage(
        name,
        in_bytes=max((c.in_bytes for c in all_cases), default=4096),
        out_bytes=max((c.out_bytes for c in all_cases), default=4096),
    )


def _zero_checks(ctx: PartContext) -> list[CheckResult]:
    return [CheckResult(c.name, False, 0.0, c.points) for c in ctx.part.checks]


def run_cases(
    session: Session, ctx: PartContext, cases: dict[str, list[Case]]
) -> dict[str, list[str]]:
    """Per check, a verdict per case: '' when it matches, else a key of ``CASE_REASONS``."""
    session.request(
        {"op": "load", "entry": ctx.bundle.entry},
        what="loading the submission",
        timeout=CALL_TIMEOUT_S,
    )
    return {
        check.name: [run_case(session, check, case) for case in cases.get(check.name, [])]
        for check in ctx.part.checks
    }


def check_result(check: Check, verdicts: list[str]) -> CheckResult:
    """Pass or fail in fixed words: no count of wrong cases, no case's own detail (threat 38)."""
    wrong = {v for v in verdicts if v}
    if not wrong:
        return CheckResult(check.name, True, check.points, check.points, FUNCTIONS_PASSED)
    reason = next(r for r in REASON_ORDER if r in wrong)
    return CheckResult(check.name, False, 0.0, check.points, CASE_REASONS[reason])


def run_case(session: Session, check: Check, case: Case) -> str:
    """'' when the case matches; otherwise a key of ``CASE_REASONS`` (threat 20)."""
    offset, args, kwargs = 0, [], {}
    for role, items in (("args", sorted(case.args.items())), ("kwargs", case.kwargs.items())):
        for name, array in items:
            if f"{role}/{name}" in case.scalars:
                spec = {"scalar": array.item()}
            else:
                spec = {"tensor": session.put(array, offset), "as": check.arg_type}
                offset = (offset + array.nbytes + 63) // 64 * 64
            if role == "args":
                args.append(spec)
            else:
                kwargs[name] = spec
    try:
        reply = session.request(
            {
                "op": "call",
                "function": check.function,
                "args": args,
                "kwargs": {**kwargs},
                **audit.call_fields(check),
            },
            what=check.name,
            timeout=CALL_TIMEOUT_S,
        )
        return compare(session, reply, case, check)
    except StageFailure as failure:
        if failure.kind not in CHECK_LEVEL_KINDS:
            raise
        return failure.kind


def compare(session: Session, reply: Reply, case: Case, check: Check) -> str:
    if len(reply.tensors) != len(case.expected):
        return "count"
    for j in range(len(case.expected)):
        want = case.expected[j]
        try:
            got = session.get(
                reply,
                j,
                want.shape,
                finite=bool(np.isfinite(want).all()) if want.dtype.kind == "f" else True,
                kinds="biuf",  # any number reaches the comparison, which judges the dtype
            )
        except ShapeMismatch:
            return "shape"
        except NonFinite:
            return "nan_output"
        if not dtype_matches(got.dtype, want.dtype, check.dtype):
            return "dtype"
        if not values_match(got, want, check.rtol, check.atol):
            return "values"
    return ""


DTYPE_CLASSES = {"b": "bool", "i": "integer", "u": "integer", "f": "floating"}


def dtype_matches(got: np.dtype, want: np.dtype, policy: str = "class") -> bool:
    """The bundle's dtype policy: ``exact``, ``class`` (bool/integer/floating) or ``numeric``
    (integers and floats stand for each other; a bool only ever for a bool)."""
    if policy == "exact":
        return got == want
    got_class, want_class = DTYPE_CLASSES.get(got.kind), DTYPE_CLASSES.get(want.kind)
    if got_class is None or want_class is None:
        return False
    if policy == "numeric" and "bool" not in (got_class, want_class):
        return True
    return got_class == want_class


def values_match(got: np.ndarray, want: np.ndarray, rtol: float, atol: float) -> bool:
    """Values only (the dtype is judged apart): exact for bools and integers, else close."""
    if got.shape != want.shape:
        return False
    if want.dtype.kind in "biu" and got.dtype.kind in "biu":
        return bool(np.array_equal(got, want))
    return bool(
        np.allclose(
            got.astype(np.float64), want.astype(np.float64), rtol=rtol, atol=atol, equal_nan=True
        )
    )


__all__ = ["dtype_matches", "grade_functions", "parse_cases", "values_match"]
