"""The closed vocabulary of check messages: every sentence a mentee reads about a check.

Every check is decided in a hidden stage, so its message could carry hidden inputs back to the
mentee if the submission could steer it (threat 38): a count ("N parameter tensors"), a worst
error, a per-case reason, an exception's text. A message is therefore one of the fixed
sentences below, or one of the scoring templates whose numbers the trusted side computes from
bundle settings and the scored metric (which the points reveal anyway). ``closed`` rewords
the known messages that carry a number (architecture parts) into their fixed sentence and
replaces anything else by the plain pass or fail sentence, whatever part produced it.
Public-stage details belong in the logs, which hold only what the public stage saw.
"""

from __future__ import annotations

import re
from dataclasses import replace

from grader.report import CheckResult

PASSED = "passed on the hidden inputs"
FAILED = "failed on the hidden inputs"
NOT_GRADED = "not graded: the part ended early (the report's error says why)"
STAGE_FAILED = {
    "public": "not graded: the public stage failed",
    "train": "not graded: the training stage failed",
    "hidden": "not graded: the hidden stage failed",
}
# functions parts: one sentence per reason a hidden case can fail, by the trusted side's word.
CASE_REASONS = {
    "values": "a hidden case's values differ from the expected ones",
    "dtype": "a hidden case's result has the wrong dtype",
    "shape": "a hidden case's result has the wrong shape",
    "count": "a hidden case returned the wrong number of results",
    "nan_output": "a hidden case's result holds NaN or infinity",
    "exception": "the function raised an exception on a hidden case",
    "interface": "the function is missing or is not a function",
    "output_limit": "a hidden case's result is too large",
}
FUNCTIONS_PASSED = "every hidden case matches"
# architecture parts: their messages with a count or an error size, reworded without it.
ARCHITECTURE = {
    "shapes": "the parameter shapes differ from the reference's",
    "output_shape": "the output shape differs from the reference's",
    "outputs": "the outputs differ from the reference's",
    "match": "the parameter shapes and the outputs match the reference",
}
# architecture parts: a failure the harness reported, by its kind (a closed set of five).
ARCHITECTURE_FAILURES = {
    "exception": "the builder or the model's forward pass raised an exception",
    "interface": "the builder is missing or does not return an nn.Module",
    "weights": "the reference weights do not fit the model",
    "shape": "the output shape differs from the reference's",
    "nan_output": "the output holds NaN or infinity",
}
REWORDED = (
    (re.compile(r"^\d+ parameter tensors; the reference has "), ARCHITECTURE["shapes"]),
    (re.compile(r"^output shape differs from the reference's"), ARCHITECTURE["output_shape"]),
    (re.compile(r"^outputs differ from the reference"), ARCHITECTURE["outputs"]),
    (re.compile(r"^\d+ parameter tensors and the outputs match"), ARCHITECTURE["match"]),
)
CACHED = (
    "repeated inputs were answered much faster than new ones: answers look cached, "
    "so speed earns nothing"
)
# "By hand" audit (grader.kinds.functions.audit): a module that reaches into the audit machinery.
AUDIT_TAMPERING = (
    "the source reaches into the grader's audit (the harness, dispatch modes, torch._C, "
    "sys.modules): no audited check earns points"
)
# Sentences other parts write today that carry no sandbox-chosen value.
FIXED_SENTENCES = frozenset(
    {
        PASSED,
        FAILED,
        NOT_GRADED,
        FUNCTIONS_PASSED,
        *STAGE_FAILED.values(),
        *CASE_REASONS.values(),
        "the model must return one tensor",
        "the output holds NaN or infinity",
        CACHED,
        *ARCHITECTURE.values(),
        *ARCHITECTURE_FAILURES.values(),
        AUDIT_TAMPERING,
    }
)
_NAME = r"[A-Za-z0-9_]+"
_NUMBER = r"-?[0-9][0-9.e+-]*"
# The scoring templates of grader.scoring: bundle settings and trusted-side numbers only.
TEMPLATES = (
    re.compile(rf"^{_NAME} {_NUMBER} \(zero at {_NUMBER}, full at {_NUMBER}\)$"),
    re.compile(rf"^speed counts only at {_NAME} >= {_NUMBER}; this model reached {_NUMBER}$"),
    re.compile(
        rf"^{_NUMBER} images/s \(zero at {_NUMBER}, full at {_NUMBER}, log scale; "
        r"2 significant digits\)$"
    ),
    # grader.kinds.functions.audit: operator names from the bundle's forbidden_ops, never the sandbox's.
    re.compile(
        r"^uses [a-z_:0-9]+(, [a-z_:0-9]+)*, which this check forbids: write it by hand "
        r"\(see the statement\)$"
    ),
    # grader.kinds.train.grade: a train part's reference (a bundle name) and a fixed reason.
    re.compile(
        rf"^the trained model is not {_NAME}: (its tensors do not have the reference's shapes"
        r"|it must return one tensor|with the reference's weights it answers differently)$"
    ),
)


def in_vocabulary(message: str) -> bool:
    return message in FIXED_SENTENCES or any(t.match(message) for t in TEMPLATES)


def closed(check: CheckResult) -> CheckResult:
    """The check with a vocabulary message: a known one reworded without its numbers, an
    unknown one the pass or fail sentence."""
    if in_vocabulary(check.message):
        return check
    for pattern, sentence in REWORDED:
        if pattern.match(check.message):
            return replace(check, message=sentence)
    return replace(check, message=PASSED if check.passed else FAILED)


def not_graded(check: CheckResult) -> CheckResult:
    """What a run that did not end ``scored`` keeps of a check: its name and worth (threat 39)."""
    return CheckResult(check.name, False, 0.0, check.max_points, NOT_GRADED)
