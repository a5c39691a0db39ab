"""grader/ type-checks clean under the project's mypy settings ([tool.mypy] in pyproject.toml).

mypy comes with the `test` extra (install.sh installs it); without it the test is skipped."""
import importlib.util
import subprocess
import sys

import pytest

from conftest import ROOT

pytestmark = pytest.mark.sandbox  # runs mypy in a child process


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy is not installed (pip install -e '.[test]')")
def test_mypy_finds_no_error_in_grader():
    done = subprocess.run([sys.executable, "-m", "mypy", "grader"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
