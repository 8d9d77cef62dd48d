"""Reference weights mapped by their role in the computation (``param_mapping``), not by the
order a model registers them: correct models written in other styles map and match, ambiguous
same-shaped tensors are told apart by the graph (the concatenation slot a branch feeds), and
a model that computes something else still fails."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from grader.harness.arena_harness import param_mapping
from grader.harness.arena_harness.param_mapping import MappingError, trace
from reference_models.equivalence import (
    check_equivalence,
    map_by_role,
    save_reference_state,
    sensitive_batchnorm_statistics,
)


class TwoBranches(nn.Module):
    """Two same-shaped 1x1 branches concatenated: only the cat slot says which is which."""

    def __init__(self, reverse: bool = False) -> None:
        super().__init__()
        self.reverse = reverse
        first, second = nn.Conv2d(3, 4, 1), nn.Conv2d(3, 4, 1)
        # Registered (and run) the other way round when ``reverse``: both order guesses fit the
        # shapes and swap the branches; only the concatenation tells them apart.
        self.branches = nn.ModuleList([second, first] if reverse else [first, second])
        self.head = nn.Conv2d(8, 2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs = [branch(x) for branch in self.branches]
        return self.head(torch.cat(outs[::-1] if self.reverse else outs, 1))


class SummedPairs(nn.Module):
    """Two identical two-conv branches summed: a true symmetry, which any consistent pairing
    keeps, but pairing the first conv of one with the second of the other breaks."""

    def __init__(self, interleave: bool = False) -> None:
        super().__init__()
        self.interleave = interleave
        a1, a2, b1, b2 = (nn.Conv2d(3, 5, 1), nn.Conv2d(5, 3, 3, padding=1),
                          nn.Conv2d(3, 5, 1), nn.Conv2d(5, 3, 3, padding=1))
        names = ["a1", "b2", "b1", "a2"] if interleave else ["a1", "a2", "b1", "b2"]
        for name in names:
            self.add_module(name, {"a1": a1, "a2": a2, "b1": b1, "b2": b2}[name])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.interleave:
            ha, hb = self.a1(x), self.b1(x)
            return self.b2(hb) + self.a2(ha)
        return self.a2(self.a1(x)) + self.b2(self.b1(x))


class ConvBNNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(6)
        self.fc = nn.Linear(6, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(F.relu(self.bn(self.conv(x))).mean(dim=(2, 3)))


class FunctionalConvBN(nn.Module):
    """``ConvBNNet`` as loose parameters, registered head first, with data-dependent control
    flow that ``torch.fx`` cannot trace (the dispatch trace follows what runs)."""

    def __init__(self) -> None:
        super().__init__()
        self.w_fc = nn.Parameter(torch.randn(4, 6))
        self.b_fc = nn.Parameter(torch.randn(4))
        self.gamma = nn.Parameter(torch.ones(6))
        self.beta = nn.Parameter(torch.zeros(6))
        self.register_buffer("mean", torch.zeros(6))
        self.register_buffer("var", torch.ones(6))
        self.kernel = nn.Parameter(torch.randn(6, 3, 3, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.conv2d(x, self.kernel, padding=1)
        h = F.batch_norm(h, self.mean, self.var, self.gamma, self.beta, False, 0.1, 1e-5)
        if bool(h.sum() > -1e9):  # data-dependent: always true, but only a real run knows
            h = F.relu(h)
        return F.linear(h.mean(dim=(2, 3)), self.w_fc, self.b_fc)


def _seeded(model: nn.Module, seed: int) -> nn.Module:
    torch.manual_seed(seed)
    for p in model.parameters():
        nn.init.normal_(p)
    return sensitive_batchnorm_statistics(model).eval()


def test_it_tells_same_shaped_branches_apart_by_their_concatenation_slot() -> None:
    reference, mentee = _seeded(TwoBranches(), 0), TwoBranches(reverse=True)
    x = torch.randn(2, 3, 5, 5)
    result = map_by_role(mentee, reference, x)
    assert result.method == "dataflow"  # both order guesses fit the shapes and fail the probe
    assert result.pairs["branches.0.weight"] == "branches.1.weight"
    assert check_equivalence(mentee, reference, [torch.randn(3, 3, 5, 5)], atol=0).equivalent


def test_the_dataflow_pairing_alone_is_right_without_a_probe() -> None:
    """The graph decides, not a guess that happens to pass: with no expected output to check
    against, the dataflow candidate's pairs are the right ones by structure alone."""
    reference, mentee = TwoBranches(), TwoBranches(reverse=True)
    x = torch.randn(1, 3, 4, 4)
    dataflow = dict(param_mapping.candidates(trace(reference, x), trace(mentee, x)))["dataflow"]
    pairs = dataflow()
    assert pairs["branches.0.weight"] == "branches.1.weight"
    assert pairs["branches.1.bias"] == "branches.0.bias"
    assert pairs["head.weight"] == "head.weight"


def test_a_symmetry_is_broken_consistently_along_each_branch() -> None:
    reference, mentee = _seeded(SummedPairs(), 1), SummedPairs(interleave=True)
    x = torch.randn(2, 3, 4, 4)
    result = map_by_role(mentee, reference, x)
    assert result.method == "dataflow"
    branch_of = {"a1": "a", "a2": "a", "b1": "b", "b2": "b"}
    mapped = {ref.split(".")[0]: own.split(".")[0] for ref, own in result.pairs.items()}
    assert branch_of[mapped["a1"]] == branch_of[mapped["a2"]]
    assert check_equivalence(mentee, reference, [x], atol=1e-6).equivalent


def test_a_functional_model_with_control_flow_maps_without_a_batch_counter() -> None:
    reference, mentee = _seeded(ConvBNNet(), 2), FunctionalConvBN()
    result = check_equivalence(mentee, reference, [torch.randn(2, 3, 6, 6)])
    assert result.equivalent, result.message
    assert mentee.kernel.data_ptr() != reference.conv.weight.data_ptr()
    assert torch.equal(mentee.var, reference.bn.running_var)


def test_a_model_with_another_computation_is_refused_with_the_op_it_lacks() -> None:
    class NoBatchNorm(ConvBNNet):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.fc(F.relu(self.conv(x)).mean(dim=(2, 3)))

    reference, mentee = _seeded(ConvBNNet(), 3), NoBatchNorm()
    x = torch.randn(1, 3, 4, 4)
    # The orders fit (the same tensors): loaded by them, the outputs show the difference.
    assert not check_equivalence(mentee, reference, [x]).equivalent
    with pytest.raises(MappingError, match="batch_norm.*no counterpart"):
        dict(param_mapping.candidates(trace(reference, x), trace(mentee, x)))["dataflow"]()


def test_the_stage_file_carries_graph_probe_and_tolerances(tmp_path) -> None:
    reference = _seeded(TwoBranches(), 4)
    probe = torch.randn(2, 3, 5, 5)
    path = save_reference_state(reference, tmp_path / "ref.safetensors", probe, 1e-3, 1e-4)
    loaded = param_mapping.load_reference_file(path)
    assert list(loaded.state) == list(reference.state_dict())
    assert loaded.graph is not None and (loaded.rtol, loaded.atol) == (1e-3, 1e-4)
    assert torch.equal(loaded.expected, reference(probe).detach())
    mentee = TwoBranches(reverse=True)
    assert param_mapping.load_by_role(mentee, path).method == "dataflow"
    assert torch.allclose(mentee(probe), reference(probe), atol=1e-6)


def test_batchnorm_statistics_make_eps_matter_but_keep_the_output_scale() -> None:
    torch.manual_seed(5)
    model = nn.Sequential(nn.Conv2d(3, 64, 3), nn.BatchNorm2d(64, eps=1e-3)).eval()
    plain = torch.randn(2, 3, 8, 8)
    before = model(plain).detach()
    sensitive_batchnorm_statistics(model, torch.Generator().manual_seed(0))
    after = model(plain).detach()
    model[1].eps = 1e-5
    changed = model(plain).detach()
    assert after.abs().max() < 10 * before.abs().max()  # no blow-up
    relative = ((changed - after).abs().amax(dim=(0, 2, 3)) / after.abs().amax(dim=(0, 2, 3)))
    assert (relative > 1.0).sum() >= 8  # about a quarter of 64 channels change by a factor ~3


def test_spellings_of_one_function_map_alike() -> None:
    class Concat(TwoBranches):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            outs = [branch(x) for branch in self.branches]
            return self.head(torch.concat(outs[::-1] if self.reverse else outs, dim=1))

    reference, mentee = _seeded(TwoBranches(), 6), Concat(reverse=True)
    assert map_by_role(mentee, reference, torch.randn(2, 3, 4, 4)).method == "dataflow"
    assert check_equivalence(mentee, reference, [torch.randn(2, 3, 4, 4)], atol=1e-6).equivalent
