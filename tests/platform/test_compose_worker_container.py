"""The production topology as far as this machine allows: a grading worker in a container of its
own (no repository, no uploads, no bundles: only the broker, the database and the web service's
URL), reaching the host's Docker engine through its socket, grades a week 1 submission in the
offline runner image. Every bind it asks the engine for names a host path: its scratch (TMPDIR)
lies on a host folder mounted at the same path, the harness baked into its image is staged there."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from stack import REPO, ApiUser, Stack, drop_postgres_database, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.docker, pytest.mark.services, pytest.mark.timeout(900)]

RUNNER_IMAGE = "arena-runner:offline"
WORKER_IMAGE = f"arena-worker:test-{os.getpid()}"
WEEK1 = REPO / "assignments" / "week1-tensors"
CODE = ("grader", "platform", "arena_datasets", "reference_models", "arena_cli")
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "staticfiles", "node_modules")


def docker(*args: str, timeout: float = 300) -> str:
    result = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, f"docker {' '.join(args[:3])} failed:\n{result.stderr}"
    return result.stdout


def build_worker_image(context: Path) -> None:
    """FROM the offline runner image (the host's runtime is bound at run time, as for sandboxes),
    with the platform's code copied in at /app: a path the host does not have."""
    for name in CODE:
        shutil.copytree(REPO / name, context / "app" / name, ignore=_IGNORED)
    sandbox_ids = docker("image", "inspect", "-f", '{{ index .Config.Labels "arena.user" }}',
                         RUNNER_IMAGE).strip()
    uid, gid = sandbox_ids.split(":")
    (context / "etc").mkdir()
    (context / "etc" / "passwd").write_text(
        f"root:x:0:0:root:/root:/usr/sbin/nologin\narena-sandbox:x:{uid}:{gid}::/scratch:"
        "/usr/sbin/nologin\nnobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\n"
    )
    (context / "etc" / "group").write_text(f"root:x:0:\narena-sandbox:x:{gid}:\nnogroup:x:65534:\n")
    (context / "Dockerfile").write_text(
        f"FROM {RUNNER_IMAGE}\nCOPY app/ /app/\nCOPY etc/ /etc/\nUSER 0:0\nWORKDIR /app\n"
    )
    env = dict(os.environ, DOCKER_BUILDKIT="0")
    result = subprocess.run(["docker", "build", "-q", "-t", WORKER_IMAGE, str(context)],
                            capture_output=True, text=True, timeout=300, env=env, check=False)
    assert result.returncode == 0, result.stderr


def run_worker_container(name: str, stack: Stack, shared: Path, token: str) -> None:
    venv, base = os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix)
    host_paths = [str(shared), "/usr", venv, base, "/etc/ld.so.cache"]
    env = {
        "DJANGO_SETTINGS_MODULE": "arena_site.settings",
        "PYTHONPATH": "/app:/app/platform",
        "LANG": "C.UTF-8",
        "HOME": "/var/lib/arena-worker",
        "ARENA_HOME": "/var/lib/arena-worker",  # inside the container only
        "ARENA_ASSIGNMENTS": "/var/lib/arena-worker/no-bundles",
        "TMPDIR": str(shared / "tmp"),
        "ARENA_DOCKER_HOST_PATHS": ":".join(host_paths),
        "ARENA_SANDBOX": "docker",
        "ARENA_RUNNER_IMAGE": RUNNER_IMAGE,
        "ARENA_INTERNAL_URL": stack.url,
        "ARENA_WORKER_TOKEN": token,
        **{k: stack.env[k] for k in ("SECRET_KEY", "DATABASE_URL", "ARENA_BROKER_URL",
                                      "ARENA_GRADING_LEASE", "ARENA_RETRY_BACKOFF",
                                      "ARENA_GRADING_TIMEOUT")},
    }
    volumes = ["/var/run/docker.sock:/var/run/docker.sock", f"{shared}:{shared}",
               "/usr:/usr:ro", f"{venv}:{venv}:ro", f"{base}:{base}:ro",
               "/etc/ld.so.cache:/etc/ld.so.cache:ro"]
    docker(
        "run", "-d", "--name", name, "--network", "host",
        *[arg for v in volumes for arg in ("-v", v)],
        *[arg for k, v in env.items() for arg in ("-e", f"{k}={v}")],
        WORKER_IMAGE,
        f"{venv}/bin/python", "-m", "celery", "-A", "arena_site", "worker",
        "-Q", "cpu,cpu-long,gpu", "--concurrency", "1", "--loglevel", "INFO",
    )


def test_a_containerised_worker_grades_week1_through_the_host_engine(tmp_path: Path) -> None:
    ensure = subprocess.run([str(REPO / "scripts" / "ensure_docker.sh")], cwd=REPO,
                            capture_output=True, text=True, timeout=300, check=False)
    assert ensure.returncode == 0, f"no Docker engine or runner image:\n{ensure.stderr}"
    build_worker_image(tmp_path / "worker-image")
    token = secrets.token_urlsafe(40)
    shared = tmp_path / "shared"  # the host folder the worker sees at the same path
    (shared / "tmp").mkdir(parents=True)
    bundles = tmp_path / "bundles"
    shutil.copytree(WEEK1, bundles / WEEK1.name, ignore=_IGNORED)
    stack = Stack(home=tmp_path / "web", services=True, sandbox="docker", lease_s=30)
    stack.home.mkdir()
    name = f"arena-worker-test-{os.getpid()}"
    try:
        stack.prepare()
        stack.env.update(ARENA_WORKER_TOKEN=token, ARENA_ASSIGNMENTS=str(bundles))
        stack.manage("seed_course")
        stack.start_web()
        stack.start_dispatcher()
        run_worker_container(name, stack, shared, token)
        wait_until(lambda: "ready" in docker("logs", name) + _stderr_logs(name), 120,
                   "the worker container to be ready")

        mentee = ApiUser(stack, "mentee1", "mentee-demo")
        submission = mentee.submit(WEEK1.name, WEEK1 / "solution" / "submission.py")
        final = mentee.wait_final(submission, seconds=600)
        assert (final["status"], final["score"]) == ("scored", 100.0), final
        staged = list((shared / "tmp" / "arena-engine-stage").iterdir())
        assert len(staged) == 1 and (staged[0] / "arena_harness").is_dir()  # the image's harness
        leftovers = docker("ps", "-aq", "--filter", "label=arena.sandbox=1").split()
        assert leftovers == [], "sandbox containers left behind"
    except BaseException:
        print(stack.logs())
        print(subprocess.run(["docker", "logs", name], capture_output=True, text=True,
                             check=False).stderr[-8000:])
        raise
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
        subprocess.run(["docker", "rmi", "-f", WORKER_IMAGE], capture_output=True, check=False)
        stack.stop()
        drop_postgres_database()


def _stderr_logs(name: str) -> str:
    return subprocess.run(["docker", "logs", name], capture_output=True, text=True,
                          check=False).stderr
