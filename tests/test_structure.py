"""The grader's layout holds: no import cycle in grader/, every kind folder is registered and
declares its metrics consistently, and loading a bundle loads no grading code."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from grader.kinds import KINDS, declared_metrics
from grader.metric_info import FORMATS, VISIBILITIES, is_timing, visibility

REPO_ROOT = Path(__file__).resolve().parent.parent
GRADER = REPO_ROOT / "grader"


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _under_type_checking(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def grader_imports() -> dict[str, set[str]]:
    """Every grader module and the grader modules it imports (at any depth of its code, but
    not under ``TYPE_CHECKING``). ``from pkg import name`` counts as importing ``pkg.name`` when
    that is a module, else ``pkg``. The harness (run inside the sandbox) is its own world."""
    modules = {
        module_name(p): p
        for p in GRADER.rglob("*.py")
        if "harness" not in p.relative_to(GRADER).parts and "runner_image" not in p.parts
    }
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        found: set[str] = set()
        for node in ast.walk(tree):
            if _under_type_checking(node, parents):
                continue
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    found.add(full if full in modules else node.module)
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return []


def test_the_import_graph_of_the_grader_has_no_cycle():
    graph = grader_imports()
    assert "grader.kinds.model.grade" in graph and "grader.bundle" in graph
    assert find_cycle(graph) == []


def test_a_cycle_would_be_found():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert find_cycle(graph) == ["a", "b", "c", "a"]


def test_every_kind_folder_is_registered_and_names_its_grading():
    folders = {p.parent.name for p in (GRADER / "kinds").glob("*/__init__.py")}
    assert folders == set(KINDS)
    for name, kind in KINDS.items():
        assert kind.name == name
        module, _, function = kind.grade_path.partition(":")
        assert module == f"grader.kinds.{name}.grade"
        tree = ast.parse((GRADER / "kinds" / name / "grade.py").read_text())
        assert function in {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}


def test_each_declared_metric_has_one_meaning_and_timing_is_never_public():
    declared = declared_metrics()
    assert {"accuracy", "throughput_ips", "train_s"} <= set(declared)
    for name, metric in declared.items():
        assert metric.visibility in VISIBILITIES and metric.format in FORMATS, name
        # What the report declares is what the kind declared.
        assert visibility(name) == metric.visibility, name
        if is_timing(name):
            assert metric.visibility != "public", name


def test_loading_a_bundle_loads_no_grading_code():
    # The web process loads bundles (seed_course) and must not pull in the grading side: the
    # kinds' grade modules, the stages, the sandbox backends, torch.
    code = (
        "import sys\n"
        "from grader.bundle import list_bundles\n"
        "from grader.catalogue import part_records\n"
        "for bundle in list_bundles():\n"
        "    part_records(bundle)\n"
        "grading = ('grader.stages', 'grader.sandbox.bwrap', 'grader.sandbox.docker', 'grader.grading',"
        " 'torch', 'docker')\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(grading) or m.endswith('.grade'))\n"
        "print(loaded)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]", result.stdout
