"""Shared fixtures and the `sandbox` marker.

`grading` is shaped like pytest's own `pytester`: it writes a submission into the test's own
folder (`write`), gives the bundled rubric with short limits (`rubric`) and grades the file in a
sandboxed child (`grade`), so a test reads as the submission it grades and the verdict it expects.

Every test that starts a child process (a sandboxed submission, the grader's CLI, pip) is marked
`sandbox`, so `pytest -m "not sandbox"` runs the in-process tests alone in seconds. The marker is
given here: to every test of a file whose tests all grade (SANDBOX_FILES), to every test using a
fixture that grades (SANDBOX_FIXTURES), and by hand (`@pytest.mark.sandbox`) elsewhere. A test
left unmarked that starts a process fails, naming the marker, so the split cannot drift.
"""
from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# Property tests must not flake on a busy machine: no per-example deadline, no "too slow"
# health check, and the same examples on every run (a failure found once is found again).
settings.register_profile("grader", deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("grader")

sys.path.insert(0, str(Path(__file__).resolve().parent))

from grader.grading import grade  # noqa: E402
from grader.results import GradeReport  # noqa: E402
from grader.rubric import Rubric, load_rubric, parse_rubric  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

# Files whose every test grades a submission, runs a batch or starts the grader's CLI.
SANDBOX_FILES = frozenset({
    "test_bank_corpus.py", "test_bank_program_patterns.py", "test_batch.py", "test_batch_cluster.py",
    "test_downloader_corpus.py", "test_downloader_programs.py", "test_downloader_script.py",
    "test_install.py", "test_overrides.py", "test_program_runs.py", "test_program_size.py",
    "test_race_verdicts.py",
})
# Fixtures that grade (a test using one starts a sandboxed child), or that probe which isolation
# levels the machine offers (`at_level`: bubblewrap and, as root, Python as another uid).
SANDBOX_FIXTURES = frozenset({"grading", "rubric", "at_level"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.name in SANDBOX_FILES or SANDBOX_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.sandbox)


@pytest.fixture(autouse=True)
def _processes_only_in_sandbox_tests(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unmarked test that starts a process fails at once, telling where the marker goes."""
    if request.node.get_closest_marker("sandbox"):
        return

    def refuse(*args: Any, **kwargs: Any) -> None:
        pytest.fail(f"{request.node.nodeid} starts a process: mark it @pytest.mark.sandbox "
                    "(or list its file or fixture in tests/conftest.py)", pytrace=False)

    monkeypatch.setattr(subprocess, "Popen", refuse)


@pytest.fixture(scope="session")
def rubric() -> Rubric:
    """The bundled rubric, limits as shipped."""
    return _bundled()


# Limits short enough that a submission which hangs costs a test seconds, long enough for a
# correct submission on a busy 2-core machine (the simulate checks run real threads).
FAST_LIMITS = {"import_seconds": 2, "check_seconds": 3}


class Graded(Mapping[str, Any]):
    """A graded submission: its checks by id (`graded["api"].status`) and its `report`."""

    def __init__(self, report: GradeReport) -> None:
        self.report = report
        self._checks = {c.id: c for c in report.checks}

    def __getitem__(self, cid: str) -> Any:
        return self._checks[cid]

    def __iter__(self) -> Iterator[str]:
        return iter(self._checks)

    def __len__(self) -> int:
        return len(self._checks)


class Grading:
    """Write a submission, pick a rubric, grade: the submission's folder is `path`, a
    `submission/` folder of the test's own tmp_path (so the test keeps tmp_path for the rest)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, source: str, name: str = "bank.py", *, prefix: str = "") -> Path:
        """`prefix` + dedented `source` as `name` in the submission's folder; returns its path."""
        path = self.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(prefix + textwrap.dedent(source), encoding="utf-8")
        return path

    def rubric(self, *, params: dict[str, Any] | None = None, task: str = "bank", fast: bool = True,
               **limits: float) -> Rubric:
        """The bundled rubric with the top-level `limits` given (none given: FAST_LIMITS, or the
        shipped ones if not `fast`) and, if `params`, those params added to `task`'s script
        checks (one probe run serves them all)."""
        text = (ROOT / "rubric.yaml").read_text(encoding="utf-8")
        head, sep, rest = text.partition("\ntasks:")
        for key, value in (limits or (FAST_LIMITS if fast else {})).items():
            head, n = re.subn(rf"(?m)^(  {key}:) .*$", rf"\g<1> {value}", head)
            assert n == 1, f"rubric.yaml has no top-level limit {key}"
        rubric = parse_rubric(self.path.parent / "rubric.yaml", head + sep + rest)
        return with_params(rubric, task, params) if params else rubric

    def graded(self, task: str, source: str, *, rubric: Rubric | None = None, prefix: str = "") -> Graded:
        """Write `source` as the task's file (`bank.py`, `downloader.py`) and grade it."""
        return self.grade(task, self.write(source, f"{task}.py", prefix=prefix), rubric=rubric)

    def grade(self, task: str, submission: str | Path | None = None, *, rubric: Rubric | None = None,
              seed: int | None = None) -> Graded:
        """Grade `submission` (a path, or a file name in the submission's folder; default the
        task's file) with `rubric` (default: the bundled rubric as shipped)."""
        path = Path(submission or f"{task}.py")
        if not path.is_absolute():
            path = self.path / path
        report = grade(rubric or _bundled(), task, path, seed=seed)
        return Graded(report)


_BUNDLED: list[Rubric] = []


def _bundled() -> Rubric:
    if not _BUNDLED:
        _BUNDLED.append(load_rubric(ROOT / "rubric.yaml"))
    return _BUNDLED[0]


def with_params(rubric: Rubric, task: str, params: dict[str, Any]) -> Rubric:
    spec = rubric.task(task)
    checks = tuple(dataclasses.replace(c, params={**c.params, **params})
                   if c.id.startswith("script_") else c for c in spec.checks)
    tasks = {**rubric.tasks, task: dataclasses.replace(spec, checks=checks)}
    return dataclasses.replace(rubric, tasks=tasks)


@pytest.fixture
def grading(tmp_path: Path) -> Grading:
    folder = tmp_path / "submission"
    folder.mkdir()
    return Grading(folder)
