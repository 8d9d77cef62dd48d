"""The bubblewrap backend's seccomp filter (threat 8): a deny-list compiled to classic BPF.

Pure: `compile_filter()` returns the bytes bubblewrap reads from `--seccomp FD` (an array of
`struct sock_filter`) and installs just before it execs the sandboxed command. Everything a
PyTorch run needs stays allowed (threads, fork, mmap, futex, shared memory); what is refused
is kernel attack surface and host-wide state no grading run has a use for.

Refused calls fail with EPERM rather than killing the process, so Python raises a clean
`OSError` and the report says what the code did. Three calls are decided on their arguments:
`clone` and `unshare` only when asked for a new namespace, `personality` unless it keeps the
default persona or only reads it. `clone3` passes its flags in memory a filter cannot read, so
it gets ENOSYS, which makes glibc fall back to `clone` (as Docker's default profile does).
A syscall from another ABI (i386 through `int 0x80`, x32, arm32 compat) is refused whole:
the deny-list only names the native numbers.
"""

from __future__ import annotations

import errno
import platform
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from grader.errors import SandboxUnavailable

__all__ = [
    "ARCHITECTURES",
    "CLONE_NAMESPACE_FLAGS",
    "DENIED_SYSCALLS",
    "UNSHARE_NAMESPACE_FLAGS",
    "Architecture",
    "Instruction",
    "build_filter",
    "compile_filter",
    "host_architecture",
]

# Refused whatever their arguments (names of the kernel's syscall tables).
DENIED_SYSCALLS = (
    # Reading or writing another process.
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    "process_madvise",
    # Kernel code, mounts, namespaces.
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "create_module", "mount", "umount2", "pivot_root", "open_tree", "move_mount", "fsopen",
    "fsconfig", "fsmount", "fspick", "mount_setattr", "setns",
    # Large or privileged kernel interfaces an exploit would start from.
    "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter",
    "io_uring_register", "keyctl", "add_key", "request_key", "open_by_handle_at",
    "name_to_handle_at", "fanotify_init", "lookup_dcookie", "uselib", "_sysctl", "iopl",
    "ioperm", "vhangup",
    # Host-wide state.
    "swapon", "swapoff", "reboot", "acct", "quotactl", "quotactl_fd", "settimeofday",
    "clock_settime", "clock_adjtime", "adjtimex", "syslog",
)  # fmt: skip

_CLONE_NEWNS = 0x00020000
_CLONE_NEWCGROUP = 0x02000000
_CLONE_NEWUTS = 0x04000000
_CLONE_NEWIPC = 0x08000000
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWPID = 0x20000000
_CLONE_NEWNET = 0x40000000
_CLONE_NEWTIME = 0x00000080  # unshare only: in clone's flags this bit is part of the exit signal
CLONE_NAMESPACE_FLAGS = (
    _CLONE_NEWNS | _CLONE_NEWCGROUP | _CLONE_NEWUTS | _CLONE_NEWIPC | _CLONE_NEWUSER
    | _CLONE_NEWPID | _CLONE_NEWNET
)  # fmt: skip
UNSHARE_NAMESPACE_FLAGS = CLONE_NAMESPACE_FLAGS | _CLONE_NEWTIME

_PER_LINUX = 0x0
_PERSONALITY_QUERY = 0xFFFFFFFF

# Classic BPF opcodes and seccomp return values (linux/filter.h, linux/seccomp.h).
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_JSET_K = 0x45
_RET_K = 0x06
RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
RET_EPERM = _RET_ERRNO | errno.EPERM
RET_ENOSYS = _RET_ERRNO | errno.ENOSYS

# struct seccomp_data: int nr; u32 arch; u64 instruction_pointer; u64 args[6].
_NR_OFFSET = 0
_ARCH_OFFSET = 4
_ARG0_LOW_OFFSET = 16  # low half of args[0] on little-endian machines (both supported ones)

_MAX_JUMP = 255  # jt and jf are 8-bit forward offsets


@dataclass(frozen=True)
class Architecture:
    name: str
    audit_arch: int  # AUDIT_ARCH_* as seen in seccomp_data.arch
    syscalls: Mapping[str, int]
    # Numbers at or above this belong to another ABI on the same arch value (x86_64's x32).
    foreign_abi_base: int | None = None


_COMMON_NEW_SYSCALLS = {  # numbered alike on every architecture since Linux 5.1
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
    "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432,
    "fspick": 433, "clone3": 435, "pidfd_getfd": 438, "process_madvise": 440,
    "mount_setattr": 442, "quotactl_fd": 443,
}  # fmt: skip

X86_64 = Architecture(
    name="x86_64",
    audit_arch=0xC000003E,
    foreign_abi_base=0x40000000,  # __X32_SYSCALL_BIT
    syscalls={
        "clone": 56, "ptrace": 101, "syslog": 103, "uselib": 134, "personality": 135,
        "vhangup": 153, "pivot_root": 155, "_sysctl": 156, "adjtimex": 159, "acct": 163,
        "settimeofday": 164, "mount": 165, "umount2": 166, "swapon": 167, "swapoff": 168,
        "reboot": 169, "iopl": 172, "ioperm": 173, "create_module": 174, "init_module": 175,
        "delete_module": 176, "quotactl": 179, "lookup_dcookie": 212, "clock_settime": 227,
        "kexec_load": 246, "add_key": 248, "request_key": 249, "keyctl": 250, "unshare": 272,
        "perf_event_open": 298, "fanotify_init": 300, "name_to_handle_at": 303,
        "open_by_handle_at": 304, "clock_adjtime": 305, "setns": 308,
        "process_vm_readv": 310, "process_vm_writev": 311, "kcmp": 312, "finit_module": 313,
        "kexec_file_load": 320, "bpf": 321, "userfaultfd": 323,
        **_COMMON_NEW_SYSCALLS,
    },
)  # fmt: skip

AARCH64 = Architecture(
    name="aarch64",
    audit_arch=0xC00000B7,
    syscalls={
        "lookup_dcookie": 18, "umount2": 39, "mount": 40, "pivot_root": 41, "vhangup": 58,
        "quotactl": 60, "acct": 89, "personality": 92, "unshare": 97, "kexec_load": 104,
        "init_module": 105, "delete_module": 106, "clock_settime": 112, "syslog": 116,
        "ptrace": 117, "reboot": 142, "settimeofday": 170, "adjtimex": 171, "add_key": 217,
        "request_key": 218, "keyctl": 219, "clone": 220, "swapon": 224, "swapoff": 225,
        "perf_event_open": 241, "fanotify_init": 262, "name_to_handle_at": 264,
        "open_by_handle_at": 265, "clock_adjtime": 266, "setns": 268,
        "process_vm_readv": 270, "process_vm_writev": 271, "kcmp": 272, "finit_module": 273,
        "bpf": 280, "userfaultfd": 282, "kexec_file_load": 294,
        **_COMMON_NEW_SYSCALLS,
    },
)  # fmt: skip

ARCHITECTURES = {arch.name: arch for arch in (X86_64, AARCH64)}


class Instruction(NamedTuple):
    """One `struct sock_filter`."""

    code: int
    jt: int
    jf: int
    k: int

    def pack(self) -> bytes:
        return struct.pack("<HBBI", self.code, self.jt, self.jf, self.k)


class _Jump(NamedTuple):
    """A conditional jump to labels, resolved to offsets by `_assemble`."""

    code: int
    k: int
    if_true: str | None  # None: fall through to the next instruction
    if_false: str | None = None


_Item = Instruction | _Jump | str  # a str is a label for the instruction after it


def _load(offset: int) -> Instruction:
    return Instruction(_LD_W_ABS, 0, 0, offset)


def _ret(value: int) -> Instruction:
    return Instruction(_RET_K, 0, 0, value)


def _assemble(items: list[_Item]) -> list[Instruction]:
    labels: dict[str, int] = {}
    count = 0
    for item in items:
        if isinstance(item, str):
            labels[item] = count
        else:
            count += 1
    program: list[Instruction] = []
    for item in items:
        if isinstance(item, str):
            continue
        if isinstance(item, _Jump):
            here = len(program) + 1
            jt, jf = (0 if t is None else labels[t] - here for t in (item.if_true, item.if_false))
            if not (0 <= jt <= _MAX_JUMP and 0 <= jf <= _MAX_JUMP):
                raise ValueError("seccomp filter too long for an 8-bit jump")
            item = Instruction(item.code, jt, jf, item.k)
        program.append(item)
    return program


def build_filter(arch: Architecture) -> list[Instruction]:
    """The filter for `arch`, as instructions."""
    nrs = arch.syscalls
    items: list[_Item] = [
        _load(_ARCH_OFFSET),
        _Jump(_JEQ_K, arch.audit_arch, None, "deny"),
        _load(_NR_OFFSET),
    ]
    if arch.foreign_abi_base is not None:
        items.append(_Jump(_JGE_K, arch.foreign_abi_base, "deny"))
    denied = sorted({nrs[name] for name in DENIED_SYSCALLS if name in nrs})
    items += [_Jump(_JEQ_K, nr, "deny") for nr in denied]
    items += [
        _Jump(_JEQ_K, nrs["clone"], "clone"),
        _Jump(_JEQ_K, nrs["unshare"], "unshare"),
        _Jump(_JEQ_K, nrs["personality"], "personality"),
        _Jump(_JEQ_K, nrs["clone3"], "enosys"),
        _ret(RET_ALLOW),
        # Flags and personas are 32-bit in the kernel: the high half of the argument is ignored.
        "clone",
        _load(_ARG0_LOW_OFFSET),
        _Jump(_JSET_K, CLONE_NAMESPACE_FLAGS, "deny", "allow"),
        "unshare",
        _load(_ARG0_LOW_OFFSET),
        _Jump(_JSET_K, UNSHARE_NAMESPACE_FLAGS, "deny", "allow"),
        "personality",
        _load(_ARG0_LOW_OFFSET),
        _Jump(_JEQ_K, _PER_LINUX, "allow"),
        _Jump(_JEQ_K, _PERSONALITY_QUERY, "allow", "deny"),
        "enosys",
        _ret(RET_ENOSYS),
        "deny",
        _ret(RET_EPERM),
        "allow",
        _ret(RET_ALLOW),
    ]
    return _assemble(items)


def host_architecture() -> Architecture:
    machine = platform.machine()
    arch = ARCHITECTURES.get({"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine))
    if arch is None:
        raise SandboxUnavailable(f"no seccomp filter is defined for the {machine} architecture")
    return arch


def compile_filter(arch: Architecture | None = None) -> bytes:
    """The filter as bubblewrap's `--seccomp` reads it; the host's architecture by default."""
    return b"".join(i.pack() for i in build_filter(arch or host_architecture()))
