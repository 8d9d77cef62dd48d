"""The trusted side's rules for verdicts, messages, metrics and comparisons, without a sandbox.

Whatever the harness replies is a mentee outcome (threat 39); check messages come from a closed
vocabulary (threat 38); timing metrics are rounded and declared for the platform; a functions
check compares dtype class, shape and values exactly (truthiness is no match).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from grader.bundle import Check
from grader.harness.arena_harness import wire
from grader.kinds.functions.grade import check_result, dtype_matches, values_match
from grader.metric_info import coarsen, describe, round_sig
from grader.protocol import DtypeMismatch
from grader.report import CheckResult, Report, ReportFormatError, parse_report_json
from grader.stages.failures import from_channel, from_reply
from grader.vocabulary import (
    ARCHITECTURE,
    FAILED,
    NOT_GRADED,
    PASSED,
    closed,
    in_vocabulary,
    not_graded,
)

TRUSTED_ONLY_KINDS = {"internal", "sandbox", "bundle", "pretrained", "syntax"}


@pytest.mark.parametrize("status", sorted(set(wire.STATUS_NAMES) - {wire.OK}))
@pytest.mark.parametrize("hidden", [True, False])
def test_every_harness_status_is_a_mentee_failure(status: int, hidden: bool) -> None:
    failure = from_reply(status, "internal error: refund me", hidden=hidden, what="add")
    assert failure.status == "failed"
    assert failure.kind not in TRUSTED_ONLY_KINDS
    assert ("refund me" in failure.message) is (not hidden)


def test_a_dtype_the_caller_refuses_is_a_protocol_failure_in_plain_words() -> None:
    failure = from_channel(DtypeMismatch(np.dtype(bool), "iuf"), hidden=False, what="inference")
    assert (failure.status, failure.kind) == ("failed", "protocol")
    assert "boolean result" in failure.message


@pytest.mark.parametrize(
    "message",
    [
        "3 of 12 hidden cases wrong: values differ",
        "add: raised ValueError('pixel 7342.8125')",
        "pixel 7342.8125",
    ],
)
def test_a_message_outside_the_vocabulary_becomes_the_plain_sentence(message: str) -> None:
    assert not in_vocabulary(message)
    assert closed(CheckResult("c", False, 0.0, 10.0, message)).message == FAILED
    assert closed(CheckResult("c", True, 10.0, 10.0, message)).message == PASSED


@pytest.mark.parametrize(
    ("message", "sentence"),
    [
        ("7 parameter tensors; the reference has 62 with other shapes", "shapes"),
        ("63 parameter tensors; the reference has 62 with other shapes", "shapes"),
        ("outputs differ from the reference by up to 0.0321", "outputs"),
        ("output shape differs from the reference's [4, 10]", "output_shape"),
    ],
)
def test_architecture_messages_lose_their_numbers(message: str, sentence: str) -> None:
    reworded = closed(CheckResult("c", False, 0.0, 10.0, message)).message
    assert reworded == ARCHITECTURE[sentence] and in_vocabulary(reworded)


def test_a_run_that_did_not_end_scored_keeps_only_names_and_worth() -> None:
    check = not_graded(CheckResult("add", True, 60.0, 60.0, "every hidden case matches"))
    assert (check.name, check.passed, check.points, check.max_points) == ("add", False, 0.0, 60.0)
    assert check.message == NOT_GRADED


def test_functions_messages_name_no_count_and_no_case() -> None:
    check = Check("add", 10.0)
    assert check_result(check, ["", "values", "shape", ""]).message == (
        "a hidden case's result has the wrong shape"
    )
    assert in_vocabulary(check_result(check, ["", ""]).message)


@pytest.mark.parametrize(
    ("value", "rounded"),
    [(23.4719, 23.0), (0.0123456, 0.012), (115_432.0, 120_000.0), (0.0, 0.0), (9.96, 10.0)],
)
def test_timing_numbers_keep_two_significant_digits(value: float, rounded: float) -> None:
    assert round_sig(value) == pytest.approx(rounded)


def test_timing_metrics_are_rounded_and_declared_after_the_deadline() -> None:
    metrics = coarsen(
        {
            "accuracy": 0.87654,
            "latency_p50_ms": 23.4719,
            "cnn/throughput_ips": 1234.5,
            "throughput_cv": 0.04567,
            "train_s": 12.345,
            "timed_queries": 37,
            "private_accuracy": 0.8,
            "params": 130,
        }
    )
    assert metrics["accuracy"] == 0.87654 and metrics["params"] == 130
    assert metrics["latency_p50_ms"] == 23.0 and metrics["cnn/throughput_ips"] == 1200.0
    assert metrics["throughput_cv"] == pytest.approx(0.046) and metrics["train_s"] == 12.0
    info = describe(metrics, {"accuracy", "cnn/throughput_ips"})
    assert {k: v["visibility"] for k, v in info.items()} == {
        "accuracy": "public",
        "latency_p50_ms": "after_deadline",
        "cnn/throughput_ips": "after_deadline",
        "throughput_cv": "after_deadline",
        "train_s": "after_deadline",
        "timed_queries": "mentor",
        "private_accuracy": "after_reveal",
        "params": "public",
    }
    assert info["accuracy"]["scored"] and not info["params"]["scored"]
    assert info["cnn/throughput_ips"] == {
        "label": "Throughput (cnn)",
        "unit": "images/s",
        "visibility": "after_deadline",
        "scored": True,
    }


def test_the_reader_accepts_metric_info_and_refuses_an_unknown_audience() -> None:
    report = Report("scored", 1.0, metrics={"accuracy": 0.5})
    report.metric_info = describe(report.metrics, {"accuracy"})
    assert parse_report_json(report.to_json())["metric_info"]["accuracy"]["visibility"] == "public"
    data = report.to_dict()
    data["metric_info"]["accuracy"]["visibility"] = "everyone"
    with pytest.raises(ReportFormatError):
        parse_report_json(json.dumps(data))


@pytest.mark.parametrize(
    ("got", "want", "policy", "matches"),
    [
        (np.ones(3, bool), np.array([0.5, 1.0, 2.0]), "class", False),  # truthiness
        (np.ones(3, bool), np.array([1, 1, 1]), "class", False),
        (np.ones(3, bool), np.array([1, 1, 1]), "numeric", False),
        (np.array([1.0, 0.0]), np.array([1, 0]), "class", False),
        (np.array([1.0, 0.0]), np.array([1, 0]), "numeric", True),
        (np.array([1, 0], np.int32), np.array([1, 0], np.int64), "class", True),
        (np.array([1, 0], np.int32), np.array([1, 0], np.int64), "exact", False),
        (np.array([1.0], np.float32), np.array([1.0], np.float64), "class", True),
        (np.array([True]), np.array([True]), "class", True),
    ],
)
def test_dtype_policies(got: np.ndarray, want: np.ndarray, policy: str, matches: bool) -> None:
    assert dtype_matches(got.dtype, want.dtype, policy) is matches


def test_values_are_compared_by_shape_and_tolerance_not_truthiness() -> None:
    want = np.array([0.25, 4.0])
    assert values_match(want + 1e-9, want, 1e-5, 1e-6)
    assert not values_match(np.array([0.26, 4.0]), want, 1e-5, 1e-6)
    assert not values_match(want.reshape(2, 1), want, 1e-5, 1e-6)
    assert not values_match(np.array([1, 2]), np.array([1, 3]), 0.0, 0.0)
