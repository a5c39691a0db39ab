"""What a grading produced: the records every output reads, and their one JSON form.

Kept apart from `grading` (which runs the sandbox) so that a report, a gradebook or the CI
summary can read a grading without importing the machinery that made it. The batch cache,
`grades.json` and `grader check --format json` all write and read these records through
`report_to_dict` / `report_from_dict` here, so a field added to a record reaches every one of
them and a stored record that does not fit is refused in one place.
"""
from __future__ import annotations

import enum
import math
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

from grader import __version__


class Status(str, enum.Enum):
    """A check's outcome. A `str` enum, so JSON carries the same words it always has ("passed",
    "failed", "skipped") and a consumer comparing with those words keeps working.

    - PASSED: the points are earned.
    - FAILED: the student's code lost the points (its behaviour, or it cannot run).
    - SKIPPED: not run because a check it depends on did not pass; its points are lost.
    - NOTE: a check with no points at stake that did not pass (e.g. the `api` check of a
      program graded by what it does): information, never shown as a failure.
    - ERROR: the grader's own fault (a judge raised, the grader's side of a probe crashed, a
      malformed observation): never charged to the student. See `grading.settle`: the check's
      points leave the report's maximum and the report is flagged for review, so a student
      cannot earn a clean score by making the grader fail.
    """

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    NOTE = "note"
    ERROR = "error"

    def __str__(self) -> str:  # the word itself, on every Python (3.11 changed mixed-in enums)
        return self.value

    __format__ = str.__format__  # type: ignore[assignment]  # the word in f-strings, as str()


class Cause:
    """Cause codes (`CheckResult.cause`) the grading itself gives. A judge may give its own
    ("<area>.<what>", e.g. "race.lost_update"); a failed verdict without one carries the check's
    registered name (e.g. "bank.no_lost_update"). Stable: course scripts count them."""

    PASSED = "ok"
    DEPENDENCY = "dependency"  # skipped: a check it depends on did not pass
    SUBMISSION = "submission"  # nothing could run: missing file, syntax error, ...
    IMPORT = "import_error"  # importing (or starting) the file failed
    NO_OBSERVATION = "no_observation"
    TAMPERED = "tampered"
    FORGED = "forged"
    EXCEPTION = "exception"  # the student's code raised during the check
    TIMEOUT = "timeout"  # the check ran past its time
    BUDGET = "budget"  # not run: the submission used up its time budget
    EXIT = "exit"  # the program exited (or was killed) during the check
    CRASH = "crash"  # the child ended the check some other way
    MISSING_NAME = "api.missing"
    NAMES = "api.names"  # a program graded by what it does: the contract's names are not there
    GRADER_SANDBOX = "grader.sandbox"  # the sandbox did not start
    GRADER_PROBE = "grader.probe"  # the grader's side of the probe raised in the child
    GRADER_PROTOCOL = "grader.probes.protocol"  # an observation that is not one
    GRADER_JUDGE = "grader.judge"  # the judge raised
    GRADER_DEPENDENCY = "grader.dependency"  # depends on a check the grader could not grade
    GRADER_BUSY = "grader.busy"  # the machine was too busy to finish the check (see grader/sandbox/owntime.py)


@dataclass
class CheckResult:
    id: str
    status: Status
    score: float
    max_score: float
    message: str
    description: str
    visibility: str
    bonus: bool = False
    details: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    cause: str = ""  # a short stable code for the verdict (see the CAUSE_* names above)


@dataclass
class GradeReport:
    task: str
    file: str
    style: str
    score: float
    max_score: float
    seed: int
    checks: list[CheckResult]
    error: str | None = None  # why nothing could be graded (missing file, syntax error, ...)
    isolation: str = ""
    seconds: float = 0.0
    stdout: str = ""
    stderr: str = ""
    notes: list[str] = field(default_factory=list)
    # Reasons that withhold the automated score (e.g. code that reaches into the grader): the
    # score stands only once a person has looked. Every output shows them; `check` exits 1.
    needs_review: list[str] = field(default_factory=list)
    grader_version: str = __version__


# ---- the JSON codec -------------------------------------------------------------------------

CHECK_SUMMARY = ("id", "status", "score", "max_score", "visibility", "bonus", "message", "cause")


class CodecError(ValueError):
    """A stored record that does not fit the current records (damaged, or from another version)."""


def check_to_dict(check: CheckResult, keys: tuple[str, ...] | None = None) -> dict[str, Any]:
    """A check as plain JSON data (its status as its word); `keys` keeps only those fields."""
    data = {f.name: getattr(check, f.name) for f in fields(CheckResult)
            if keys is None or f.name in keys}
    if "status" in data:
        data["status"] = check.status.value
    if "data" in data:
        data["data"] = _plain(check.data)
    return data


def report_to_dict(report: GradeReport) -> dict[str, Any]:
    """The whole report as plain JSON data."""
    data = {f.name: getattr(report, f.name) for f in fields(GradeReport)}
    data["checks"] = [check_to_dict(c) for c in report.checks]
    data["notes"], data["needs_review"] = list(report.notes), list(report.needs_review)
    return data


def _plain(value: Any) -> Any:
    """A copy of judge data made of JSON types only (tuples become lists, keys strings)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    return value


_TEXT, _NUMBER, _FLAG, _INT = (str,), (int, float), (bool,), (int,)
_CHECK_TYPES: dict[str, tuple[type, ...]] = {
    "id": _TEXT, "score": _NUMBER, "max_score": _NUMBER, "message": _TEXT, "description": _TEXT,
    "visibility": _TEXT, "bonus": _FLAG, "details": _TEXT, "data": (dict,), "cause": _TEXT}
_REPORT_TYPES: dict[str, tuple[type, ...]] = {
    "task": _TEXT, "file": _TEXT, "style": _TEXT, "score": _NUMBER, "max_score": _NUMBER,
    "seed": _INT, "error": (str, type(None)), "isolation": _TEXT, "seconds": _NUMBER,
    "stdout": _TEXT, "stderr": _TEXT, "grader_version": _TEXT}


def _field(data: dict[str, Any], name: str, types: tuple[type, ...], where: str) -> Any:
    value = data[name]
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        raise CodecError(f"{where}.{name}: {type(value).__name__} is not {types[0].__name__}")
    if isinstance(value, float) and not math.isfinite(value):
        raise CodecError(f"{where}.{name}: {value} is not a finite number")
    return value


def _required(cls: Any) -> set[str]:
    return {f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING}


def check_from_dict(data: Any, where: str = "check") -> CheckResult:
    if not isinstance(data, dict):
        raise CodecError(f"{where}: not an object")
    missing = _required(CheckResult) - data.keys()
    if missing:
        raise CodecError(f"{where}: missing {', '.join(sorted(missing))}")
    values = {name: _field(data, name, types, where) for name, types in _CHECK_TYPES.items()
              if name in data}
    try:
        values["status"] = Status(data["status"])
    except ValueError:
        raise CodecError(f"{where}.status: {data['status']!r} is not a status") from None
    return CheckResult(**values)


def report_from_dict(data: Any) -> GradeReport:
    """The report `report_to_dict` wrote; CodecError for anything else (unknown keys are
    ignored, so a newer writer's additions do not break an older reader)."""
    if not isinstance(data, dict):
        raise CodecError("report: not an object")
    missing = _required(GradeReport) - data.keys()
    if missing:
        raise CodecError(f"report: missing {', '.join(sorted(missing))}")
    values = {name: _field(data, name, types, "report") for name, types in _REPORT_TYPES.items()
              if name in data}
    for name in ("notes", "needs_review"):
        items = data.get(name, [])
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise CodecError(f"report.{name}: not a list of strings")
        values[name] = list(items)
    if not isinstance(data["checks"], list):
        raise CodecError("report.checks: not a list")
    values["checks"] = [check_from_dict(c, f"report.checks[{i}]") for i, c in enumerate(data["checks"])]
    return GradeReport(**values)
