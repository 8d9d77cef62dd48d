"""The trusted side's reference cache (``grader.reference_cache``): built once per key, written
atomically, verified on every read (a truncated, edited or extra file is rebuilt, never used),
one builder at a time; and the architecture kind reading its references from it."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from grader import reference_cache
from grader.bundle import load_bundle
from grader.kinds.architecture import grade as architecture
from grader.stages.context import PartContext

BUNDLES = Path(__file__).resolve().parent / "bundles"


class Builder:
    """Writes two files and counts its calls."""

    def __init__(self, payload: bytes = b"state" * 1000) -> None:
        self.calls = 0
        self.payload = payload

    def __call__(self, out: Path) -> None:
        self.calls += 1
        (out / "state.bin").write_bytes(self.payload)
        (out / "expected.json").write_text(json.dumps([1, 2, 3]))


def test_an_entry_is_built_once_then_read(tmp_path: Path) -> None:
    build = Builder()
    first = reference_cache.cached("slug", "check", "k1", build, root=tmp_path)
    second = reference_cache.cached("slug", "check", "k1", build, root=tmp_path)
    assert first == second and build.calls == 1
    assert (first / "state.bin").read_bytes() == build.payload
    assert reference_cache.verify(first) is None
    other = reference_cache.cached("slug", "check", "k2", build, root=tmp_path)
    assert other != first and build.calls == 2


@pytest.mark.parametrize("damage", ["truncate", "flip", "extra", "manifest", "missing"])
def test_a_damaged_entry_is_rebuilt_not_used(tmp_path: Path, damage: str) -> None:
    build = Builder()
    folder = reference_cache.cached("slug", "check", "k", build, root=tmp_path)
    state = folder / "state.bin"
    if damage == "truncate":  # what a full disk leaves
        state.write_bytes(build.payload[:100])
    elif damage == "flip":  # same size, other bytes
        data = bytearray(state.read_bytes())
        data[10] ^= 0xFF
        state.write_bytes(bytes(data))
    elif damage == "extra":
        (folder / "planted.bin").write_bytes(b"x")
    elif damage == "manifest":
        (folder / reference_cache.MANIFEST).write_text("{not json")
    else:
        state.unlink()
    assert reference_cache.verify(folder) is not None
    again = reference_cache.cached("slug", "check", "k", build, root=tmp_path)
    assert build.calls == 2
    assert (again / "state.bin").read_bytes() == build.payload
    assert not (again / "planted.bin").exists()
    assert reference_cache.verify(again) is None


def test_a_failed_build_leaves_nothing_behind(tmp_path: Path) -> None:
    def broken(out: Path) -> None:
        (out / "half.bin").write_bytes(b"half")
        raise RuntimeError("the reference could not be built")

    with pytest.raises(RuntimeError):
        reference_cache.cached("slug", "check", "k", broken, root=tmp_path)
    leftovers = [p.name for p in (tmp_path / "slug").iterdir() if not p.name.endswith(".lock")]
    assert leftovers == []
    build = Builder()
    folder = reference_cache.cached("slug", "check", "k", build, root=tmp_path)
    assert build.calls == 1 and reference_cache.verify(folder) is None


def test_concurrent_gradings_build_an_entry_once(tmp_path: Path) -> None:
    calls: list[float] = []

    def slow(out: Path) -> None:
        calls.append(time.monotonic())
        time.sleep(0.5)
        (out / "state.bin").write_bytes(b"s")

    folders: list[Path] = []
    threads = [
        threading.Thread(
            target=lambda: folders.append(
                reference_cache.cached("slug", "check", "k", slow, root=tmp_path)
            )
        )
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and len(set(folders)) == 1 and len(folders) == 4


def test_the_key_follows_what_the_entry_is_computed_from() -> None:
    what = {"reference": "vgg16", "seed": 1, "tolerances": [1e-3, 1e-4]}
    key = reference_cache.entry_key(what)
    assert key == reference_cache.entry_key(dict(what))
    assert key != reference_cache.entry_key({**what, "seed": 2})
    a = np.zeros((2, 3), np.float32)
    assert reference_cache.array_digest(a) != reference_cache.array_digest(a.reshape(3, 2))
    assert reference_cache.array_digest(a) != reference_cache.array_digest(a + 1)


def test_a_linked_state_is_the_cache_file_or_a_copy(tmp_path: Path) -> None:
    source = tmp_path / "a" / "state.bin"
    source.parent.mkdir()
    source.write_bytes(b"weights")
    target = tmp_path / "stage" / "check.safetensors"
    reference_cache.link_file(source, target)
    assert target.read_bytes() == b"weights"


def fx_arch_context(tmp_path: Path) -> PartContext:
    bundle = load_bundle(BUNDLES / "fx-arch")
    return PartContext(
        bundle=bundle, part=bundle.parts[0], submission=tmp_path, hidden=tmp_path / "hidden",
        sandbox=None, limits=None, work=tmp_path,  # type: ignore[arg-type]
    )


def test_architecture_references_come_from_the_cache_and_match_a_fresh_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """fx-arch's references: the first grading builds them, the second reads the same files
    (the very inodes: linked, not rebuilt), and both equal what a fresh build computes."""
    monkeypatch.setenv("ARENA_HOME", str(tmp_path / "home"))
    ctx = fx_arch_context(tmp_path)
    images = architecture.hidden_images(ctx)
    expected, shapes = architecture.load_references(ctx, images, tmp_path / "first")
    again, shapes_again = architecture.load_references(ctx, images, tmp_path / "second")
    for check in ctx.part.checks:
        first = tmp_path / "first" / f"{check.name}.safetensors"
        second = tmp_path / "second" / f"{check.name}.safetensors"
        assert first.stat().st_ino == second.stat().st_ino
        fresh = tmp_path / f"fresh-{check.name}.safetensors"
        model = architecture.build_reference(ctx, check, fresh)
        assert np.array_equal(expected[check.name], architecture.reference_output(model, images))
        assert np.array_equal(again[check.name], expected[check.name])
        assert shapes[check.name] == [tuple(p.shape) for p in model.parameters()]
        assert shapes_again == shapes
    # What the sandbox may read is only the state: the expected outputs stay in the cache.
    assert sorted(p.name for p in (tmp_path / "first").iterdir()) == sorted(
        f"{c.name}.safetensors" for c in ctx.part.checks
    )
