"""What a submission cannot reach from inside either real sandbox (threat model rows 1-9, 13, 19)."""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from grader.sandbox import PYTHON_PLACEHOLDER, Mount, RunResult, Sandbox, SandboxSpec

PythonRunner = Callable[..., RunResult]

REPO = Path(__file__).resolve().parents[2]


def _json(result: RunResult) -> dict:
    assert result.exit_code == 0, result.stderr.decode(errors="replace")
    return json.loads(result.stdout)


def test_it_blocks_the_network(run_py: PythonRunner) -> None:
    report = _json(
        run_py(
            """
            import json, socket
            out = {}
            try:
                socket.create_connection(("127.0.0.1", 6379), timeout=2)
                out["redis"] = "connected"
            except OSError as exc:
                out["redis"] = type(exc).__name__
            try:
                socket.getaddrinfo("pypi.org", 443)
                out["dns"] = "resolved"
            except OSError as exc:
                out["dns"] = type(exc).__name__
            try:
                socket.create_connection(("169.254.169.254", 80), timeout=2)
                out["metadata"] = "connected"
            except OSError as exc:
                out["metadata"] = type(exc).__name__
            out["interfaces"] = [name for _, name in socket.if_nameindex()]
            print(json.dumps(out))
            """
        )
    )
    assert report["redis"] != "connected"
    assert report["dns"] != "resolved"
    assert report["metadata"] != "connected"
    assert set(report["interfaces"]) <= {"lo"}


def test_it_hides_the_host_files(run_py: PythonRunner) -> None:
    report = _json(
        run_py(
            f"""
            import json, os
            def walk_up_only(path):
                return sorted(os.listdir(path)) if os.path.isdir(path) else None
            print(json.dumps({{
                "root_home": walk_up_only("/root"),
                "var": os.path.exists({str(REPO / "var")!r}),
                "repo_code": os.path.exists({str(REPO / "grader")!r}),
                "home": walk_up_only("/home"),
                "docker_socket": os.path.exists("/var/run/docker.sock")
                    or os.path.exists("/run/docker.sock"),
                "shadow": os.path.exists("/etc/shadow"),
                "passwd": open("/etc/passwd").read(),
            }}))
            """
        )
    )
    # /root holds at most the path down to the Python runtime (pyenv), nothing else.
    runtime_tops = {
        p.split("/")[2] for p in (sys.prefix, sys.base_prefix) if p.startswith("/root/")
    }
    assert report["root_home"] in (None, sorted(runtime_tops))
    assert report["var"] is False
    assert report["repo_code"] is False
    assert report["home"] is None
    assert report["docker_socket"] is False
    assert report["shadow"] is False
    assert "root:" not in report["passwd"]


def test_it_does_not_pass_the_worker_environment(
    run_py: PythonRunner, fake_secret: tuple[str, str]
) -> None:
    name, value = fake_secret
    assert os.environ[name] == value
    env = _json(run_py("import json, os; print(json.dumps(dict(os.environ)))"))
    assert name not in env
    assert not any(value in seen for seen in env.values())
    assert env["HOME"] == "/scratch" and env["PYTHONPATH"] == "/arena/harness"


def test_it_passes_only_the_allow_listed_environment(run_py: PythonRunner) -> None:
    env = _json(
        run_py("import json, os; print(json.dumps(dict(os.environ)))", env={"OMP_NUM_THREADS": "2"})
    )
    assert env["OMP_NUM_THREADS"] == "2"


def test_it_gives_its_own_proc(run_py: PythonRunner) -> None:
    report = _json(
        run_py(
            """
            import json, os
            pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
            print(json.dumps({"pids": pids, "me": os.getpid()}))
            """
        )
    )
    # Only the sandbox's own few processes (its init and python), numbered from 1.
    assert report["me"] in report["pids"]
    assert len(report["pids"]) <= 3
    assert max(report["pids"]) < 100


def test_it_runs_without_root_or_capabilities(run_py: PythonRunner) -> None:
    report = _json(
        run_py(
            """
            import json, os
            status = dict(line.split(":\\t", 1) for line in open("/proc/self/status")
                          if ":\\t" in line)
            print(json.dumps({"uid": os.getuid(), "euid": os.geteuid(),
                              "cap_eff": status["CapEff"].strip(),
                              "cap_bnd": status["CapBnd"].strip(),
                              "nnp": status["NoNewPrivs"].strip()}))
            """
        )
    )
    assert report["uid"] != 0 and report["euid"] != 0
    assert int(report["cap_eff"], 16) == 0
    assert report["nnp"] == "1"


def _host_uids_of(marker: str) -> list[list[int]]:
    uids = []
    for proc in Path("/proc").iterdir():
        try:
            if marker.encode() not in (proc / "cmdline").read_bytes():
                continue
            status = (proc / "status").read_text()
        except OSError:
            continue
        line = next(x for x in status.splitlines() if x.startswith("Uid:"))
        uids.append([int(v) for v in line.split()[1:]])
    return uids


def test_it_is_never_host_root(sandbox: Sandbox) -> None:
    """Seen from the host, every uid of the sandboxed process is unprivileged (threat 7b)."""
    marker = f"arena-uid-probe-{uuid.uuid4().hex}"
    spec = SandboxSpec(argv=[PYTHON_PLACEHOLDER, "-c", "import time; time.sleep(20)", marker])
    with sandbox.open(spec) as process:
        deadline = time.monotonic() + 10
        while not (uids := _host_uids_of(marker)) and time.monotonic() < deadline:
            time.sleep(0.05)
        process.kill()
    assert uids, "the sandboxed process was not found from the host"
    assert all(uid != 0 for entry in uids for uid in entry)


def test_it_cannot_write_outside_scratch(run_py: PythonRunner, tmp_path: Path) -> None:
    submission = tmp_path / "submission"
    submission.mkdir()
    (submission / "submission.py").write_text("x = 1\n")
    os.chmod(tmp_path, 0o755)
    report = _json(
        run_py(
            f"""
            import json
            results = {{}}
            for path in ["/evil", "/usr/evil", "/etc/evil", "/arena/submission/evil",
                         "/arena/submission/submission.py", {sys.prefix + "/evil"!r},
                         "/scratch/ok", "/tmp/ok"]:
                try:
                    with open(path, "a") as handle:
                        handle.write("x")
                    results[path] = "written"
                except OSError as exc:
                    results[path] = type(exc).__name__
            print(json.dumps(results))
            """,
            mounts=(Mount(submission, "/arena/submission"),),
        )
    )
    written = {path for path, outcome in report.items() if outcome == "written"}
    assert written == {"/scratch/ok", "/tmp/ok"}
    assert (submission / "submission.py").read_text() == "x = 1\n"
    assert not (submission / "evil").exists()


def test_it_leaks_no_file_descriptors(run_py: PythonRunner, tmp_path: Path) -> None:
    inheritable = os.open(tmp_path, os.O_RDONLY)
    os.set_inheritable(inheritable, True)
    try:
        report = _json(
            run_py(
                """
                import json, os
                fds = sorted(int(fd) for fd in os.listdir("/proc/self/fd"))
                print(json.dumps(fds))
                """
            )
        )
    finally:
        os.close(inheritable)
    # 0, 1, 2 and the descriptor listdir itself holds open.
    assert len(report) == 4 and report[:3] == [0, 1, 2]


def test_it_starts_fresh_every_run(run_py: PythonRunner) -> None:
    first = run_py("open('/scratch/cache', 'w').write('answers'); print('ok')")
    assert first.exit_code == 0
    second = _json(run_py("import json, os; print(json.dumps(os.listdir('/scratch')))"))
    assert "cache" not in second
