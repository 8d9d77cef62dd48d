"""The bubblewrap backend's seccomp filter (threat model row 8).

The compiled program is checked twice: by running it through a small classic-BPF interpreter
here (every decision, on both supported architectures), and by the kernel, from inside a real
sandbox, where refused calls must fail with EPERM and PyTorch must still work.
"""

from __future__ import annotations

import errno
import json
import platform
import struct
from pathlib import Path

import pytest

from grader.sandbox import Limits, Sandbox, SandboxSpec
from grader.sandbox.bwrap import build_bwrap_argv
from grader.sandbox.seccomp import (
    AARCH64,
    ARCHITECTURES,
    DENIED_SYSCALLS,
    RET_ALLOW,
    RET_ENOSYS,
    RET_EPERM,
    X86_64,
    Architecture,
    Instruction,
    build_filter,
    compile_filter,
    host_architecture,
)
from tests.grader.conftest import PythonRunner

AUDIT_ARCH_I386 = 0x40000003
CLONE_THREAD_FLAGS = 0x003D0F00  # what glibc's pthread_create passes
FORK_FLAGS = 0x01200011  # CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD
CLONE_NEWUSER = 0x10000000
CLONE_NEWNS = 0x00020000
CLONE_FILES = 0x00000400
CLONE_NEWTIME = 0x00000080
ADDR_NO_RANDOMIZE = 0x0040000
X86_ONLY = {"create_module", "uselib", "_sysctl", "iopl", "ioperm"}


@pytest.fixture
def bwrap_runner(bwrap_sandbox: Sandbox) -> PythonRunner:
    """The seccomp filter belongs to the bubblewrap backend only (Docker applies its own)."""
    return PythonRunner(bwrap_sandbox)


def run_bpf(program: list[Instruction], nr: int, arch: int, args: tuple[int, ...] = ()) -> int:
    """What the kernel would return for this call: a classic-BPF interpreter for seccomp."""
    data = struct.pack("<iIQ6Q", nr, arch, 0, *(list(args) + [0] * (6 - len(args))))
    accumulator, pc = 0, 0
    while True:
        code, jt, jf, k = program[pc]
        pc += 1
        if code == 0x20:  # BPF_LD | BPF_W | BPF_ABS
            (accumulator,) = struct.unpack_from("<I", data, k)
        elif code == 0x06:  # BPF_RET | BPF_K
            return k
        elif code in (0x15, 0x35, 0x45):  # BPF_JMP | JEQ, JGE, JSET with a constant
            taken = {
                0x15: accumulator == k,
                0x35: accumulator >= k,
                0x45: bool(accumulator & k),
            }[code]
            pc += jt if taken else jf
        else:
            raise AssertionError(f"instruction {code:#x} is not one the filter should use")


def decide(arch: Architecture, name: str, *args: int) -> int:
    return run_bpf(build_filter(arch), arch.syscalls[name], arch.audit_arch, args)


@pytest.mark.parametrize("arch", ARCHITECTURES.values(), ids=ARCHITECTURES)
def test_it_builds_a_short_program_that_first_checks_the_architecture(arch: Architecture) -> None:
    program = build_filter(arch)
    assert 40 < len(program) < 100
    assert program[0] == Instruction(0x20, 0, 0, 4)  # load seccomp_data.arch
    assert program[1].code == 0x15 and program[1].k == arch.audit_arch
    assert program[2] == Instruction(0x20, 0, 0, 0)  # then the syscall number
    assert len(compile_filter(arch)) == 8 * len(program)
    assert program[-1] == Instruction(0x06, 0, 0, RET_ALLOW)


def test_it_knows_the_number_of_every_denied_syscall() -> None:
    assert set(DENIED_SYSCALLS) <= set(X86_64.syscalls)
    assert set(DENIED_SYSCALLS) - set(AARCH64.syscalls) == X86_ONLY
    assert X86_64.syscalls["ptrace"] == 101 and AARCH64.syscalls["ptrace"] == 117
    assert X86_64.syscalls["io_uring_setup"] == AARCH64.syscalls["io_uring_setup"] == 425


@pytest.mark.parametrize("arch", ARCHITECTURES.values(), ids=ARCHITECTURES)
def test_it_refuses_every_denied_syscall_with_eperm(arch: Architecture) -> None:
    for name in DENIED_SYSCALLS:
        if name in arch.syscalls:
            assert decide(arch, name) == RET_EPERM, name


@pytest.mark.parametrize("arch", ARCHITECTURES.values(), ids=ARCHITECTURES)
def test_it_allows_threads_forks_and_unrelated_calls(arch: Architecture) -> None:
    program = build_filter(arch)
    for nr in range(460):
        if nr not in arch.syscalls.values():
            assert run_bpf(program, nr, arch.audit_arch) == RET_ALLOW, nr
    assert decide(arch, "clone", CLONE_THREAD_FLAGS) == RET_ALLOW
    assert decide(arch, "clone", FORK_FLAGS) == RET_ALLOW
    assert decide(arch, "unshare", CLONE_FILES) == RET_ALLOW
    assert decide(arch, "personality", 0xFFFFFFFF) == RET_ALLOW
    assert decide(arch, "personality", 0) == RET_ALLOW


@pytest.mark.parametrize("arch", ARCHITECTURES.values(), ids=ARCHITECTURES)
def test_it_refuses_new_namespaces_and_persona_changes(arch: Architecture) -> None:
    assert decide(arch, "clone", FORK_FLAGS | CLONE_NEWUSER) == RET_EPERM
    assert decide(arch, "clone", CLONE_NEWNS) == RET_EPERM
    assert decide(arch, "unshare", CLONE_NEWUSER | CLONE_FILES) == RET_EPERM
    assert decide(arch, "unshare", CLONE_NEWTIME) == RET_EPERM
    assert decide(arch, "personality", ADDR_NO_RANDOMIZE) == RET_EPERM
    # clone3's flags are out of a filter's reach: ENOSYS sends glibc back to clone.
    assert decide(arch, "clone3") == RET_ENOSYS


@pytest.mark.parametrize("arch", ARCHITECTURES.values(), ids=ARCHITECTURES)
def test_it_refuses_every_call_of_another_abi(arch: Architecture) -> None:
    program = build_filter(arch)
    for nr in (0, 1, 39, 60, 231):  # read, write, getpid, exit... under the wrong ABI
        assert run_bpf(program, nr, AUDIT_ARCH_I386) == RET_EPERM
    if arch.foreign_abi_base is not None:  # x32: same arch value, numbers with a high bit
        assert run_bpf(program, arch.foreign_abi_base | 39, arch.audit_arch) == RET_EPERM


def test_it_passes_the_filter_descriptor_to_bubblewrap() -> None:
    spec = SandboxSpec(argv=["{python}", "-c", "pass"], limits=Limits())
    argv = build_bwrap_argv(
        spec,
        bwrap="bwrap",
        python="/venv/bin/python",
        runtime=["/venv"],
        etc_dir=Path("/tmp/etc"),
        sources={},
        gpu_nodes=(),
        seccomp_fd=7,
    )
    assert argv[argv.index("--seccomp") + 1] == "7"
    assert argv.index("--seccomp") < argv.index("--")


def test_it_builds_the_filter_of_this_machine() -> None:
    machine = platform.machine()
    assert host_architecture().name == {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)


PROBE = r"""
import ctypes, errno, json, platform
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
NR = {nrs}

def outcome(result):
    return "ok" if result >= 0 else errno.errorcode[ctypes.get_errno()]

def call(name, *args):
    return outcome(libc.syscall(ctypes.c_long(NR[name]), *(ctypes.c_long(a) for a in args)))

status = dict(l.split(":", 1) for l in open("/proc/self/status") if ":" in l)
out = {{
    "seccomp_mode": status["Seccomp"].strip(),
    "ptrace_traceme": outcome(libc.ptrace(0, 0, None, None)),
    "unshare_newuser": call("unshare", 0x10000000),
    "unshare_files": call("unshare", 0x400),
    "mount": outcome(libc.mount(b"none", b"/scratch", b"tmpfs", 0, None)),
    "bpf": call("bpf", 0, 0, 0),
    "perf_event_open": call("perf_event_open", 0, 0, -1, -1, 0),
    "io_uring_setup": call("io_uring_setup", 1, 0),
    "keyctl": call("keyctl", 0, -3, 0),
    "personality_no_aslr": call("personality", 0x0040000),
    "personality_query": call("personality", 0xFFFFFFFF),
}}
if platform.machine() == "x86_64":
    out["x32_getpid"] = outcome(libc.syscall(ctypes.c_long(0x40000000 | 39)))
print(json.dumps(out))
"""


@pytest.mark.bwrap
@pytest.mark.slow
def test_it_refuses_the_denied_calls_inside_the_sandbox(bwrap_runner: PythonRunner) -> None:
    arch = host_architecture()
    names = ("unshare", "bpf", "perf_event_open", "io_uring_setup", "keyctl", "personality")
    result = bwrap_runner(PROBE.format(nrs={n: arch.syscalls[n] for n in names}))
    assert result.exit_code == 0, result.stderr.decode(errors="replace")
    report = json.loads(result.stdout)
    assert report.pop("seccomp_mode") == "2"  # a filter is installed
    assert report.pop("unshare_files") == "ok"
    assert report.pop("personality_query") == "ok"
    # Without the filter: TRACEME, keyctl, personality and x32 getpid succeed, unshare gives
    # ENOSPC (--disable-userns), perf_event_open and io_uring_setup EFAULT for these arguments.
    # mount (no capability) and bpf (kernel.unprivileged_bpf_disabled) may be EPERM anyway.
    assert report == dict.fromkeys(report, errno.errorcode[errno.EPERM])


@pytest.mark.bwrap
@pytest.mark.slow
def test_it_still_runs_torch_threads_and_subprocesses(bwrap_runner: PythonRunner) -> None:
    result = bwrap_runner(
        """
        import json, subprocess, threading, torch
        torch.set_num_threads(2)
        product = torch.ones(1000, 1000) @ torch.ones(1000, 1000)
        seen = []
        workers = [threading.Thread(target=seen.append, args=(i,)) for i in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        child = subprocess.run(["/bin/echo", "child"], capture_output=True, text=True)
        print(json.dumps({"value": product[0, 0].item(), "threads": torch.get_num_threads(),
                          "seen": sorted(seen), "child": child.stdout.strip()}))
        """,
        memory_mb=1024,
    )
    assert result.exit_code == 0, result.stderr.decode(errors="replace")
    assert json.loads(result.stdout) == {
        "value": 1000.0,
        "threads": 2,
        "seen": [0, 1, 2, 3],
        "child": "child",
    }
