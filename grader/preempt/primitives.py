"""Stand-ins for `threading`'s primitives that the scheduler can see block.

Each works as the real thing when called from a thread the scheduler does not manage (so a lock
created at import time, or used by the grader itself, behaves normally), and cooperatively
from a managed thread: instead of blocking the OS thread, it tells the scheduler what it waits
for and lets another thread run. `patched()` installs them for the duration of a schedule.
"""
from __future__ import annotations

import _thread
import contextlib
import threading
import time
from typing import Any, Callable, Iterator

from grader.preempt import scheduler as sched_mod
from grader.preempt.scheduler import Abort, Task

ORIGINAL = {name: getattr(threading, name) for name in
            ("Lock", "RLock", "Condition", "Semaphore", "BoundedSemaphore", "Event", "Thread")}
REAL_SLEEP = time.sleep
_allocate_lock = _thread.allocate_lock  # the grader's own: `_thread.allocate_lock` is patched too
_RealCondition = ORIGINAL["Condition"]


def _managed() -> tuple[sched_mod.Scheduler | None, Task | None]:
    sched = sched_mod.ACTIVE
    if sched is None or sched.aborted:
        return sched, None
    return sched, sched.task()


def _line(sched: sched_mod.Scheduler) -> int | None:
    return sched.where(3)


class CoopLock:
    def __init__(self) -> None:
        self._inner = _allocate_lock()
        self._owner: int | None = None
        self._key = id(self)  # the scheduler's key for its waiters (no id() call per release)

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        sched = sched_mod.ACTIVE
        if sched is not None and sched.quiet and self._inner.acquire(False):
            self._owner = _thread.get_ident()  # past the budget: nothing recorded, no lockdep
            return True
        sched, me = _managed()
        if me is None:
            ok = self._inner.acquire(blocking, timeout)
            if ok:
                self._owner = _thread.get_ident()
            return ok
        assert sched is not None
        line = _line(sched)
        while not self._inner.acquire(False):
            if not blocking:
                return False
            if sched.block(me, self, timed=timeout >= 0, line=line,
                           timeout=timeout if timeout >= 0 else None):
                return False
        self._owner = me.ident
        sched.oracle.acquire(me.index, self)
        sched.took(me, self, line, blocking)
        return True

    def release(self) -> None:
        sched = sched_mod.ACTIVE
        if sched is not None and sched.quiet and self._inner.locked():
            self._owner = None
            self._inner.release()
            if sched.waiters:
                sched.unblock(self, 1, key=self._key)
            return
        sched, me = _managed()
        if not self._inner.locked():
            if sched is not None and sched.aborted:
                return
            raise RuntimeError("release unlocked lock")
        if sched is not None and me is not None:
            sched.oracle.release(me.index, self)  # by any thread: a lock used as a signal orders too
        self._owner = None
        self._inner.release()
        if sched is not None and me is not None:
            sched.released(me, self, _line(sched))
            sched.unblock(self, 1)

    def locked(self) -> bool:
        return self._inner.locked()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: Any) -> None:
        self.release()

    # The protocol threading.Condition uses with its lock:
    def _is_owned(self) -> bool:
        return self._inner.locked() and self._owner == _thread.get_ident()

    def _release_save(self) -> Any:
        self.release()
        return None

    def _acquire_restore(self, state: Any) -> None:
        self.acquire()

    def _at_fork_reinit(self) -> None:
        self._inner = _allocate_lock()
        self._owner = None


class CoopRLock(CoopLock):
    def __init__(self) -> None:
        super().__init__()
        self._count = 0

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if self._owner == _thread.get_ident() and self._inner.locked():
            self._count += 1
            return True
        if not super().acquire(blocking, timeout):
            return False
        self._count = 1
        return True

    def release(self) -> None:
        if self._owner != _thread.get_ident() or not self._inner.locked():
            sched = sched_mod.ACTIVE
            if sched is not None and sched.aborted:
                return
            raise RuntimeError("cannot release un-acquired lock")
        self._count -= 1
        if self._count == 0:
            super().release()

    def _release_save(self) -> Any:
        count, self._count = self._count, 1
        super().release()
        return count

    def _acquire_restore(self, state: Any) -> None:
        self.acquire()
        self._count = state


class CoopCondition:
    def __init__(self, lock: Any = None) -> None:
        self._lock = lock if lock is not None else CoopRLock()
        self.acquire, self.release = self._lock.acquire, self._lock.release
        self._real = _RealCondition(self._lock)
        self._waiters: list[list[bool]] = []

    def __enter__(self) -> bool:
        return self._lock.__enter__()

    def __exit__(self, *exc: Any) -> None:
        self._lock.__exit__(*exc)

    def _is_owned(self) -> bool:
        owned = getattr(self._lock, "_is_owned", None)
        return owned() if owned else True

    def wait(self, timeout: float | None = None) -> bool:
        sched, me = _managed()
        if me is None:
            return self._real.wait(timeout)
        assert sched is not None
        if not self._is_owned():
            raise RuntimeError("cannot wait on un-acquired lock")
        waiter = [False]
        self._waiters.append(waiter)
        sched.oracle.boundary(me.index)  # what it checked before waiting, it checks again after
        saved = self._lock._release_save() if hasattr(self._lock, "_release_save") else self._lock.release()
        try:
            while not waiter[0]:
                if sched.block(me, waiter, timed=timeout is not None, line=_line(sched),
                               timeout=timeout):
                    break
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
            if hasattr(self._lock, "_acquire_restore"):
                self._lock._acquire_restore(saved)
            else:
                self._lock.acquire()
        if waiter[0]:
            sched.oracle.acquire(me.index, self)
        return waiter[0]

    def wait_for(self, predicate: Callable[[], Any], timeout: float | None = None) -> Any:
        result = predicate()
        while not result:
            if not self.wait(timeout) and timeout is not None:
                return predicate()
            result = predicate()
        return result

    def notify(self, n: int = 1) -> None:
        sched, me = _managed()
        if me is None:
            self._real.notify(n)
            return
        assert sched is not None
        sched.oracle.release(me.index, self)
        for waiter in self._waiters[:n]:
            waiter[0] = True
            self._waiters.remove(waiter)
            sched.unblock(waiter)

    def notify_all(self) -> None:
        self.notify(len(self._waiters) or 1)
        sched, me = _managed()
        if me is None:
            self._real.notify_all()

    notifyAll = notify_all


class CoopSemaphore:
    def __init__(self, value: int = 1) -> None:
        if value < 0:
            raise ValueError("semaphore initial value must be >= 0")
        self._value = value
        self._cond = _RealCondition(_allocate_lock())

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        sched, me = _managed()
        if me is None:
            with self._cond:
                if not blocking and self._value == 0:
                    return False
                if not self._cond.wait_for(lambda: self._value > 0, timeout):
                    return False
                self._value -= 1
                return True
        assert sched is not None
        line = _line(sched)
        while self._value == 0:
            if not blocking or sched.block(me, self, timed=timeout is not None, line=line,
                                           timeout=timeout):
                return False
        self._value -= 1
        sched.oracle.acquire(me.index, self)
        sched.took(me, self, line, False)
        return True

    def release(self, n: int = 1) -> None:
        sched, me = _managed()
        if sched is not None and me is not None:
            sched.oracle.release(me.index, self)
        with self._cond:
            self._value += n
            self._cond.notify(n)
        if sched is not None:
            if me is not None and self in me.held:
                sched.released(me, self, _line(sched))
            sched.unblock(self)

    __enter__ = acquire

    def __exit__(self, *exc: Any) -> None:
        self.release()


class CoopBoundedSemaphore(CoopSemaphore):
    def __init__(self, value: int = 1) -> None:
        super().__init__(value)
        self._initial = value

    def release(self, n: int = 1) -> None:
        if self._value + n > self._initial:
            raise ValueError("Semaphore released too many times")
        super().release(n)


class CoopEvent:
    def __init__(self) -> None:
        self._flag = False
        self._real = _RealCondition(_allocate_lock())

    def is_set(self) -> bool:
        if self._flag:
            sched, me = _managed()
            if me is not None and sched is not None:
                sched.oracle.acquire(me.index, self)
        return self._flag

    isSet = is_set

    def set(self) -> None:
        sched, me = _managed()
        if me is not None and sched is not None:
            sched.oracle.release(me.index, self)
        with self._real:
            self._flag = True
            self._real.notify_all()
        sched = sched_mod.ACTIVE
        if sched is not None:
            sched.unblock(self)

    def clear(self) -> None:
        self._flag = False

    def wait(self, timeout: float | None = None) -> bool:
        sched, me = _managed()
        if me is None:
            with self._real:
                return self._real.wait_for(lambda: self._flag, timeout)
        assert sched is not None
        line = _line(sched)
        while not self._flag:
            if sched.block(me, self, timed=timeout is not None, line=line, timeout=timeout):
                break
        if self._flag:
            sched.oracle.acquire(me.index, self)
        return self._flag


class ManagedThread(ORIGINAL["Thread"]):  # type: ignore[misc, valid-type]
    """A Thread whose start() hands it to the running schedule (if the starter is managed)."""

    def start(self) -> None:
        sched, me = _managed()
        if me is None or sched is None:
            super().start()
            return
        if getattr(self, "_grader_task", None) is not None:
            raise RuntimeError("threads can only be started once")
        self._grader_task = sched.spawn(self.name, self.run, thread=self)

    def is_alive(self) -> bool:
        task = getattr(self, "_grader_task", None)
        if task is None:
            return super().is_alive()
        if task.state == sched_mod.DONE:
            sched, me = _managed()
            if me is not None and sched is not None:
                sched.oracle.join(me.index, task.index)  # polled until it ended: ordered as a join
            return False
        return True

    def join(self, timeout: float | None = None) -> None:
        task = getattr(self, "_grader_task", None)
        if task is None:
            super().join(timeout)
            return
        sched, me = _managed()
        if me is None or sched is None:
            while task.state != sched_mod.DONE and not (sched and sched.aborted):
                REAL_SLEEP(0.001)
            return
        line = _line(sched)
        while task.state != sched_mod.DONE:
            if sched.block(me, task, timed=timeout is not None, line=line, timeout=timeout):
                return
        sched.oracle.join(me.index, task.index)


class CoopSimpleQueue:
    """queue.SimpleQueue (used by ThreadPoolExecutor) made of the cooperative condition."""

    def __init__(self) -> None:
        import collections

        self._items: collections.deque[Any] = collections.deque()
        self._cond = CoopCondition(CoopLock())

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        with self._cond:
            self._items.append(item)
            self._cond.notify()

    put_nowait = put

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        import queue

        with self._cond:
            while not self._items:
                if not block or (not self._cond.wait(timeout) and timeout is not None and not self._items):
                    raise queue.Empty
            return self._items.popleft()

    def get_nowait(self) -> Any:
        return self.get(False)

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items)


def _sleep(seconds: float) -> None:
    sched, me = _managed()
    if me is None or sched is None:
        REAL_SLEEP(seconds)
        return
    sched.sleep(seconds, _line(sched))  # virtual time: costs nothing, others run meanwhile


TAMPERED: list[str] = []  # threading names the code under test replaced during a schedule

REPLACEMENTS: dict[str, Any] = {
    "Lock": CoopLock, "RLock": CoopRLock, "Condition": CoopCondition, "Semaphore": CoopSemaphore,
    "BoundedSemaphore": CoopBoundedSemaphore, "Event": CoopEvent, "Thread": ManagedThread,
}


@contextlib.contextmanager
def patched(namespaces: list[dict[str, Any]] = ()) -> Iterator[None]:  # type: ignore[assignment]
    """Swap threading's primitives (and copies bound by `from threading import Lock`) and sleep."""
    originals = list(ORIGINAL.items())
    saved_ns: list[tuple[dict[str, Any], str, Any]] = []
    for ns in namespaces:
        for key, value in list(ns.items()):
            for name, original in originals:
                if value is original:
                    saved_ns.append((ns, key, value))
                    ns[key] = REPLACEMENTS[name]
            if value is REAL_SLEEP:
                saved_ns.append((ns, key, value))
                ns[key] = _sleep
    import itertools
    import queue

    real_simple_queue = queue.SimpleQueue
    # Threads are named Thread-1, Thread-2... from each schedule's start, so a finding names the
    # same threads whatever ran in the process before (the grader's own threads included).
    # (Only "Thread-%d": a scheduled task's first current_thread() makes a Dummy-%d, or not.)
    real_newname = getattr(threading, "_newname", None)
    numbers = itertools.count(1)
    threading._newname = lambda template: template % (  # type: ignore[attr-defined]
        next(numbers) if template.startswith("Thread-") else 0)
    from concurrent.futures import ThreadPoolExecutor

    real_pools = ThreadPoolExecutor.__dict__.get("_counter")
    ThreadPoolExecutor._counter = itertools.count().__next__  # type: ignore[attr-defined]
    for name, _ in originals:
        setattr(threading, name, REPLACEMENTS[name])
    _thread.allocate_lock = CoopLock  # type: ignore[assignment]  # `_thread.allocate_lock()` in student code
    time.sleep = _sleep
    queue.SimpleQueue = CoopSimpleQueue  # type: ignore[misc, assignment]
    try:
        yield
    finally:
        for name, original in originals:
            if getattr(threading, name) is not REPLACEMENTS[name]:
                TAMPERED.append(f"threading.{name}")
            setattr(threading, name, original)
        time.sleep = REAL_SLEEP
        _thread.allocate_lock = _allocate_lock
        queue.SimpleQueue = real_simple_queue  # type: ignore[misc]
        if real_newname is not None:
            threading._newname = real_newname  # type: ignore[attr-defined]
        if real_pools is not None:
            ThreadPoolExecutor._counter = real_pools  # type: ignore[attr-defined]
        for ns, key, value in saved_ns:
            ns[key] = value


__all__ = ["Abort", "CoopLock", "CoopRLock", "CoopCondition", "CoopSemaphore", "CoopEvent",
           "ManagedThread", "patched", "REAL_SLEEP"]
