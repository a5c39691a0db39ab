"""Instructors' own pytest files, run against the submission inside the sandbox.

The rubric expands a `pytest:` entry into one check per test function; they share one probe
run (one pytest session in the child), and each judge reads its own test's outcome.
"""
from __future__ import annotations

import contextlib
import io
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

from grader.checks import observations as shapes
from grader.probes.probing import ProbeContext
from grader.probes.registry import JudgeContext, Verdict, check, failed, passed, probe


@probe("pytest.file", data=shapes.PytestFile)
def pytest_probe(ctx: ProbeContext) -> dict[str, Any]:
    """One pytest session over the instructor's file, isolated from the student's folder.

    The file is written to a folder of its own with a random name, outside the submission's
    folder, made read-only, and removed once pytest has collected it (the student's code runs
    during the tests and must not read them from disk); pytest runs with `--noconftest`, no
    cache provider, an empty ini file of ours (`-c`) and the environment variables that would
    let the student add options or plugins removed, so nothing the student ships (conftest.py,
    pytest.ini, pyproject.toml, PYTEST_ADDOPTS) takes part.
    """
    import pytest

    private = Path(ctx.path.parent.parent, f"instructor-{secrets.token_hex(8)}")
    private.mkdir(mode=0o700)
    shown = Path(str(ctx.param("file", "tests.py"))).name
    target = private / f"grader_instructor_{shown}"
    target.write_text(ctx.param("source", ""), encoding="utf-8")
    ini = private / "pytest.ini"
    ini.write_text("[pytest]\n", encoding="utf-8")
    for path in (target, ini):
        path.chmod(0o400)
    private.chmod(0o500)
    for name in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS"):
        os.environ.pop(name, None)
    outcomes: dict[str, dict[str, str]] = {}

    class Collector:
        def pytest_collection_finish(self, session: Any) -> None:
            _remove(private)

        def pytest_runtest_logreport(self, report: Any) -> None:
            name = report.nodeid.split("::")[-1].split("[")[0]
            if report.when == "call" or report.outcome != "passed":
                previous = outcomes.get(name)
                if previous is None or previous["outcome"] == "passed":
                    text = str(report.longrepr or "").replace(str(target), shown)
                    outcomes[name] = {"outcome": report.outcome, "longrepr": text[-3000:]}

    try:
        # pytest's own report names the tests: it goes nowhere, so a hidden test's name and
        # output reach the student only through the checks the rubric lets them see.
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            pytest.main([str(target), "-q", "-c", str(ini), "--rootdir", str(private),
                         "--noconftest", "-p", "no:cacheprovider", "-o", "addopts="],
                        plugins=[Collector()])
    finally:
        _remove(private)
    return {"outcomes": outcomes}


def _remove(folder: Path) -> None:
    try:
        folder.chmod(0o700)
        shutil.rmtree(folder, ignore_errors=True)
    except OSError:
        pass


def _judge(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    name = ctx.params["_test"]
    outcome = obs["outcomes"].get(name)
    if outcome is None:
        return failed(f"{name} did not run (collection error in the instructor's test file?)")
    if outcome["outcome"] == "passed":
        return passed(f"{name} passed")
    lines = outcome["longrepr"].strip().splitlines()
    return failed(f"{name} {outcome['outcome']}: {lines[-1] if lines else ''}", outcome["longrepr"])


for _task in ("bank", "downloader"):
    check(f"{_task}.pytest", probe="pytest.file")(_judge)
