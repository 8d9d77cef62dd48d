import torch
from submission import add, scale


def test_add() -> None:
    assert torch.equal(add(torch.ones(2), torch.ones(2)), torch.full((2,), 2.0))


def test_scale() -> None:
    assert torch.equal(scale(torch.ones(2), 3.0), torch.full((2,), 3.0))
