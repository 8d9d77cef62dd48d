"""Issue 11 class 8 (threat 40): a "by hand" check fails when its function runs an operator
the bundle forbids. Both halves: the trusted side's source scan (``grader.source_audit``) and
the sandbox's dispatch-mode record (``arena_harness.audit``), then week 3 graded through
both sandboxes. (The library one-liners and autograd backward of week 3 are ``wrong/`` cases of
the bundle, graded by ``tests/assignments/test_week3_cnn.py``.)"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from grader.bundle import BundleError, load_bundle
from grader.harness.arena_harness.audit import AuditLog
from grader.source_audit import TAMPERED, audit_checks

REPO = Path(__file__).resolve().parents[2]
WEEK3 = REPO / "assignments" / "week3-cnn"
ATTACKS = Path(__file__).resolve().parent / "attacks" / "submissions"
CONV = ("aten::convolution",)
GRAD = ("autograd",)


def scan(tmp_path: Path, source: str, functions: dict, extra: dict | None = None) -> dict:
    for name, text in {"submission.py": source, **(extra or {})}.items():
        (tmp_path / name).write_text(text)
    return audit_checks(tmp_path, "submission.py", functions)


# -- the source scan ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "import torch.nn.functional as F\ndef conv(x, w):\n    return F.conv2d(x, w)\n",
        "from torch.nn import functional\ndef conv(x, w):\n    return functional.conv2d(x, w)\n",
        "from torch.nn.functional import conv2d as c\ndef conv(x, w):\n    return c(x, w)\n",
        "from torch.nn.functional import *\ndef conv(x, w):\n    return conv2d(x, w)\n",
        "import torch\nG = torch.nn.functional\ndef conv(x, w):\n    return G.conv2d(x, w)\n",
        "import torch as t\ndef conv(x, w):\n    return t.nn.Conv2d(1, 1, 3)(x)\n",
        "import torch\ndef _h(x, w):\n    return torch.conv2d(x, w)\ndef conv(x, w):\n    return _h(x, w)\n",
    ],
    ids=["alias", "from-import", "renamed", "star", "module-alias", "module", "helper"],
)
def test_every_spelling_of_a_library_convolution_is_found(tmp_path, source) -> None:
    assert scan(tmp_path, source, {"conv": CONV}) == {"conv": ["aten::convolution"]}


def test_only_the_code_a_check_reaches_counts(tmp_path) -> None:
    """The competition model of the same file may use nn.Conv2d; the by-hand conv may not."""
    source = (
        "import torch\nfrom torch import nn\n"
        "def conv(x, w):\n    return (x.unfold(2, 3, 1) * w).sum()\n"
        "class Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
        "        self.c = nn.Conv2d(1, 1, 3)\n"
        "def grad(x):\n    return torch.functional.einsum('i->i', x)\n"
    )
    assert scan(tmp_path, source, {"conv": CONV, "grad": GRAD}) == {}


def test_a_helper_module_of_the_upload_is_scanned_whole(tmp_path) -> None:
    helper = "import torch.nn.functional as F\ndef fast(x, w):\n    return F.conv2d(x, w)\n"
    source = "import helper\ndef conv(x, w):\n    return helper.fast(x, w)\n"
    assert scan(tmp_path, source, {"conv": CONV}, {"helper.py": helper}) == {
        "conv": ["aten::convolution"]
    }


@pytest.mark.parametrize(
    "body",
    [
        "y = x.exp().sum()\n    y.backward()",
        "torch.autograd.grad(x.sum(), x)",
        "x.requires_grad_()",
    ],
)
def test_autograd_is_found_in_a_hand_written_gradient(tmp_path, body) -> None:
    source = f"import torch\ndef grad(x):\n    {body}\n    return x\n"
    assert scan(tmp_path, source, {"grad": GRAD}) == {"grad": ["autograd"]}


def test_reaching_into_the_audit_fails_every_audited_check(tmp_path) -> None:
    source = (
        "import torch\ndef conv(x, w):\n    return x\ndef other(x):\n    return x\n"
        "def _off():\n    torch._C._pop_torch_dispatch_stack()\n"
    )
    found = scan(tmp_path, source, {"conv": CONV, "other": GRAD, "free": ()})
    assert found == {"conv": [TAMPERED], "other": [TAMPERED]}


def test_an_unknown_operator_in_a_bundle_is_refused(tmp_path) -> None:
    bundle = tmp_path / "week3-cnn"
    shutil.copytree(WEEK3, bundle, ignore=shutil.ignore_patterns("wrong", "solution"))
    toml = bundle / "assignment.toml"
    toml.write_text(toml.read_text().replace('"aten::im2col"]', '"aten::made_up"]', 1))
    with pytest.raises(BundleError, match="not audited"):
        load_bundle(bundle)


# -- the sandbox's record -------------------------------------------------------------------


def test_the_record_sees_the_operator_whatever_the_spelling() -> None:
    log = AuditLog()
    x, w = torch.randn(1, 1, 5, 5), torch.randn(1, 1, 3, 3)
    log.call("conv", list(CONV), lambda: getattr(torch.nn, "Conv2d")(1, 1, 3)(x))  # noqa: B009
    log.call("pool", ["aten::max_pool2d_with_indices"], lambda: torch.max_pool2d(x, 2))
    log.call("fine", list(CONV), lambda: (x.unfold(2, 3, 1).unfold(3, 3, 1) * w[0, 0]).sum())
    assert log.flags("conv", list(CONV)).tolist() == [1]
    assert log.flags("pool", ["aten::max_pool2d_with_indices"]).tolist() == [1]
    assert log.flags("fine", list(CONV)).tolist() == [0]
    assert F.conv2d  # the by-hand windows above used no library convolution


def test_the_record_sees_autograd_started_any_way() -> None:
    log = AuditLog()

    def by_autograd() -> torch.Tensor:
        x = torch.randn(3, requires_grad=True)
        (grad,) = torch.autograd.grad(x.exp().sum(), x)
        return grad

    log.call("grad", list(GRAD), by_autograd)
    log.call("by_hand", list(GRAD), lambda: torch.randn(3).exp())
    assert log.flags("grad", ["autograd", "aten::convolution"]).tolist() == [1, 0]
    assert log.flags("by_hand", list(GRAD)).tolist() == [0]


# -- week 3 through both sandboxes (the sandbox fixture: bubblewrap, then Docker) -------------


def functions_only(tmp_path: Path) -> Path:
    """Week 3 with its by-hand part alone (points doubled to 100); same recipe and data."""
    bundle = tmp_path / "week3-cnn"
    shutil.copytree(WEEK3, bundle, ignore=shutil.ignore_patterns("wrong", "solution"))
    toml = bundle / "assignment.toml"
    head, functions, _cnn = toml.read_text().split("[[parts]]\n")
    functions = re.sub(r"points = (\d+)", lambda m: f"points = {2 * int(m.group(1))}", functions)
    toml.write_text(head + "[[parts]]\n" + functions)
    assert load_bundle(bundle).max_points == 100
    return bundle


def grade_week3(tmp_path: Path, source: Path, backend: str) -> dict[str, tuple[bool, str]]:
    from grader.grading import GradeOptions, grade

    upload = tmp_path / "upload"
    upload.mkdir()
    shutil.copy(source, upload / "submission.py")
    report = grade(functions_only(tmp_path), upload, GradeOptions(sandbox=backend))
    assert report.status == "scored", report.to_dict()
    return {c.name: (c.passed, c.message) for c in report.checks}


def test_the_solution_passes_the_audit(sandbox, tmp_path) -> None:
    checks = grade_week3(tmp_path, WEEK3 / "solution" / "submission.py", sandbox.name)
    assert all(passed for passed, _ in checks.values()), checks


def test_a_convolution_fetched_by_a_runtime_name_is_recorded(sandbox, tmp_path) -> None:
    """No scan can read ``getattr(F, "con" + "v2d")``; the dispatch record fails conv2d alone."""
    checks = grade_week3(tmp_path, ATTACKS / "audit_runtime_spelling.py", sandbox.name)
    assert [name for name, (passed, _) in checks.items() if not passed] == ["conv2d"]
    assert checks["conv2d"][1].startswith("uses aten::convolution, which this check forbids")


def test_switching_the_audit_off_fails_every_audited_check(sandbox, tmp_path) -> None:
    checks = grade_week3(tmp_path, ATTACKS / "audit_tamper.py", sandbox.name)
    assert not any(passed for passed, _ in checks.values()), checks
    assert all("reaches into the grader's audit" in message for _, message in checks.values())
