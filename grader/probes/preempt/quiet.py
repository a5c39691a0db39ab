"""Cheap stand-ins for the instrumentation hooks, swapped in once a schedule's budget is spent
(and in a program run: while one thread runs alone, in the rounds the watch rests, and once a
race is found; see grader/probes/preempt/modes.py).

Past the budget nothing is recorded and no thread is forced to switch, so a hook only has to do
the access itself; the scheduling point only counts, so that a thread spinning on a flag still
hands the turn on (the scheduler's `spun`). This is what lets a 2 x 1,000,000-iteration program
finish in a few times its plain run time: the first `budget` points are explored in full, the
rest runs at nearly plain speed.
"""
from __future__ import annotations

from typing import Any

from grader.probes.preempt import active
from grader.probes.preempt.instrument import DUNDER, EXEC, GETATTR, GETITEM, LEN, LOOKUP, METHOD, POINT, READ, \
    RESIZE, SETATTR, SETITEM, WRITE

_getattr, _setattr = getattr, setattr


def point(line: int) -> None:
    sched = active.ACTIVE
    if sched is not None:
        sched.countdown -= 1
        if sched.countdown <= 0:
            sched.spun()


def read(value: Any, label: str, line: int, check: bool = False) -> Any:
    return value


def write(value: Any, label: str, line: int) -> Any:
    return value


def getattr_(obj: Any, name: Any, label: str, line: int, check: bool = False) -> Any:
    return _getattr(obj, name)


def setattr_(obj: Any, name: Any, value: Any, label: str, line: int) -> None:
    _setattr(obj, name, value)


def getitem(obj: Any, key: Any, label: str, line: int, check: bool = False) -> Any:
    return obj[key]


def setitem(obj: Any, key: Any, value: Any, label: str, line: int) -> None:
    obj[key] = value


def method(obj: Any, name: str, label: str, line: int, /, *args: Any, **kwargs: Any) -> Any:
    return _getattr(obj, name)(*args, **kwargs)


def dunder(method: Any, unbound: int, label: str, line: int, check: int, /, *args: Any) -> Any:
    return method(*args)


def len_(obj: Any, label: str, line: int, check: int = 0) -> int:
    return len(obj)


def lookup(obj: Any, label: str, line: int, check: int, /, *args: Any) -> Any:
    return _getattr(obj, "get")(*args)


def resize(obj: Any, name: str, label: str, line: int, /, *args: Any, **kwargs: Any) -> Any:
    return _getattr(obj, name)(*args, **kwargs)


HOOKS: dict[str, Any] = {POINT: point, READ: read, WRITE: write, GETATTR: getattr_,
                         SETATTR: setattr_, GETITEM: getitem, SETITEM: setitem, METHOD: method,
                         LEN: len_, RESIZE: resize, LOOKUP: lookup,
                         DUNDER: dunder}
assert EXEC not in HOOKS  # exec of a string keeps instrumenting: it is rare and may start threads
