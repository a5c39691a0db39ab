"""Checks and probes, registered by name.

A check has two halves that run in different processes: a *probe* runs in the sandboxed child
and returns raw observations (plain JSON data), and a *judge* runs in the grader's own process
and turns those observations into a verdict. Student objects never cross the boundary, so a
student cannot forge a verdict with an `__eq__` that always says yes. Several checks may share
one probe (e.g. a stress run judged for lost updates and for conservation); it runs once.

The grader judges, the child only answers. Whatever a verdict depends on that the grader can
know in advance (the operations to run, their amounts, the scenario's numbers, the schedule
seeds) is a *plan*, made here by the probe's planner from the seed (so regrading and `--seed`
replay are identical) and sent to the child with a per-run nonce. The child echoes the nonce
and reports the history it ran; the judge checks the history against its own plan and computes
the expected values itself, so an observation recorded in another run, or numbers the child
made up, match nothing.
"""
from __future__ import annotations

import contextlib
import random
import re
from dataclasses import dataclass, field
from typing import Any, Callable, ContextManager, Iterable, Iterator, TypeVar

from grader.probes.preempt.active import mark_plain
from grader.results import Status


@dataclass(frozen=True)
class Verdict:
    status: Status
    message: str = ""
    details: str = ""  # long feedback: interleavings, timelines, diffs
    data: dict[str, Any] = field(default_factory=dict)  # extra machine-readable facts (e.g. seed)
    # A short stable code for what was found ("race.lost_update", "deadlock.self"): course
    # scripts count them. Empty: the grading fills in the check's registered name.
    cause: str = ""


def passed(message: str = "", details: str = "", **data: Any) -> Verdict:
    return Verdict(Status.PASSED, message, details, data)


def failed(message: str, details: str = "", *, cause: str = "", **data: Any) -> Verdict:
    return Verdict(Status.FAILED, message, details, data, cause)


def skipped(message: str, **data: Any) -> Verdict:
    return Verdict(Status.SKIPPED, message, "", data)


@dataclass(frozen=True)
class JudgeContext:
    """What a judge knows besides the observations: the rubric's parameters for this check, and
    the plan the grader sent for its probe (None for probes without a planner)."""

    params: dict[str, Any]
    filename: str
    seed: int
    plan: dict[str, Any] | None = None
    network: tuple[str, ...] = ()  # connections the child's network guard refused during the probe


Judge = Callable[[dict[str, Any], JudgeContext], Verdict]
ProbeFn = Callable[[Any], Any]  # ProbeContext -> its declared data, or a protocol.Tampered


@dataclass(frozen=True)
class CheckDef:
    name: str
    probe: str
    judge: Judge
    style: str  # "contract", "script" or "program" (run as `__main__`, see rubric `names_check`)


Planner = Callable[[random.Random, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class ProbeDef:
    name: str
    run: ProbeFn
    data: type | tuple[type, ...] = dict  # the type(s) of its data (TypedDicts), checked on arrival


# "family.name": the probes, checks and planners of one assignment share a family
_NAME = re.compile(r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*")


def _valid(kind: str, name: str, table: dict[str, Any]) -> None:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise RuntimeError(f"{kind} name {name!r} is not of the form family.name")
    if name in table:
        raise RuntimeError(f"{kind} {name!r} registered twice")


CHECKS: dict[str, CheckDef] = {}
PROBES: dict[str, ProbeDef] = {}
PLANNERS: dict[str, Planner] = {}


def probe(name: str, data: type | tuple[type, ...] = dict) -> Callable[[ProbeFn], ProbeFn]:
    """Register probe `name`, whose observation is of type `data` (a TypedDict of its fields)."""
    def register(fn: ProbeFn) -> ProbeFn:
        _valid("probe", name, PROBES)
        PROBES[name] = ProbeDef(name, fn, data)
        mark_plain(fn.__globals__)  # a frame of a probe's module is never the student's
        return fn

    return register


def planner(name: str) -> Callable[[Planner], Planner]:
    """Register the planner of probe `name`: `fn(rng, params) -> plan`, plain JSON data; `rng`
    is seeded from the probe's name and the grading seed. A plan's `echo` entry maps fields of
    the observation to the values they must have (a probe that reports its own scenario: the
    URLs and answers it served); the grader checks them before any judge reads them."""
    def register(fn: Planner) -> Planner:
        _valid("planner", name, PLANNERS)
        PLANNERS[name] = fn
        return fn

    return register


def make_plan(probe_name: str, seed: int, params: dict[str, Any]) -> dict[str, Any] | None:
    """The plan for one probe run, the same for the same seed and parameters on every machine."""
    fn = PLANNERS.get(probe_name)
    if fn is None:
        return None
    return fn(random.Random(f"{probe_name}:{seed}"), params)


def check(name: str, *, probe: str, style: str = "contract") -> Callable[[Judge], Judge]:
    def register(fn: Judge) -> Judge:
        _valid("check", name, CHECKS)
        _valid("probe", probe, {})
        CHECKS[name] = CheckDef(name, probe, fn, style)
        return fn

    return register


ImportSetting = Callable[[], ContextManager[None]]
_Setting = TypeVar("_Setting", bound=ImportSetting)  # keeps the setting's own parameters
AT_IMPORT: dict[str, ImportSetting] = {}  # family -> what its submissions' import runs in


def at_import(family: str) -> Callable[[_Setting], _Setting]:
    """Register what a contract submission of `family` is imported in (its top level, run by
    the child before any probe): a context manager entered around the import, in the child. It
    gives what the module's own code meets there, and keeps what it saw for the family's probes
    to report; the judges decide what it means (grader.checks.downloader.at_import)."""
    def register(fn: _Setting) -> _Setting:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", family) or family in AT_IMPORT:
            raise RuntimeError(f"import setting {family!r} is not a family name or is registered twice")
        AT_IMPORT[family] = fn
        return fn

    return register


@contextlib.contextmanager
def import_settings(probe_names: Iterable[str]) -> Iterator[None]:
    """The import settings of the families these probes belong to, entered in name order."""
    families = sorted({name.split(".", 1)[0] for name in probe_names} & set(AT_IMPORT))
    with contextlib.ExitStack() as stack:
        for family in families:
            stack.enter_context(AT_IMPORT[family]())
        yield


def load_all() -> None:
    """Import every check module so that its decorators run."""
    import grader.checks  # noqa: F401  (registers on import)

    unknown = sorted(({c.probe for c in CHECKS.values()} | set(PLANNERS)) - set(PROBES))
    if unknown:
        raise RuntimeError(f"checks or planners name probes nobody registered: {', '.join(unknown)}")
