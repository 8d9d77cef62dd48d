"""``python -m arena_datasets build-hidden``: hidden data of named bundles into ARENA_HOME."""

import os
import subprocess
import sys

from arena_datasets.paths import REPO_ROOT


def run_command(*args: str, home) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ARENA_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "arena_datasets", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_it_builds_the_hidden_data_of_a_named_bundle(tmp_path):
    result = run_command("build-hidden", "week1-tensors", home=tmp_path)
    assert result.returncode == 0, result.stderr
    built = list((tmp_path / "hidden" / "week1-tensors").glob("*/functions/labels.npz"))
    assert len(built) == 1
    assert str(built[0].parent.parent) in result.stdout
    assert "building" in result.stderr and "first build" in result.stderr


def test_a_second_run_with_nothing_changed_builds_nothing(tmp_path):
    first = run_command("build-hidden", "week1-tensors", home=tmp_path)
    assert first.returncode == 0, first.stderr
    folder = next((tmp_path / "hidden" / "week1-tensors").glob("*/manifest.json")).parent
    stamp = (folder / "manifest.json").stat().st_mtime_ns
    second = run_command("build-hidden", "week1-tensors", home=tmp_path)
    assert second.returncode == 0, second.stderr
    assert str(folder) in second.stdout and "building" not in second.stderr
    assert (folder / "manifest.json").stat().st_mtime_ns == stamp
    assert [p.name for p in folder.parent.iterdir() if not p.name.startswith(".")] == [folder.name]


def test_it_rejects_an_unknown_bundle(tmp_path):
    result = run_command("build-hidden", "week99-nothing", home=tmp_path)
    assert result.returncode == 2 and "unknown bundle" in result.stderr
    assert not (tmp_path / "hidden").exists()
