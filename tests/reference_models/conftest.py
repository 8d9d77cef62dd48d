from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def _fixed_seed() -> None:
    torch.manual_seed(0)


@pytest.fixture
def arena_home(tmp_path, monkeypatch):
    """A private ``ARENA_HOME`` so tests never touch the real ``var/``."""
    monkeypatch.setenv("ARENA_HOME", str(tmp_path / "var"))
    return tmp_path / "var"
