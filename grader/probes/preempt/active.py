"""The schedule running now, and the scheduling point the instrumented code calls.

A leaf module: the hooks (`access`, `quiet`, `watch`), the stand-ins for `threading`
(`primitives`), the virtual clocks (`vtime`) and the scripted input (`answers`) read `ACTIVE`
here, and the scheduler sets it while one of its schedules runs, so none of them imports the
scheduler. `hook_point` lives here, not on a class: it runs before every statement of the
student's code, and a module global is the cheapest thing it can read.
"""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for the annotation only: the scheduler imports this module
    from grader.probes.preempt.scheduler import Scheduler

ACTIVE: Scheduler | None = None  # the running schedule, if any (set by Scheduler._active)

# An object's identity as a number, for the schedule's tables (waiters, lock names, the oracle's
# locations and channels): unique among live objects as `id()` is (CPython hashes an object by
# its address, rotated), whatever the object's own `__hash__`. Not `id()`: every `id()` call
# raises an audit event, and the sandboxed child's audit hook makes that about 3 us instead of
# 0.07 (tens of thousands per program run in the recorded part).
identity = object.__hash__

# The identities of the namespaces that only ever run the grader's own code or `threading`'s
# (the grader's modules mark themselves, and the registry each probe's module): a frame whose
# globals are one of them is neither the student's file nor instrumented, which the hooks can
# tell from `f_globals` without reading `f_code` (in the child every `f_code` read is an audit
# event, a few microseconds with its hook). A frame of any other namespace is looked at in full.
PLAIN: set[int] = {identity(vars(threading))}  # taken before any student code runs


def mark_plain(namespace: dict[str, Any]) -> None:
    """`namespace` (a grader module's globals) runs none of the student's code."""
    PLAIN.add(identity(namespace))


def hook_point(line: int) -> None:
    """A scheduling point before a statement: a cheap no-op when no schedule is running."""
    sched = ACTIVE
    if sched is not None:
        sched.point(line)


# The word the grader's messages use for each of its primitives ("a Lock"), by type: the types
# themselves carry CPython's names (primitives.NATIVE_NAMES), which a program may read.
KINDS: dict[type, str] = {}


def kind(lock: Any) -> str:
    """"a Lock", "a Condition", ...: how a message names a lock nobody gave a name."""
    return "a " + KINDS.get(type(lock), type(lock).__name__)
