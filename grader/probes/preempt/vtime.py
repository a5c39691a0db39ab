"""Virtual time for the threads a schedule runs: clocks read the scheduler's `now`.

Sleeping is virtual (the scheduler's `sleep`), so every clock the student's code can read must
follow the same virtual time, or `while time.time() < end: ...` would spin for real seconds.
`time`'s functions are replaced while a schedule runs, and so are the copies the standard
library bound at import: `threading._time` and `queue.time` (`from time import monotonic as
time`: a `q.get(timeout=1)` would otherwise spin one real second). `datetime.datetime.now()`
cannot be patched in place (a C type), so the module attribute is swapped for a subclass.

Each replacement asks whether the calling thread belongs to the running schedule; the grader's
own threads (the one waiting for the schedule, the sandbox's) keep reading real time. A function
a module bound while a schedule ran (`from time import time`) stays virtual-aware after it.
"""
from __future__ import annotations

import _thread
import contextlib
import datetime as _datetime
import threading
import time
from typing import Any, Iterator

from grader.probes.preempt import active

EPOCH = 1_767_225_600.0  # 2026-01-01 00:00 UTC: what time.time() says when a schedule starts
MONOTONIC_START = 1_000.0

REAL = {name: getattr(time, name) for name in
        ("time", "monotonic", "perf_counter", "time_ns", "monotonic_ns", "perf_counter_ns",
         "localtime", "gmtime", "ctime", "strftime")}
REAL_DATETIME, REAL_DATE = _datetime.datetime, _datetime.date


def _virtual() -> float | None:
    """Virtual seconds since the schedule began, or None for a thread no schedule runs."""
    sched = active.ACTIVE
    if sched is None or _thread.get_ident() not in sched.by_ident:
        return None
    return sched.now


def v_time() -> float:
    now = _virtual()
    return REAL["time"]() if now is None else EPOCH + now


def v_monotonic() -> float:
    now = _virtual()
    return REAL["monotonic"]() if now is None else MONOTONIC_START + now


def v_perf_counter() -> float:
    now = _virtual()
    return REAL["perf_counter"]() if now is None else MONOTONIC_START + now


def v_time_ns() -> int:
    now = _virtual()
    return REAL["time_ns"]() if now is None else int((EPOCH + now) * 1e9)


def v_monotonic_ns() -> int:
    now = _virtual()
    return REAL["monotonic_ns"]() if now is None else int((MONOTONIC_START + now) * 1e9)


def v_perf_counter_ns() -> int:
    now = _virtual()
    return REAL["perf_counter_ns"]() if now is None else int((MONOTONIC_START + now) * 1e9)


def v_localtime(secs: float | None = None) -> time.struct_time:
    return REAL["localtime"](v_time() if secs is None else secs)


def v_gmtime(secs: float | None = None) -> time.struct_time:
    return REAL["gmtime"](v_time() if secs is None else secs)


def v_ctime(secs: float | None = None) -> str:
    return REAL["ctime"](v_time() if secs is None else secs)


def v_strftime(fmt: str, t: Any = None) -> str:
    return REAL["strftime"](fmt, v_localtime() if t is None else t)


class VirtualDateTime(REAL_DATETIME):  # type: ignore[misc, valid-type]
    """`datetime.datetime` whose now/utcnow/today read the schedule's clock."""

    @classmethod
    def now(cls, tz: Any = None) -> Any:  # type: ignore[override]
        return cls.fromtimestamp(v_time(), tz)

    @classmethod
    def utcnow(cls) -> Any:  # type: ignore[override]
        return cls.fromtimestamp(v_time(), _datetime.timezone.utc).replace(tzinfo=None)

    @classmethod
    def today(cls) -> Any:  # type: ignore[override]
        return cls.fromtimestamp(v_time())


class VirtualDate(REAL_DATE):  # type: ignore[misc, valid-type]
    @classmethod
    def today(cls) -> Any:  # type: ignore[override]
        return cls.fromtimestamp(v_time())


VIRTUAL = {"time": v_time, "monotonic": v_monotonic, "perf_counter": v_perf_counter,
           "time_ns": v_time_ns, "monotonic_ns": v_monotonic_ns, "perf_counter_ns": v_perf_counter_ns,
           "localtime": v_localtime, "gmtime": v_gmtime, "ctime": v_ctime, "strftime": v_strftime}

_depth = 0


@contextlib.contextmanager
def installed() -> Iterator[None]:
    """Make the clocks virtual for the duration of a schedule (re-entrant)."""
    global _depth
    import queue

    _depth += 1
    if _depth == 1:
        saved: list[tuple[Any, str, Any]] = []

        def swap(owner: Any, name: str, value: Any) -> None:
            saved.append((owner, name, getattr(owner, name)))
            setattr(owner, name, value)

        for name, fn in VIRTUAL.items():
            swap(time, name, fn)
        swap(threading, "_time", v_monotonic)
        swap(queue, "time", v_monotonic)
        swap(_datetime, "datetime", VirtualDateTime)
        swap(_datetime, "date", VirtualDate)
        installed.saved = saved  # type: ignore[attr-defined]
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0:
            for owner, name, value in reversed(installed.saved):  # type: ignore[attr-defined]
                setattr(owner, name, value)
