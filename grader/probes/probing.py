"""What a probe sees inside the sandboxed child: the student's module and the rubric's words.

Probes catch the student's exceptions themselves where an exception is an expected outcome
(a ValueError on a negative deposit); any other exception escapes to the child's harness,
which reports it as the check's failure with the student's own file and line.
"""
from __future__ import annotations

import os
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from grader.probes.preempt.frames import code_of
from grader.probes.protocol import PROTOCOL, Crashed, Observed, ProbeResult, checked


class MissingEntryPoint(Exception):
    """The submission lacks a name the rubric's entry points require (`name`): the child
    reports it as a typed crash (`grader.probes.protocol.MISSING`), the student's finding."""

    def __init__(self, message: str, name: str) -> None:
        super().__init__(message)
        self.name = name


@dataclass
class ProbeContext:
    module: types.ModuleType | None  # the imported submission (None for script-style runs)
    path: Path  # the submission's file inside the sandbox's work folder
    source: str
    entry_points: dict[str, str]
    params: dict[str, Any]
    seed: int
    cache: dict[str, Any] = field(default_factory=dict)  # shared by the probes of one child

    @property
    def filename(self) -> str:
        return self.path.name

    def has(self, role: str) -> bool:
        name = self.entry_points.get(role, role)
        return self.module is not None and hasattr(self.module, name)

    def entry(self, role: str) -> Any:
        name = self.entry_points.get(role, role)
        if self.module is None or not hasattr(self.module, name):
            raise MissingEntryPoint(f"{self.filename} does not define {name}", name)
        return getattr(self.module, name)

    def cached(self, key: str, make: Callable[[], Any]) -> Any:
        if key not in self.cache:
            self.cache[key] = make()
        return self.cache[key]

    @property
    def plan(self) -> dict[str, Any]:
        """The grader's plan for this probe (operations, amounts, scenario numbers, seeds)."""
        plan = self.params.get("plan")
        return plan if isinstance(plan, dict) else {}

    def param(self, name: str, default: Any) -> Any:
        return self.params.get(name, default)


def student_line(exc: BaseException, filename: str) -> str | None:
    """The innermost `file:line` of the traceback that lies in the student's file.

    Files are compared by real path, never by name: the grader's own `checks/bank.py` is not
    the student's `bank.py`. A bare name is the file in the current folder (the sandbox's work
    folder, where the submission is); a full path (the scheduler's) is taken as it is.

    The traceback is walked by hand, not by `traceback.extract_tb`: a probe describes hundreds
    of expected ValueErrors, and extract_tb reads each frame's code through an audited attribute
    and looks up its source line, neither of which this needs."""
    target = _real_path(filename)
    where = None
    tb = exc.__traceback__
    while tb is not None:
        path = code_of(tb.tb_frame).co_filename
        if path == filename or _real_path(path) == target:
            where = f"{os.path.basename(filename)}:{tb.tb_lineno}"
        tb = tb.tb_next
    return where


_REAL_PATHS: dict[str, str] = {}


def _real_path(path: str) -> str:
    """`os.path.realpath` of a code object's file, resolved once per file: the sequential checks
    describe hundreds of ValueErrors, each through a few frames of the same files (a dozen
    `lstat` calls a frame). A relative path follows the working folder, so it is not kept."""
    real = _REAL_PATHS.get(path)
    if real is None:
        real = os.path.realpath(path)
        if os.path.isabs(path) and len(_REAL_PATHS) < 4096:
            _REAL_PATHS[path] = real
    return real


def describe(exc: BaseException, filename: str) -> dict[str, Any]:
    """An exception as plain data, so it can cross to the grader's process."""
    try:
        message = str(exc)[:500]
    except Exception:  # a student exception whose __str__ itself raises
        message = "<unprintable>"
    return {"type": type(exc).__name__[:100], "message": message,
            "where": student_line(exc, filename)}


def exc_text(info: Any) -> str:
    """An exception record from the child as one line; any shape is accepted (the record is the
    student's to forge), the type name is capped like an identifier, the message like a message."""
    from grader.sandbox import untrusted

    if isinstance(info, Crashed):
        info = {"type": info.type, "message": info.message, "where": info.where}
    if not isinstance(info, dict):
        return untrusted.name(info)
    text = untrusted.name(info.get("type", "an exception"))
    if info.get("message"):
        text += f": {untrusted.text(str(info['message']), 500)}"
    return text + (f" (at {untrusted.name(info['where'])})" if info.get("where") else "")


# The one key of a value `plain` could not turn into data: {OPAQUE: "its type's name"}.
OPAQUE = "opaque_type"

# Bound when the grader loads, before any student code: a submission that replaces
# `builtins.type` or `builtins.float` cannot change how its values are turned into data.
_type, _int, _float, _str, _bool = type, int, float, str, bool


def plain(value: Any) -> Any:
    """A student's value as JSON data, without calling any method the student could override.

    Numbers keep their value (Decimal and Fraction become floats); anything else becomes a
    description of its type, so a judge compares the grader's own ints, never a student `__eq__`.
    """
    kind = _type(value)
    if value is None or kind is _bool or kind is _str:
        return value
    if kind is _int:
        return _int.__index__(value)
    if kind is _float:
        return _float.__float__(value)
    import decimal
    import fractions

    if kind is decimal.Decimal or kind is fractions.Fraction:
        number = _float(value)
        return _int(number) if number.is_integer() else number
    return {OPAQUE: _type.__dict__["__name__"].__get__(kind)[:100]}


def arrived(probe: str, wire: Any) -> ProbeResult:
    """A probe's result as it arrives from the child, checked once, here: of the envelope's
    shape, and its data of the type the probe declared (grader.probes.registry). Anything else is a
    malformed result: the grader's error, never a verdict on the student's code."""
    from grader.probes.registry import PROBES, load_all

    load_all()  # the declared types (a no-op once the checks are registered)
    try:
        result = ProbeResult.from_wire(wire)
    except ValueError:
        return ProbeResult(Crashed.stopped(PROTOCOL, "malformed observation"))
    declared = PROBES[probe].data if probe in PROBES else dict
    if isinstance(result.outcome, Observed) and (why := checked(result.outcome.data, declared)):
        return ProbeResult(Crashed.stopped(PROTOCOL, f"malformed observation: {why}"),
                           result.seconds, result.nonce, result.network)
    return result
