"""The package shows the flow (README, Architecture): submission -> sandbox -> probes -> judges
-> results -> presentation -> outputs, the child imports only its own side of it, and no function
runs past 60 lines (issue 19)."""
import ast
import subprocess
import sys

import pytest

from conftest import ROOT

# the flow's steps, then what runs them: the flow itself, its configuration, the command line
STEPS = {"submission", "sandbox", "probes", "checks", "results.py", "presentation.py", "reports", "batch", "ci"}
AROUND = {"grading", "rubric.py", "cli", "errors.py", "__init__.py", "__main__.py"}


def test_the_top_level_holds_the_flows_steps_and_what_runs_them():
    # modules and packages only: a build copies rubric.yaml in, and a folder left holding only
    # __pycache__ by a checkout of an older layout is neither
    entries = {p.name for p in (ROOT / "grader").iterdir()
               if p.suffix == ".py" or (p / "__init__.py").is_file()}
    assert entries == STEPS | AROUND


@pytest.mark.sandbox
def test_the_child_imports_only_its_own_side():
    code = ("import sys, grader.sandbox.child; from grader.probes.registry import load_all; load_all();"
            "print(' '.join(sorted(m for m in sys.modules if m.startswith('grader')"
            " and not m.startswith(('grader.checks.', 'grader.probes.')))))")
    out = subprocess.run([sys.executable, "-s", "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert set(out.stdout.split()) == {
        "grader", "grader.checks", "grader.probes", "grader.results",
        "grader.sandbox", "grader.sandbox.child", "grader.sandbox.channel", "grader.sandbox.audit_hook",
        "grader.sandbox.netguard", "grader.sandbox.stuck", "grader.sandbox.owntime", "grader.sandbox.untrusted",
        "grader.sandbox.sitepaths"}


def test_no_function_of_the_grader_is_longer_than_60_lines():
    long = []
    for path in sorted((ROOT / "grader").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > 60:
                    long.append(f"{path.relative_to(ROOT)}::{node.name} ({lines} lines)")
    assert long == []
