"""Is this process stuck for good? Every thread waits on something no thread can ever release.

A deposit that takes its own plain Lock again, two threads that each hold the lock the other
wants, a join on a thread that waits for its joiner: no thread can run again, so waiting out the
check's time limit (20 s) only delays the same verdict. The kernel says what each thread is
doing (`/proc/self/task/<tid>/syscall`); the process is stuck when, at one instant, every thread
but the watchdog is in an *untimed*, *process-private* futex wait (CPython's Lock, RLock,
Condition, Event, join, queue.get without a timeout), nothing outside the process can wake one
(no child process, no pending real-time alarm), and each was asleep at two readings with
no context switch in between (a thread woken and not yet run reads as runnable, one that ran
and waits again has switched), so at one instant between the readings all of them slept.

Anything else is not concluded: a thread that is running, sleeping, waiting with a timeout,
reading a socket or a pipe, waiting on a futex shared with another process (multiprocessing),
or a system without these files (not Linux x86-64/arm64) keeps the check's own time limit.
"""
from __future__ import annotations

import _thread
import os
import platform
import signal
import time
from typing import Any, Callable

_FUTEX = {"x86_64": 202, "aarch64": 98}.get(platform.machine())
_PRIVATE = 128  # FUTEX_PRIVATE_FLAG
_WAITS = (0, 9)  # FUTEX_WAIT, FUTEX_WAIT_BITSET (the low bits of the operation)
_TASKS = "/proc/self/task"
_sleep, _monotonic = time.sleep, time.monotonic  # bound before any probe patches time


def _read(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            return handle.read(4096).decode("ascii", "replace")
    except OSError:
        return None


def _waits_forever(tid: str) -> bool:
    """The thread is in an untimed, process-private futex wait (no timeout argument)."""
    fields = (_read(f"{_TASKS}/{tid}/syscall") or "").split()
    if len(fields) < 5 or not fields[0].isdigit() or int(fields[0]) != _FUTEX:
        return False
    try:
        operation, timeout = int(fields[2], 16), int(fields[4], 16)
    except ValueError:
        return False
    return bool(operation & _PRIVATE) and (operation & 127) in _WAITS and timeout == 0


def _switches(tid: str) -> int | None:
    """The thread's context switches so far, or None unless it is asleep ("S"): a thread woken
    but not yet run is runnable ("R") while its system call still reads as the wait."""
    total, asleep = 0, False
    for line in (_read(f"{_TASKS}/{tid}/status") or "").splitlines():
        if line.startswith("State:"):
            asleep = line.split()[1:2] == ["S"]
        elif line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
            total += int(line.split()[1])
    return total if asleep else None


def waits_for_good(native_id: int) -> bool:
    """The thread (this process's, by native id) is asleep in an untimed wait: a join, a
    lock, an untimed queue or event wait. False for a sleep, a timed wait, or a running one."""
    tid = str(native_id)
    return _waits_forever(tid) and _switches(tid) is not None


def _snapshot(exclude: set[str]) -> dict[str, int] | None:
    """Each other thread's context-switch count, or None when one of them may still run."""
    try:
        tids = [t for t in os.listdir(_TASKS) if t not in exclude]
    except OSError:
        return None
    seen: dict[str, int] = {}
    for tid in tids:
        if _read(f"{_TASKS}/{tid}/children") not in ("",):  # a child process could wake it
            return None
        count = _switches(tid) if _waits_forever(tid) else None
        if count is None or not _waits_forever(tid):  # read again: it was asleep in between
            return None
        seen[tid] = count
    return seen


def stuck(me: int, pause: float = 0.05) -> bool:
    """True when no thread of this process but `me` (the caller, a watchdog) can ever run again."""
    return idle({me}, pause)


def idle(exclude: set[int], pause: float = 0.02) -> bool:
    """True when no thread of this process but those in `exclude` (and the caller and the
    watchdog) can run again until one of those acts: every other thread waits, untimed, on what
    only they could release. The grader's server uses it to stop waiting for a request or a
    line that cannot come (the threads it holds are excluded: only the server lets them go)."""
    if _FUTEX is None or signal.getitimer(signal.ITIMER_REAL) != (0.0, 0.0):
        return False
    skip = {str(n) for n in exclude | WATCHDOGS | {_thread.get_native_id()}}
    first = _snapshot(skip)
    if first is None:
        return False
    _sleep(pause)
    return _snapshot(skip) == first


# s between the two readings of a look by one of the grader's waits (idle_released). Its length
# does not decide anything: a thread reads as asleep only in an untimed wait, a woken one reads as
# runnable at once, and one that ran between the readings has a new context-switch count, so two
# equal readings show an instant at which every thread slept, however close together they are.
LOOK_PAUSE = 0.0005


def idle_released(lock: Any, exclude: set[int]) -> bool:
    """`idle(exclude)`, looked at by a wait of the grader's that holds `lock` (a Lock or a
    Condition): released while the threads are read, since they may need it to reach their own
    waits, and held again on return."""
    lock.release()
    try:
        return idle(exclude, LOOK_PAUSE)
    finally:
        lock.acquire()


WATCHDOGS: set[int] = set()  # native ids of the watchdog threads (never the program's)


class Watchdog:
    """Watches the probe the child is running and calls `report(key)` once it is stuck for good.

    A bare `_thread` thread, started before the submission is imported: it is never one of the
    program's threads (threading.enumerate, the scheduler), and it only reads /proc."""

    GRACE = 0.2  # a probe is looked at only once it has run this long (most end sooner)
    EVERY = 0.1

    def __init__(self, report: Callable[[str], None]) -> None:
        self.report = report
        self.key: str | None = None
        self.since = 0.0

    def start(self) -> None:
        if _FUTEX is not None and os.path.isdir(_TASKS):
            _thread.start_new_thread(self._loop, ())

    def watch(self, key: str | None) -> None:
        self.key, self.since = key, _monotonic()

    def _loop(self) -> None:
        me = _thread.get_native_id()
        WATCHDOGS.add(me)
        while True:
            _sleep(self.EVERY)
            key = self.key
            if key is None or _monotonic() - self.since < self.GRACE:
                continue
            if stuck(me) and self.key == key:
                self.key = None
                self.report(key)
