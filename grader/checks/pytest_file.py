"""Instructors' own pytest files, run against the submission inside the sandbox.

The rubric expands a `pytest:` entry into one check per test function; they share one probe
run (one pytest session in the child), and each judge reads its own test's outcome.
"""
from __future__ import annotations

from typing import Any

from grader.probing import ProbeContext
from grader.registry import JudgeContext, Verdict, check, failed, passed, probe


@probe("pytest.file")
def pytest_probe(ctx: ProbeContext) -> dict[str, Any]:
    import pytest

    target = ctx.path.parent / f"grader_instructor_{ctx.param('file', 'tests.py')}"
    target.write_text(ctx.param("source", ""), encoding="utf-8")
    outcomes: dict[str, dict[str, str]] = {}

    class Collector:
        def pytest_runtest_logreport(self, report: Any) -> None:
            name = report.nodeid.split("::")[-1].split("[")[0]
            if report.when == "call" or report.outcome != "passed":
                previous = outcomes.get(name)
                if previous is None or previous["outcome"] == "passed":
                    outcomes[name] = {"outcome": report.outcome,
                                      "longrepr": str(report.longrepr or "")[-3000:]}

    pytest.main([str(target), "-q", "-p", "no:cacheprovider", "-o", "addopts=",
                 "--rootdir", str(ctx.path.parent)], plugins=[Collector()])
    return {"outcomes": outcomes}


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
