"""The trusted timer: the trusted side is the load generator, like MLPerf's LoadGen.

For each query the batch is written into shared memory, then ``time.perf_counter_ns()`` is
stamped here, "go" is sent, and the clock stops once the answer has been copied out of shared
memory. The sandbox's clock is never read (threat 30). Inputs of later queries are not in shared
memory yet (threat 31). Warm-up queries use synthetic inputs and are not counted.

Every timed query holds inputs no cache can know (threats 32, 36): the hidden set once (itself
drawn through the deployment secret), then, if the minimum query count or duration is not yet
reached, fresh variants of it: each row re-drawn through a label-preserving transform
(``arena_datasets.secret_transforms.QUERY_SPEC``: a small affine and elastic warp plus noise)
from a generator seeded by the operating system per grading, never by the bundle's public seed.
A cache keyed on rounded pixels misses on every such query. The answer-cache check uses the same
kind of inputs: a few exact repeats of first-pass batches, each timed right after a control that
is a fresh variant like the timed ones; answering the repeats much faster than their controls
means answers are cached, and speed then earns nothing. The answers of the timed queries
themselves are what accuracy, and so the speed floor, is computed from (threats 34, 35).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from arena_datasets.secret_transforms import QUERY_SPEC, secret_transform
from grader.bundle import OutputSpec, Timing
from grader.harness.arena_harness import wire
from grader.protocol import ShapeMismatch
from grader.stages.session import Session

REPEAT_QUERIES = 6
CACHE_RATIO = 0.5  # repeats answered in under half the latency of their paired controls: a cache
CACHE_MIN_GAIN_NS = 1_000_000


@dataclass
class TimedQuery:
    indices: np.ndarray  # rows of the hidden set in this batch
    latency_ns: int


def looks_cached(controls: list[int], repeats: list[int], paired: bool) -> bool:
    """Exact repeats answered much faster than fresh queries: the median repeat under
    ``CACHE_RATIO`` of the median control (and a real gain), and, where each repeat has its own
    control, most pairs agree (one stalled control on a busy machine does not decide it)."""
    if not repeats or not controls:
        return False
    unique = float(np.median(controls))
    repeat = float(np.median(repeats))
    if not (repeat < CACHE_RATIO * unique and unique - repeat > CACHE_MIN_GAIN_NS):
        return False
    if not paired:
        return True
    fast_pairs = sum(r < CACHE_RATIO * c for c, r in zip(controls, repeats))
    return fast_pairs * 3 >= 2 * min(len(controls), len(repeats))


@dataclass
class LoadgenResult:
    queries: list[TimedQuery]
    outputs: dict[str, np.ndarray]  # per output: rows of every timed query, in order
    indices: np.ndarray  # the hidden-set row of each of those rows
    repeat_latencies_ns: list[int] = field(default_factory=list)
    # One fresh (re-drawn) query of the same size sent right before each repeat: the repeats
    # are compared with these, not with the whole run, so a busy machine slows both alike.
    control_latencies_ns: list[int] = field(default_factory=list)
    repeats: int = 5

    @property
    def images(self) -> int:
        return int(self.indices.size)

    @property
    def total_s(self) -> float:
        return sum(q.latency_ns for q in self.queries) / 1e9

    @property
    def caching_suspected(self) -> bool:
        if not self.repeat_latencies_ns:
            return False
        return looks_cached(
            self.control_latencies_ns or [q.latency_ns for q in self.queries],
            self.repeat_latencies_ns,
            paired=bool(self.control_latencies_ns),
        )

    def metrics(self) -> dict[str, float]:
        latencies_ms = np.array([q.latency_ns for q in self.queries]) / 1e6
        segments = [s for s in np.array_split(np.arange(len(self.queries)), self.repeats) if s.size]
        seg_ips = [
            sum(self.queries[i].indices.size for i in s)
            / (sum(self.queries[i].latency_ns for i in s) / 1e9)
            for s in segments
        ]
        seg_p50 = [float(np.median(latencies_ms[s])) for s in segments]
        return {
            "throughput_ips": self.images / self.total_s,
            "throughput_cv": float(np.std(seg_ips) / np.mean(seg_ips)),
            "latency_p50_ms": float(np.percentile(latencies_ms, 50)),
            "latency_p90_ms": float(np.percentile(latencies_ms, 90)),
            "latency_p50_cv": float(np.std(seg_p50) / np.mean(seg_p50)),
            "timed_queries": len(self.queries),
            "timed_images": self.images,
        }


def input_bytes(timing: Timing, input_shape: tuple[int, ...]) -> int:
    return timing.batch_size * int(np.prod(input_shape)) * 4


def output_bytes(timing: Timing, outputs: tuple[OutputSpec, ...]) -> int:
    # Room for float64 outputs plus alignment padding between them.
    return sum(timing.batch_size * int(np.prod(o.shape)) * 8 + 64 for o in outputs) + 64


class LoadGenerator:
    def __init__(
        self,
        session: Session,
        outputs: tuple[OutputSpec, ...],
        timing: Timing,
        seed: int | None = None,
    ) -> None:
        self.session = session
        self.outputs = outputs
        self.timing = timing
        # None (grading): fresh entropy from the OS, so no mentee can replay the variants.
        self.rng = np.random.default_rng(seed)
        self.value_range = (0.0, 1.0)

    def variant(self, batch: np.ndarray) -> np.ndarray:
        """A fresh label-preserving re-draw of ``batch``: what no cache has seen."""
        if batch.ndim != 4:  # not images: fall back to noise alone
            return batch + self.rng.standard_normal(batch.shape, dtype=np.float32) * np.float32(
                QUERY_SPEC.noise * (self.value_range[1] - self.value_range[0] or 1.0)
            )
        return secret_transform(batch, self.rng, QUERY_SPEC, self.value_range)

    def run(self, images: np.ndarray) -> LoadgenResult:
        images = np.ascontiguousarray(images, dtype=np.float32)
        self.value_range = (float(images.min()), float(images.max())) if images.size else (0, 1)
        self.warm_up(images)
        queries: list[TimedQuery] = []
        collected: dict[str, list[np.ndarray]] = {o.name: [] for o in self.outputs}
        started = time.monotonic()
        for rows, pass_number in self.schedule(len(images), started, lambda: len(queries)):
            batch = self.variant(images[rows]) if pass_number else images[rows]
            latency, answers = self.query(batch)
            queries.append(TimedQuery(rows, latency))
            for spec, answer in zip(self.outputs, answers):
                collected[spec.name].append(answer)
        result = LoadgenResult(
            queries=queries,
            outputs={name: np.concatenate(parts) for name, parts in collected.items()},
            indices=np.concatenate([q.indices for q in queries]),
            repeats=self.timing.repeats,
        )
        used: set[int] = set()
        result.control_latencies_ns, result.repeat_latencies_ns = self.repeat_check(
            images, queries, used
        )
        if result.caching_suspected:
            # A busy worker can make one round look like a cache (a correct solution lost its
            # speed points so at load 8 on 2 cores). A cache answers a second round, of batches
            # it has seen only once before, just as fast: the verdict stands only if it does.
            controls, repeats = self.repeat_check(images, queries, used)
            if not looks_cached(controls, repeats, paired=True):
                result.control_latencies_ns, result.repeat_latencies_ns = controls, repeats
        return result

    def schedule(
        self, n: int, started: float, count: Callable[[], int]
    ) -> Iterator[tuple[np.ndarray, int]]:
        """Row indices of each timed batch with its pass number (pass 0: the set as it is)."""
        size = self.timing.batch_size
        pass_number = 0
        while True:
            order = np.arange(n) if pass_number == 0 else self.rng.permutation(n)
            for start in range(0, n, size):
                yield order[start : start + size], pass_number
            pass_number += 1
            if (
                count() >= self.timing.min_queries
                and time.monotonic() - started >= self.timing.min_duration_s
            ):
                return

    def warm_up(self, images: np.ndarray) -> None:
        mean, std = float(images.mean()), float(images.std()) or 1.0
        shape = (min(self.timing.batch_size, len(images)),) + images.shape[1:]
        for _ in range(self.timing.warmup_queries):
            synthetic = (self.rng.standard_normal(shape) * std + mean).astype(np.float32)
            self.query(synthetic)

    def query(self, batch: np.ndarray) -> tuple[int, list[np.ndarray]]:
        spec = self.session.put(batch)
        channel = self.session.channel
        window = self.session.out_window
        timeout = self.session.remaining(self.timing.query_timeout_s)
        begin = time.perf_counter_ns()
        channel.send(wire.Infer(spec).payload(), window=window)
        reply = channel.receive(window=window, timeout=timeout)
        self.session.check(reply, "inference")
        if len(reply.tensors) != len(self.outputs):
            raise ShapeMismatch((len(reply.tensors),), (len(self.outputs),))
        # The answer is what shared memory holds when it is copied out, and the clock stops
        # only after that copy: work finished after the reply cannot count (threat 33).
        answers = [
            self.session.get(reply, i, (len(batch),) + o.shape) for i, o in enumerate(self.outputs)
        ]
        return time.perf_counter_ns() - begin, answers

    def repeat_check(
        self, images: np.ndarray, queries: list[TimedQuery], used: set[int] | None = None
    ) -> tuple[list[int], list[int]]:
        """Resend a few first-pass batches exactly, each right after a fresh control query.

        Returns (control latencies, repeat latencies). Each control is another first-pass
        batch re-drawn like the timed variants (``variant``), so no cache can know it, not even
        one keyed on rounded pixels; answering the exact repeats much faster than their controls
        means answers are cached (threat 32).
        """
        first_pass = queries[: -(-len(images) // self.timing.batch_size)]
        used = set() if used is None else used
        # Batches not resent before, where there are enough: each repeat is a second sighting.
        fresh = [i for i in range(len(first_pass)) if i not in used]
        pool = fresh if len(fresh) >= min(REPEAT_QUERIES, len(first_pass)) else list(
            range(len(first_pass))
        )
        count = min(REPEAT_QUERIES, len(pool))
        picks = [pool[int(j)] for j in self.rng.choice(len(pool), size=count, replace=False)]
        used.update(picks)
        controls: list[int] = []
        repeats: list[int] = []
        for i in picks:
            control_rows = first_pass[int(self.rng.integers(len(first_pass)))].indices
            controls.append(self.query(self.variant(images[control_rows]))[0])
            repeats.append(self.query(images[first_pass[i].indices])[0])
        return controls, repeats
