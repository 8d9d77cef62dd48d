"""The policy each backend asks for, read from the generated bubblewrap argv and Docker config.

These need no engine and no GPU: they check what would be asked for (GPU devices included).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.errors import GraderError, SandboxUnavailable
from grader.sandbox import Limits, Mount, SandboxSpec, get_sandbox
from grader.sandbox.bwrap import MASK_TMPFS_BYTES, build_bwrap_argv, gpu_device_nodes
from grader.sandbox.container_config import RunnerImage, container_settings

SPEC = SandboxSpec(
    argv=["{python}", "-m", "harness"],
    mounts=(
        Mount(Path("/srv/sub"), "/arena/submission"),
        Mount(Path("/srv/ipc"), "/arena/ipc", writable=True),
    ),
    limits=Limits(memory_mb=1000, pids=50, scratch_mb=10, shm_mb=20, cpu_seconds=30),
    env={"OMP_NUM_THREADS": "2"},
)


def _argv(spec: SandboxSpec = SPEC, gpu_nodes: tuple[str, ...] = ()) -> list[str]:
    return build_bwrap_argv(
        spec,
        bwrap="bwrap",
        python="/venv/bin/python",
        runtime=["/venv"],
        etc_dir=Path("/tmp/etc"),
        sources={"/srv/sub": "/tmp/stage1"},
        gpu_nodes=gpu_nodes,
    )


def _pairs(argv: list[str], flag: str) -> list[tuple[str, str]]:
    return [(argv[i + 1], argv[i + 2]) for i, a in enumerate(argv) if a == flag]


def test_it_asks_bwrap_for_every_isolation_flag() -> None:
    argv = _argv()
    for flag in ("--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent"):
        assert flag in argv
    for flag in ("--new-session", "--clearenv"):
        assert flag in argv
    assert argv[argv.index("--cap-drop") + 1] == "ALL"
    assert "--share-net" not in argv
    chdir = argv.index("--chdir")
    assert argv[chdir - 2 : chdir] == ["--remount-ro", "/"]  # the root last, once all is bound


def test_it_sizes_scratch_and_shm_tmpfs() -> None:
    argv = _argv()
    sizes = {argv[i + 3]: int(argv[i + 1]) for i, a in enumerate(argv) if a == "--size"}
    assert sizes.pop("/dev/shm") == 20 * 1024 * 1024
    assert sizes.pop("/scratch") == 10 * 1024 * 1024
    # Everything else is an empty directory: the data masks, site-packages, the IPC directory.
    assert "/arena/ipc" in sizes and "/usr/share" in sizes
    assert set(sizes.values()) == {MASK_TMPFS_BYTES}


def test_it_binds_mounts_read_only_unless_writable_and_uses_staged_sources() -> None:
    argv = _argv()
    assert ("/tmp/stage1", "/arena/submission") in _pairs(argv, "--ro-bind")
    assert ("/venv", "/venv") in _pairs(argv, "--ro-bind")
    assert not [t for _, t in _pairs(argv, "--bind") if t == "/arena/ipc"]


def test_a_writable_mount_is_a_capped_empty_directory_with_its_entries_bound_in(
    tmp_path: Path,
) -> None:
    (tmp_path / "arena.sock").touch()
    (tmp_path / "shm").write_bytes(b"0" * 4096)
    spec = SandboxSpec(argv=["true"], mounts=(Mount(tmp_path, "/arena/ipc", writable=True),))
    argv = _argv(spec)
    binds = _pairs(argv, "--bind")
    assert binds == [
        (str(tmp_path / "arena.sock"), "/arena/ipc/arena.sock"),
        (str(tmp_path / "shm"), "/arena/ipc/shm"),
    ]
    tmpfs = argv.index("/arena/ipc") - 1
    assert argv[tmpfs] == "--tmpfs" and argv[tmpfs - 2 : tmpfs] == ["--size", str(MASK_TMPFS_BYTES)]
    remounted = [argv[i + 1] for i, a in enumerate(argv) if a == "--remount-ro"]
    assert "/arena/ipc" in remounted  # after its binds: nothing can be created in it
    docker = container_settings(spec, HOST_IMAGE, stdin=False)["host_config"]["mounts"]
    by_target = {m["Target"]: m for m in docker}
    assert by_target["/arena/ipc"]["Type"] == "tmpfs"
    assert by_target["/arena/ipc"]["TmpfsOptions"] == {"SizeBytes": 65536, "Mode": 0o555}
    assert by_target["/arena/ipc/shm"]["ReadOnly"] is False
    assert by_target["/arena/ipc/shm"]["Source"] == str(tmp_path / "shm")


def test_it_replaces_the_python_placeholder_and_sets_the_allow_listed_env() -> None:
    argv = _argv()
    assert argv[argv.index("--") + 1 :] == ["/venv/bin/python", "-m", "harness"]
    env = dict(_pairs(argv, "--setenv"))
    assert env["OMP_NUM_THREADS"] == "2" and env["HOME"] == "/scratch"
    assert env["PATH"].startswith("/venv/bin:")


def test_it_binds_only_the_requested_gpu_devices(tmp_path: Path) -> None:
    for name in ("nvidia0", "nvidia1", "nvidia2", "nvidiactl", "nvidia-uvm"):
        (tmp_path / name).touch()
    nodes = gpu_device_nodes("0,2", dev=tmp_path)
    assert [Path(n).name for n in nodes] == ["nvidia0", "nvidia2", "nvidiactl", "nvidia-uvm"]
    assert len(gpu_device_nodes("all", dev=tmp_path)) == 5
    assert gpu_device_nodes("none", dev=tmp_path) == []
    argv = _argv(gpu_nodes=tuple(nodes))
    assert (str(tmp_path / "nvidia2"), str(tmp_path / "nvidia2")) in _pairs(argv, "--dev-bind")
    assert str(tmp_path / "nvidia1") not in argv


def test_it_refuses_missing_gpus(tmp_path: Path) -> None:
    with pytest.raises(GraderError, match="nvidia3"):
        gpu_device_nodes("3", dev=tmp_path)
    with pytest.raises(GraderError, match="no NVIDIA device"):
        gpu_device_nodes("all", dev=tmp_path)


def test_it_refuses_mount_targets_over_system_paths() -> None:
    for target in ("/usr/lib", "/etc", "relative", "/arena/../usr", "/"):
        spec = SandboxSpec(argv=["true"], mounts=(Mount(Path("/srv"), target),))
        with pytest.raises(GraderError):
            _argv(spec)


HOST_IMAGE = RunnerImage(
    name="arena-runner:offline", host_runtime=True, python="/venv/bin/python", user="999:995"
)


def test_it_asks_docker_for_every_isolation_setting() -> None:
    settings = container_settings(SPEC, HOST_IMAGE, stdin=False)
    host = settings["host_config"]
    assert settings["network_disabled"] and host["network_mode"] == "none"
    assert host["cap_drop"] == ["ALL"]
    assert host["security_opt"] == ["no-new-privileges"]
    assert host["read_only"] and not host["privileged"]
    assert host["mem_limit"] == host["memswap_limit"] == 1000 * 1024 * 1024
    assert host["pids_limit"] == 50
    assert host["shm_size"] == 20 * 1024 * 1024
    assert host["tmpfs"]["/scratch"].startswith("size=10m,mode=1777")
    assert host["log_config"]["Type"] == "none"
    assert {u["Name"]: u["Soft"] for u in host["ulimits"]}["cpu"] == 30
    assert settings["user"] == "999:995"
    assert settings["command"] == ["/venv/bin/python", "-m", "harness"]


def test_it_mounts_the_host_runtime_only_for_the_offline_image() -> None:
    offline = container_settings(SPEC, HOST_IMAGE, stdin=False)["host_config"]["mounts"]
    targets = {m["Target"]: m["ReadOnly"] for m in offline}
    assert targets["/usr"] is True and targets["/arena/submission"] is True
    types = {m["Target"]: m["Type"] for m in offline}
    assert types["/arena/ipc"] == types["/usr/share"] == "tmpfs"
    production = RunnerImage(
        "arena-runner:cuda", host_runtime=False, python="/opt/conda/bin/python", user="10001:10001"
    )
    mounts = container_settings(SPEC, production, stdin=False)["host_config"]["mounts"]
    targets = {m["Target"] for m in mounts}
    assert targets == {"/arena/submission", "/arena/ipc", "/usr/share", "/usr/local/share"}


def test_an_image_runtime_adds_an_optional_package_to_the_path_only_when_asked() -> None:
    labels = {
        "arena.runtime": "image",
        "arena.user": "10001:10001",
        "arena.python": "/opt/conda/bin/python",
        "arena.optional.torchvision": "/opt/arena/optional/torchvision",
    }
    image = RunnerImage.from_labels("arena-runner:cuda", labels)
    plain = container_settings(SPEC, image, stdin=False)["environment"]
    assert plain["PYTHONPATH"] == "/arena/harness"
    asked = SandboxSpec(argv=["true"], packages=("torchvision",))
    env = container_settings(asked, image, stdin=False)["environment"]
    assert env["PYTHONPATH"] == "/arena/harness:/opt/arena/optional/torchvision"
    bare = RunnerImage.from_labels("bare", {k: v for k, v in labels.items() if "optional" not in k})
    with pytest.raises(GraderError, match="torchvision"):
        container_settings(asked, bare, stdin=False)


def test_it_asks_docker_for_the_requested_gpus() -> None:
    def requests(gpus: str) -> list[dict]:
        spec = SandboxSpec(argv=["true"], gpus=gpus)
        return container_settings(spec, HOST_IMAGE, stdin=False)["host_config"]["device_requests"]

    assert requests("none") == []
    assert requests("all")[0]["Count"] == -1
    assert requests("0,1")[0]["DeviceIDs"] == ["0", "1"]


def test_it_refuses_images_that_are_not_runner_images() -> None:
    with pytest.raises(GraderError, match="not an arena runner image"):
        RunnerImage.from_labels("python:3", {})
    with pytest.raises(GraderError, match="runs as root"):
        RunnerImage.from_labels("evil", {"arena.runtime": "image", "arena.user": "0:0"})


def test_it_merges_limits_over_defaults() -> None:
    merged = Limits().merged({"memory_mb": 3072, "wall_seconds": 300, "pids": None})
    assert (merged.memory_mb, merged.wall_seconds, merged.pids) == (3072, 300.0, Limits().pids)
    with pytest.raises(ValueError, match="unknown sandbox limits: gpus_mb"):
        Limits().merged({"gpus_mb": 1})
    with pytest.raises(ValueError):
        Limits().merged({"memory_mb": -1})


def test_it_refuses_unknown_backends() -> None:
    with pytest.raises(SandboxUnavailable, match="unknown sandbox"):
        get_sandbox("chroot")


def test_a_runtime_under_tmp_gets_a_capped_tmp_of_its_own() -> None:
    # A checkout in /tmp (as CI clones often are): bwrap cannot link /tmp to /scratch once the
    # runtime's bind has created /tmp, so /tmp becomes a capped tmpfs made before that bind.
    argv = build_bwrap_argv(
        SPEC,
        bwrap="bwrap",
        python="/tmp/clone/.venv/bin/python",
        runtime=["/tmp/clone/.venv"],
        etc_dir=Path("/tmp/etc"),
        sources={},
        gpu_nodes=(),
    )
    tmpfs_at = [argv[i + 1] for i, a in enumerate(argv) if a == "--tmpfs"]
    assert "/tmp" in tmpfs_at and "/scratch" in tmpfs_at
    assert ("/scratch", "/tmp") not in _pairs(argv, "--symlink")
    tmp_mount = argv.index("--tmpfs") if argv[argv.index("--tmpfs") + 1] == "/tmp" else -1
    runtime_bind = argv.index("/tmp/clone/.venv")
    assert 0 <= tmp_mount < runtime_bind
    assert argv[tmp_mount - 2 : tmp_mount] == ["--size", str(10 * 1024 * 1024)]


def test_otherwise_tmp_is_a_link_to_scratch() -> None:
    assert ("/scratch", "/tmp") in _pairs(_argv(), "--symlink")
