"""The trusted timer's statistics: throughput, percentiles, spread, the repeat-vs-unique check."""

from __future__ import annotations

import numpy as np
import pytest

from grader.bundle import Timing
from grader.loadgen import LoadGenerator, LoadgenResult, TimedQuery


def result(latencies_ms: list[float], repeats_ms: list[float], batch: int = 10) -> LoadgenResult:
    queries = [
        TimedQuery(np.arange(i * batch, (i + 1) * batch), int(ms * 1e6))
        for i, ms in enumerate(latencies_ms)
    ]
    return LoadgenResult(
        queries=queries,
        outputs={},
        indices=np.concatenate([q.indices for q in queries]),
        repeat_latencies_ns=[int(ms * 1e6) for ms in repeats_ms],
        repeats=2,
    )


def test_throughput_is_images_over_the_time_of_the_timed_queries() -> None:
    metrics = result([10.0] * 10, [10.0] * 4).metrics()
    assert metrics["throughput_ips"] == pytest.approx(1000.0)
    assert metrics["latency_p50_ms"] == pytest.approx(10.0)
    assert metrics["throughput_cv"] == pytest.approx(0.0)
    assert metrics["timed_queries"] == 10 and metrics["timed_images"] == 100


def test_the_spread_compares_the_segments() -> None:
    metrics = result([10.0] * 5 + [20.0] * 5, []).metrics()
    assert metrics["throughput_cv"] == pytest.approx(1 / 3)
    assert metrics["latency_p90_ms"] == pytest.approx(20.0)


def test_repeats_answered_much_faster_mean_a_cache() -> None:
    assert result([30.0] * 10, [0.2] * 4).caching_suspected


def test_repeats_as_slow_as_new_inputs_are_fine() -> None:
    assert not result([30.0] * 10, [29.0, 31.0, 30.0, 28.0]).caching_suspected


def test_tiny_models_are_not_accused_over_noise() -> None:
    # Both well under a millisecond: the difference is scheduling noise, not a cache.
    assert not result([0.3] * 10, [0.1] * 4).caching_suspected


def test_repeats_are_judged_against_their_paired_controls() -> None:
    # The run was slowed by a busy machine; the repeats and their controls came in a quiet
    # moment together. That is noise, not a cache.
    quiet_end = result([60.0] * 10, [20.0] * 6)
    quiet_end.control_latencies_ns = [int(21e6)] * 6
    assert not quiet_end.caching_suspected


def test_repeats_much_faster_than_their_controls_mean_a_cache() -> None:
    cached = result([20.0] * 10, [0.5] * 6)
    cached.control_latencies_ns = [int(20e6)] * 6
    assert cached.caching_suspected


def test_one_stalled_control_does_not_make_a_cache() -> None:
    # Three of six controls stalled for a time slice each: the medians alone would accuse
    # (repeats 20 ms against a control median of 55 ms); only half the pairs agree.
    noisy = result([20.0] * 10, [20.0] * 6)
    noisy.control_latencies_ns = [int(ms * 1e6) for ms in (90, 95, 100, 20, 21, 19)]
    assert not noisy.caching_suspected


class ScriptedTimer(LoadGenerator):
    """The loadgen's own schedule and repeat check, with the sandbox's answer times scripted:
    ``latency(batch)`` says how long an answer takes (no sandbox is needed to test the rule)."""

    def __init__(self, latency) -> None:  # type: ignore[no-untyped-def]
        super().__init__(
            session=None,  # type: ignore[arg-type]
            outputs=(),
            timing=Timing(batch_size=10, warmup_queries=0, min_queries=20, min_duration_s=0.0),
            seed=0,
        )
        self.latency = latency

    def query(self, batch: np.ndarray) -> tuple[int, list[np.ndarray]]:
        return self.latency(batch), []


def test_a_busy_first_round_is_checked_again_and_cleared() -> None:
    calls = {"n": 0}

    def busy_then_quiet(batch: np.ndarray) -> int:
        calls["n"] += 1
        # The first round's controls (calls 21, 23, ...) stall on a busy machine.
        first_round_control = 20 < calls["n"] <= 32 and calls["n"] % 2 == 1
        return int((90 if first_round_control else 20) * 1e6)

    images = np.random.default_rng(1).random((200, 1, 4, 4), dtype=np.float32)
    timed = ScriptedTimer(busy_then_quiet).run(images)
    assert not timed.caching_suspected


def test_a_cache_is_caught_in_the_second_round_too() -> None:
    seen: set[bytes] = set()

    def cache(batch: np.ndarray) -> int:
        key = batch.tobytes()
        hit = key in seen
        seen.add(key)
        return int((0.5 if hit else 20) * 1e6)

    images = np.random.default_rng(2).random((200, 1, 4, 4), dtype=np.float32)
    timed = ScriptedTimer(cache).run(images)
    assert timed.caching_suspected
