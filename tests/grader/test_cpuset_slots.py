"""CPU slots (grader/sandbox/slots.py): concurrent sandboxes get disjoint cores, a sandbox past
the slot count waits for one to end, and the submission cannot leave its cores."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from grader.errors import GraderError
from grader.sandbox import PYTHON_PLACEHOLDER, Limits, Sandbox, SandboxSpec
from grader.sandbox.slots import acquire_slot, slot_config, worker_concurrency

CORES = sorted(os.sched_getaffinity(0))
# Disjoint one-core slots cannot exist on a one-core machine; this machine and CI have two,
# so these tests run there (the allocator's own tests below run everywhere).
needs_two_cores = pytest.mark.skipif(len(CORES) < 2, reason="slots of one core need two cores")

# Prints the cores the kernel lets it run on, then stays a while so the runs overlap.
_SHOW_CPUS = """
import time
allowed = [l for l in open("/proc/self/status") if l.startswith("Cpus_allowed_list")]
print(allowed[0].split(":")[1].strip(), flush=True)
time.sleep({hold})
"""


def _expand(cpu_list: str) -> set[int]:
    cores: set[int] = set()
    for part in cpu_list.split(","):
        low, _, high = part.partition("-")
        cores.update(range(int(low), int(high or low) + 1))
    return cores


def _slots_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, slots: int = 2) -> None:
    monkeypatch.setenv("ARENA_SANDBOX_SLOTS", str(slots))
    monkeypatch.setenv("ARENA_SANDBOX_CORES_PER_SLOT", "1")
    monkeypatch.setenv("ARENA_SANDBOX_SLOT_DIR", str(tmp_path / "slots"))


def _spec(code: str) -> SandboxSpec:
    return SandboxSpec(argv=[PYTHON_PLACEHOLDER, "-c", code], limits=Limits(wall_seconds=60))


class _Run(threading.Thread):
    """One sandbox run in a thread; records when its process started and when it ended."""

    def __init__(self, sandbox: Sandbox, code: str) -> None:
        super().__init__(daemon=True)
        self.sandbox, self.code = sandbox, code
        self.started_at = self.ended_at = 0.0
        self.cpus: set[int] = set()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with self.sandbox.open(_spec(self.code)) as process:
                self.started_at = time.monotonic()
                result = process.wait()
            self.ended_at = time.monotonic()
            assert result.exit_code == 0, result.stderr
            self.cpus = _expand(result.stdout.decode().split()[0])
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            self.error = exc


def _check_two_run_and_third_waits(sandbox: Sandbox) -> None:
    first = [_Run(sandbox, _SHOW_CPUS.format(hold=4)) for _ in range(2)]
    for run in first:
        run.start()
    deadline = time.monotonic() + 60
    while not all(r.started_at for r in first) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(r.started_at for r in first), [r.error for r in first]
    third = _Run(sandbox, _SHOW_CPUS.format(hold=0))
    third.start()
    for run in [*first, third]:
        run.join(120)
        assert run.error is None, run.error
    a, b = first
    assert len(a.cpus) == len(b.cpus) == 1
    assert a.cpus.isdisjoint(b.cpus)  # each on a core of its own
    assert a.cpus | b.cpus <= set(CORES)
    # Both slots were taken: the third started only once one of the first two had ended.
    assert third.started_at >= min(a.ended_at, b.ended_at)
    assert third.cpus in (a.cpus, b.cpus)


@pytest.mark.bwrap
@needs_two_cores
def test_bwrap_runs_get_disjoint_cores_and_a_third_waits(
    bwrap_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _slots_env(monkeypatch, tmp_path)
    _check_two_run_and_third_waits(bwrap_sandbox)


@pytest.mark.docker
@pytest.mark.slow
@needs_two_cores
def test_docker_runs_get_disjoint_cores_and_a_third_waits(
    docker_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _slots_env(monkeypatch, tmp_path)
    _check_two_run_and_third_waits(docker_sandbox)


@pytest.mark.bwrap
@needs_two_cores
def test_a_submission_cannot_widen_its_cores(
    bwrap_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Attack: the sandbox asks the kernel for every core; it stays on its slot's core."""
    _slots_env(monkeypatch, tmp_path)
    code = f"""
import os
try:
    os.sched_setaffinity(0, {set(CORES)!r})
except OSError:
    pass
print(",".join(str(c) for c in sorted(os.sched_getaffinity(0))), flush=True)
"""
    result = bwrap_sandbox.run(_spec(code))
    assert result.exit_code == 0, result.stderr
    assert len(_expand(result.stdout.decode().strip())) == 1


def test_without_slots_nothing_is_pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARENA_SANDBOX_SLOTS", raising=False)
    assert slot_config() is None
    assert worker_concurrency() == 1
    with acquire_slot(None) as slot:
        assert slot is None


def test_slots_cut_the_cores_into_disjoint_sets(tmp_path: Path) -> None:
    env = {"ARENA_SANDBOX_SLOTS": "1", "ARENA_SANDBOX_SLOT_DIR": str(tmp_path)}
    config = slot_config(env)
    assert config is not None
    assert config.slot(0).cpus == tuple(CORES)  # one slot: every core
    assert worker_concurrency(env) == 1
    if len(CORES) >= 2:
        two = slot_config({**env, "ARENA_SANDBOX_SLOTS": "2"})
        assert two is not None and worker_concurrency({**env, "ARENA_SANDBOX_SLOTS": "2"}) == 2
        assert set(two.slot(0).cpus).isdisjoint(two.slot(1).cpus)


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"ARENA_SANDBOX_SLOTS": "two"}, "whole number"),
        ({"ARENA_SANDBOX_SLOTS": "0"}, "at least 1"),
        ({"ARENA_SANDBOX_SLOTS": "1", "ARENA_SANDBOX_CORES_PER_SLOT": "4096"}, "needs 4096 cores"),
        ({"ARENA_SANDBOX_SLOTS": "1", "ARENA_SANDBOX_SLOT_WAIT_S": "soon"}, "seconds"),
    ],
)
def test_bad_slot_settings_are_refused_clearly(env: dict[str, str], words: str) -> None:
    with pytest.raises(GraderError, match=words):
        slot_config(env)


def test_a_slot_is_shared_between_processes_and_freed_by_death(tmp_path: Path) -> None:
    """Another process holding the only slot makes us wait; its death (SIGKILL) frees it."""
    env = {
        "ARENA_SANDBOX_SLOTS": "1",
        "ARENA_SANDBOX_SLOT_DIR": str(tmp_path),
        "ARENA_SANDBOX_SLOT_WAIT_S": "0.3",
    }
    config = slot_config(env)
    assert config is not None
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child holds the slot until killed
        os.close(ready_r)
        with acquire_slot(config):
            os.write(ready_w, b"x")
            time.sleep(60)
        os._exit(0)
    os.close(ready_w)
    try:
        assert os.read(ready_r, 1) == b"x"
        with pytest.raises(GraderError, match="no sandbox slot came free"), acquire_slot(config):
            pass
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        os.close(ready_r)
    with acquire_slot(config) as slot:
        assert slot is not None and slot.index == 0
