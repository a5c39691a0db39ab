"""Checks and probes, registered by name.

A check has two halves that run in different processes: a *probe* runs in the sandboxed child
and returns raw observations (plain JSON data), and a *judge* runs in the grader's own process
and turns those observations into a verdict. Student objects never cross the boundary, so a
student cannot forge a verdict with an `__eq__` that always says yes. Several checks may share
one probe (e.g. a stress run judged for lost updates and for conservation); it runs once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"


@dataclass(frozen=True)
class Verdict:
    status: str  # passed | failed | skipped
    message: str = ""
    details: str = ""  # long feedback: interleavings, timelines, diffs
    data: dict[str, Any] = field(default_factory=dict)  # extra machine-readable facts (e.g. seed)


def passed(message: str = "", details: str = "", **data: Any) -> Verdict:
    return Verdict(PASSED, message, details, data)


def failed(message: str, details: str = "", **data: Any) -> Verdict:
    return Verdict(FAILED, message, details, data)


def skipped(message: str, **data: Any) -> Verdict:
    return Verdict(SKIPPED, message, "", data)


@dataclass(frozen=True)
class JudgeContext:
    """What a judge knows besides the observations: the rubric's parameters for this check."""

    params: dict[str, Any]
    filename: str
    seed: int


Judge = Callable[[dict[str, Any], JudgeContext], Verdict]
ProbeFn = Callable[[Any], dict[str, Any]]


@dataclass(frozen=True)
class CheckDef:
    name: str
    probe: str
    judge: Judge
    style: str  # "contract" or "script": the submission shape this check applies to


@dataclass(frozen=True)
class ProbeDef:
    name: str
    run: ProbeFn


CHECKS: dict[str, CheckDef] = {}
PROBES: dict[str, ProbeDef] = {}


def probe(name: str) -> Callable[[ProbeFn], ProbeFn]:
    def register(fn: ProbeFn) -> ProbeFn:
        if name in PROBES:
            raise RuntimeError(f"probe {name!r} registered twice")
        PROBES[name] = ProbeDef(name, fn)
        return fn

    return register


def check(name: str, *, probe: str, style: str = "contract") -> Callable[[Judge], Judge]:
    def register(fn: Judge) -> Judge:
        if name in CHECKS:
            raise RuntimeError(f"check {name!r} registered twice")
        CHECKS[name] = CheckDef(name, probe, fn, style)
        return fn

    return register


def load_all() -> None:
    """Import every check module so that its decorators run."""
    import grader.checks  # noqa: F401  (registers on import)
