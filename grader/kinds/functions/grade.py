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

Public cases teach: each one's detail (``detail.py``: input shapes, expected against got, the
worst element, the bundle's hints) goes to the report's ``public_cases``, computed here from
the values the public stage returned. The hidden stage's values never leave this module: only
its verdicts do, as vocabulary sentences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from grader.bundle import Check
from grader.harness.arena_harness import wire
from grader.kinds.functions import audit
from grader.kinds.functions.detail import case_detail, describe_inputs, output_detail
from grader.kinds.functions.hints import hints_for
from grader.protocol import Reply
from grader.report import CheckResult
from grader.stages.context import PartContext, PartResult, load_npz
from grader.stages.failures import StageFailure
from grader.stages.session import Session, StageConfig, run_stage
from grader.vocabulary import CASE_REASONS, FUNCTIONS_PASSED

KEY = re.compile(
    r"^(?P<check>[^/]+)/(?P<case>\d+)/(?P<role>args|kwargs|out)/(?P<name>[^/]+)"
    r"(?P<scalar>/s)?$"
)
MAX_PUBLIC_DETAILS = 100  # public cases in the report; more are summed up in the logs only
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

    def named_args(self) -> list[tuple[str, np.ndarray, bool]]:
        """``(name, array, is_scalar)`` in call order: ``arg 0``..., then the keywords."""
        named = [(f"arg {k}", a, f"args/{k}" in self.scalars) for k, a in sorted(self.args.items())]
        named += [(k, a, f"kwargs/{k}" in self.scalars) for k, a in self.kwargs.items()]
        return named

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
        details = public_details(ctx, public, outcome.value or {})
        result.public_cases += details[:MAX_PUBLIC_DETAILS]
        result.logs += [public_log_line(d) for d in details]

    def hidden_body(session: Session) -> tuple[dict[str, list[CaseRun]], dict[str, list[str]]]:
        return run_cases(session, ctx, hidden), audit.recorded(session, ctx.part.checks)

    hidden_outcome = run_stage(_config(ctx, "hidden", hidden), hidden_body)
    if not result.absorb(hidden_outcome, "hidden"):
        result.fail_all(_zero_checks(ctx), "the hidden stage failed")
        return result
    assert hidden_outcome.value is not None  # absorb() is true only for a stage that returned
    runs, used = hidden_outcome.value
    # Only the verdicts of hidden cases go on: their values stay in this function (threat 38).
    verdicts = {name: [run.verdict for run in group] for name, group in runs.items()}
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


@dataclass
class CaseRun:
    """One case's outcome: ``verdict`` '' or a key of ``CASE_REASONS``; ``output`` the index of
    the result that decided it; ``got`` what was read back; ``note`` the stage's words."""

    verdict: str
    output: int | None = None
    got: list[np.ndarray] = field(default_factory=list)
    note: str = ""


def public_details(
    ctx: PartContext, cases: dict[str, list[Case]], runs: dict[str, list[CaseRun]]
) -> list[dict]:
    """Every public case's detail, from the public stage's values only."""
    details = []
    for check in ctx.part.checks:
        for i, (case, run) in enumerate(zip(cases.get(check.name, []), runs.get(check.name, []))):
            details.append(public_detail(check, i, case, run))
    return details


def public_detail(check: Check, index: int, case: Case, run: CaseRun) -> dict:
    outputs, said = [], []
    j = run.output
    if run.verdict and j is not None and j in case.expected:
        got = run.got[j] if j < len(run.got) else None
        want = case.expected[j]
        outputs = [output_detail(j, got, want, check.rtol, check.atol)]
        if got is not None:
            tensors = [a for _, a, scalar in case.named_args() if not scalar]
            said = hints_for(getattr(check, "hints", ()), j, got, want, tensors)
    note = run.note
    if run.verdict == "count":
        note = f"{len(run.got)} instead of {len(case.expected)}"
    return case_detail(
        check=check.name,
        case=index,
        verdict=run.verdict,
        inputs=describe_inputs(case.named_args()),
        outputs=outputs,
        hints=said,
        note=note[:300],
    )


def public_log_line(detail: dict) -> str:
    """The detail in one or two log lines (the CLI and the plain-text logs show these)."""
    line = f"[public] {detail['check']} case {detail['case']}: "
    if detail["passed"]:
        return line + "ok"
    line += f"{detail['summary']}; inputs {', '.join(detail['inputs'])}"
    for out in detail["outputs"]:
        line += f"; result {out['index']}: expected {out['expected']}, got {out['got']}"
        if out["worst_index"] is not None:
            line += (
                f"; worst at {out['worst_index']}: expected {out['expected_at_worst']}, "
                f"got {out['got_at_worst']} (max abs error {_short(out['max_abs_error'])}, "
                f"max rel error {_short(out['max_rel_error'])})"
            )
    return line + "".join(f"\n  hint: {hint}" for hint in detail["hints"])


def _short(value: float | None) -> str:
    return "inf" if value is None else f"{value:.3g}"


def run_cases(
    session: Session, ctx: PartContext, cases: dict[str, list[Case]]
) -> dict[str, list[CaseRun]]:
    """Per check, a run per case: its verdict ('' when it matches) and what came back."""
    session.load(wire.Load(ctx.bundle.entry), what="loading the submission")
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


def run_case(session: Session, check: Check, case: Case) -> CaseRun:
    """The verdict: '' when the case matches, otherwise a key of ``CASE_REASONS`` (threat 20)."""
    offset = 0
    args: list[wire.Spec] = []
    kwargs: dict[str, wire.Spec] = {}
    named: list[tuple[str, str, np.ndarray]] = [
        ("args", str(k), a) for k, a in sorted(case.args.items())
    ]
    named += [("kwargs", k, a) for k, a in case.kwargs.items()]
    for role, name, array in named:
        spec: wire.Spec
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
        request = wire.Call(check.function, tuple(args), kwargs, check.forbidden_ops)
        reply = session.call(request, what=check.name)
        return compare(session, reply, case, check)
    except StageFailure as failure:
        if failure.kind not in CHECK_LEVEL_KINDS:
            raise
        # A public stage's message may quote the submission (its exception's type); a hidden
        # one never does (stages.failures), and hidden notes are dropped anyway.
        return CaseRun(failure.kind, note=failure.message)


def compare(session: Session, reply: Reply, case: Case, check: Check) -> CaseRun:
    """Every result read back whatever its shape (the window bounds its size), then judged
    here: the shape, NaN where the expected values are finite, the dtype, the values."""
    got = [
        # Any number reaches the comparison, which judges the dtype; others end the stage.
        session.get(reply, j, None, finite=False, kinds="biuf")
        for j in range(len(reply.tensors))
    ]
    if len(got) != len(case.expected):
        return CaseRun("count", got=got)
    for j in range(len(case.expected)):
        verdict = judge(got[j], case.expected[j], check)
        if verdict:
            return CaseRun(verdict, j, got)
    return CaseRun("", got=got)


def judge(got: np.ndarray, want: np.ndarray, check: Check) -> str:
    """'' or the first reason this result differs, in ``REASON_ORDER``'s sense."""
    if got.shape != want.shape:
        return "shape"
    want_finite = want.dtype.kind != "f" or bool(np.isfinite(want).all())
    if want_finite and got.dtype.kind == "f" and not np.isfinite(got).all():
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
