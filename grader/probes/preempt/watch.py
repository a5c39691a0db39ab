"""The whole-run race watch: cheap happens-before checks on every access made while threads run
concurrently, past the sampled part of a program run.

The sampled part (the first `budget` points while two or more threads are alive) records every
access in full: the race oracle's windows, the locks held, the student's lines. That costs some
microseconds per access, too much for a program of 2 x 10^7 updates, so past it the scheduler
swaps these hooks in. Each does the access and a FastTrack check (Flanagan & Freund, PLDI 2009)
on the oracle's own vector clocks, which every lock, start and join keeps up to date in this mode
too: a location remembers its last write as an epoch (thread, clock) and the last read of each
thread, and a thread's latest read of it (the start of a read-then-write window). An access is
a *conflict* when it is unordered with another thread's access of the location (a write with
any access; a read by the main thread with a write: it may print it as its result), or when it
is a write and another thread wrote the location since this thread's latest read of it (a check
and an act in two holdings of a lock).

A conflict is not yet a verdict: the watch knows no lines, locks or regions. It hands the run
back to the full oracle for a burst of points (`Modes.escalate`), which records the next
accesses in full and names the race, if it is one, in the student's lines; the accesses of a
location the watch already escalated for twice no longer escalate (a benign pattern must not
make a long program slow). In the serial reference run threads take turns of `spin` points, so
a racy loop that outlasts the sampled part conflicts at the first turn and shows in full at the
next.

A location is an object and an attribute name (the object itself, not its `__dict__`), a
module's globals and a name, a container and a key, or a container's size; an access the hook
cannot key (an unhashable key) is not watched. A spin read (`while not done:`) that sees
another thread's write is a hand-off, as in the oracle: it orders the waiter after the writer.
"""
from __future__ import annotations

import _thread
import collections
from typing import Any

from grader.probes.preempt import quiet
from grader.probes.preempt.frames import code_of, getframe
from grader.probes.preempt.instrument import DUNDER, EXEC, GETATTR, GETITEM, GROWING_METHODS, LEN, LOOKUP, \
    METHOD, POINT, READ, RESIZE, SETATTR, SETITEM, WRITE
from grader.probes.preempt.oracle import SIZE

_getattr, _setattr, _type, _isinstance, _len = getattr, setattr, type, isinstance, len
_ohash = object.__hash__
_get_ident = _thread.get_ident
SIZED = (list, dict, set, collections.deque)
ESCALATIONS_PER_LOCATION = 2

# A location's state, a list for speed: the mark (era and index) of the thread that accessed it
# last, the container, the last writer and its clock, the writes so far, {reader: clock},
# {reader: writes when it read}, whether the last access was a write, the escalations it
# caused, the era its windows belong to, the key, and the last write's line, expression and
# locks held (for the full oracle, which a conflict hands it to), the threads that accessed it.
_LAST, _C, _WT, _WC, _SEQ, _READS, _PEND, _LASTW, _ESC, _ERA, _K, _WLINE, _WLABEL, _WLOCKS, \
    _THREADS = range(15)
_CURRENT: list["Watch | None"] = [None]  # the watch of the schedule that is watching, if any
_ERA_SHIFT = 20  # a mark is era << _ERA_SHIFT | thread index


class Watch:
    """The watch's state for one schedule; the clocks are the oracle's.

    An *era* is a stretch in which every access was seen: a location last accessed in an
    earlier era takes the full check, and the reads it remembers from then open no window."""

    def __init__(self, sched: Any) -> None:
        self.sched = sched
        self.oracle = sched.oracle
        self.clocks = sched.oracle.clocks
        self.by_ident = sched.by_ident  # the scheduler's table (the same dict)
        self.locs: dict[tuple[int, Any], list[Any]] = {}
        self.threads: dict[int, tuple[int, dict[int, int]]] = {}  # OS ident -> (index, clock)
        self.era = 0
        self.base = 0  # era << _ERA_SHIFT: a thread's mark is base + its index

    def new_era(self) -> None:
        """Some accesses went unseen (a burst of the full oracle, turns not watched)."""
        self.era += 1
        self.base = self.era << _ERA_SHIFT

    def me(self) -> tuple[int, dict[int, int]] | None:
        ident = _get_ident()
        me = self.threads.get(ident)
        if me is None:
            task = self.sched.by_ident.get(ident)
            if task is None:
                return None
            me = self.threads[ident] = (task.index, self.sched.oracle._clock(task.index))
        return me

    def touch(self, container: Any, key: Any, write: bool, check: int = 0, line: int | None = None,
              label: str = "") -> None:
        """An access, with the full check (the hooks take a short cut when this thread was the
        last to access the location in this era)."""
        me = self.me()
        if me is None:
            return
        tid, vc = me
        mark = self.base + tid
        try:
            k = (_ohash(container), key)
            st = self.locs.get(k)
        except Exception:  # an unhashable key, a hostile __hash__
            return
        if st is None or st[_C] is not container:
            st = self.locs[k] = [-1, container, -1, 0, 0, {}, {}, False, 0, self.era, key, None, "",
                                 (), set()]
        elif st[_ERA] != self.era:
            st[_PEND].clear()  # reads before unseen accesses open no window
            st[_ERA] = self.era
        st[_THREADS].add(tid)
        wt = st[_WT]
        if not write:
            racy = False
            if st[_LAST] != mark and wt >= 0 and wt != tid and st[_WC] > vc.get(wt, 0):
                if check == 2:  # a spin-wait saw the other thread's write: a hand-off
                    _join_into(vc, self.clocks.get(wt, {}))
                elif self.sched.tasks[tid].root:
                    self._conflict(st)  # the main thread may print it as its result
                else:
                    # another thread's unordered read is a race only with the write it leads
                    # to (a progress line read without the lock is not): that write takes the
                    # full check, not the short cut
                    racy = True
            st[_READS][tid] = vc[tid]
            st[_PEND][tid] = st[_SEQ]
            st[_LAST], st[_LASTW] = -1 if racy else mark, False
            return
        if wt >= 0 and wt != tid and st[_WC] > vc.get(wt, 0):
            self._conflict(st)
        else:
            tasks = self.sched.tasks
            for u, clock in st[_READS].items():
                if u != tid and clock > vc.get(u, 0) and tasks[u].root:
                    self._conflict(st)  # the main thread's read (see above)
                    break
        read_at = st[_PEND].pop(tid, None)
        if read_at is not None and st[_SEQ] > read_at:
            self._conflict(st)  # another thread wrote it between this thread's read and write
        st[_READS].clear()
        st[_LAST], st[_LASTW], st[_WT], st[_WC] = mark, True, tid, vc[tid]
        st[_WLINE], st[_WLABEL], st[_WLOCKS] = line, label, self._held(tid)
        st[_SEQ] += 1

    def acquire(self, lock: Any, ident: int) -> None:
        """A lock taken on the short path while watching: the thread holds it (for the oracle
        if a burst comes) and is ordered after its last release by another thread. (Called
        for every acquire of a long program, as the scheduler's `watch_acquire`: kept to one
        call.)"""
        me = self.sched.current
        if me is None or me.ident != ident:
            me = self.by_ident.get(ident)
            if me is None:
                return
        me.held.append(lock)
        oracle = self.oracle
        if oracle._releaser.get(lock._key, me.index) != me.index:
            oracle.acquire_keyed(me.index, lock, lock._key)

    def release(self, lock: Any) -> None:
        """A lock released on the short path while watching: its clock becomes the thread's
        (a copy when the thread took it, a join when it releases a lock another thread took),
        and the thread's own clock ticks."""
        ident = _get_ident()
        me = self.sched.current
        if me is None or me.ident != ident:
            me = self.by_ident.get(ident)
            if me is None:
                return
        held = me.held
        if held and held[-1] is lock:
            held.pop()
        elif lock in held:
            held.reverse()
            held.remove(lock)
            held.reverse()
        oracle, tid, key = self.oracle, me.index, lock._key
        vc = oracle.clocks.get(tid) or oracle._clock(tid)
        entry = oracle.sync.get(key)
        if entry is not None and entry[0] is lock and lock._owner == ident:
            entry[1].update(vc)
            oracle._releaser[key] = tid
            vc[tid] += 1
        else:
            oracle.release_keyed(tid, lock, key, lock._owner == ident)

    def shared_written(self, by: set[int]) -> set[str]:
        """Locations one of the threads `by` wrote and another thread accessed, as written."""
        return {st[_WLABEL] for st in self.locs.values()
                if _len(st[_THREADS]) >= 2 and st[_WLABEL] and st[_WT] in by}

    def _held(self, tid: int) -> tuple[Any, ...]:
        task = self.sched.current
        return tuple(task.held) if task is not None and task.index == tid and task.held else ()

    def _conflict(self, st: list[Any]) -> None:
        """Hand the run to the full oracle, with the other thread's last write of the location
        (it may never access it again: a thread that ran to its end in one turn)."""
        if st[_ESC] < ESCALATIONS_PER_LOCATION:
            st[_ESC] += 1
            me = self.me()
            other = None
            if st[_WT] >= 0 and (me is None or st[_WT] != me[0]) and st[_WLINE] is not None:
                other = (st[_C], st[_K], st[_WT], st[_WC], st[_WLINE], st[_WLABEL], st[_WLOCKS])
            self.sched.modes.escalate(other)


def _fast_read(w: Watch, container: Any, key: Any, check: int) -> None:
    me = w.threads.get(_get_ident())
    if me is not None:
        tid = me[0]
        try:
            st = w.locs.get((_ohash(container), key))
        except Exception:
            return
        if st is not None and st[_LAST] == w.base + tid and st[_C] is container:
            st[_READS][tid] = me[1][tid]  # nobody accessed it since this thread did
            st[_PEND][tid] = st[_SEQ]
            st[_LASTW] = False
            return
    w.touch(container, key, False, check)


def _fast_write(w: Watch, container: Any, key: Any, line: int, label: str) -> None:
    me = w.threads.get(_get_ident())
    if me is not None:
        tid = me[0]
        try:
            st = w.locs.get((_ohash(container), key))
        except Exception:
            return
        if st is not None and st[_LAST] == w.base + tid and st[_C] is container \
                and (st[_LASTW] or _len(st[_READS]) == 1):
            st[_READS].clear()  # nobody accessed it since this thread did, nor read it since
            st[_PEND].pop(tid, None)  # this thread's last write
            st[_LASTW], st[_WT], st[_WC] = True, tid, me[1][tid]
            st[_WLINE], st[_WLABEL] = line, label
            task = w.sched.current
            st[_WLOCKS] = tuple(task.held) if task is not None and task.held else ()
            st[_SEQ] += 1
            return
    w.touch(container, key, True, 0, line, label)


def _join_into(target: dict[int, int], source: dict[int, int]) -> None:
    for tid, clock in source.items():
        if target.get(tid, 0) < clock:
            target[tid] = clock


def _watch() -> Watch | None:
    return _CURRENT[0]


def _storage_of_name(frame: Any, label: str) -> Any:
    if label in frame.f_globals and label not in code_of(frame).co_freevars:
        return frame.f_globals
    return code_of(frame)


def read(value: Any, label: str, line: int, check: int = 0) -> Any:
    w = _CURRENT[0]
    if w is not None:
        _fast_read(w, _storage_of_name(getframe(1), label), label, check)
    return value


def write(value: Any, label: str, line: int) -> Any:
    w = _CURRENT[0]
    if w is not None and label.isidentifier():
        _fast_write(w, _storage_of_name(getframe(1), label), label, line, label)
    return value


def hooks_for(namespace: dict[str, Any]) -> dict[str, Any]:
    """The watch's hooks for one module: a global's location is its namespace, found without
    reading the caller's frame (`frames.getframe`, a call on every access);
    only a name the module does not define (a `nonlocal`) takes the frame."""

    def read_global(value: Any, label: str, line: int, check: int = 0) -> Any:
        w = _CURRENT[0]
        if w is not None:
            _fast_read(w, namespace if label in namespace else code_of(getframe(1)), label, check)
        return value

    def write_global(value: Any, label: str, line: int) -> Any:
        w = _CURRENT[0]
        if w is not None and label.isidentifier():
            _fast_write(w, namespace if label in namespace else code_of(getframe(1)), label, line,
                        label)
        return value

    return {**HOOKS, READ: read_global, WRITE: write_global}


def getattr_(obj: Any, name: Any, label: str, line: int, check: int = 0) -> Any:
    value = _getattr(obj, name)
    w = _CURRENT[0]
    if w is not None and _type(name) is str:
        _fast_read(w, obj, name, check)
    return value


def setattr_(obj: Any, name: Any, value: Any, label: str, line: int) -> None:
    w = _CURRENT[0]
    if w is not None and _type(name) is str:
        _fast_write(w, obj, name, line, label)
    _setattr(obj, name, value)


def getitem(obj: Any, key: Any, label: str, line: int, check: int = 0) -> Any:
    value = obj[key]
    w = _CURRENT[0]
    if w is not None:
        _fast_read(w, obj, key, check)
    return value


def setitem(obj: Any, key: Any, value: Any, label: str, line: int) -> None:
    w = _CURRENT[0]
    if w is not None:
        _fast_write(w, obj, key, line, label)
    obj[key] = value


def method(obj: Any, name: str, argument: Any, label: str, line: int) -> Any:
    """`x.update(arg)`: on a Counter a read and a write of every key (see access.hook_method)."""
    bound = _getattr(obj, name)
    w = _watch()
    if w is not None and _isinstance(obj, collections.Counter):
        try:
            keys = list(argument.keys()) if _isinstance(argument, dict) else list(argument)
        except Exception:
            keys = []
        for key in keys[:50]:
            w.touch(obj, key, False)
            w.touch(obj, key, True, 0, line, label)
    return bound(argument)


def dunder(method: Any, unbound: int, label: str, line: int, check: int, /, *args: Any) -> Any:
    """`object.__setattr__(x, "b", v)`, `x.__getattribute__("b")`, `d.__setitem__(k, v)`: the
    access it is (see access.hook_dunder)."""
    w = _watch()
    if w is not None:
        try:
            name = _getattr(method, "__name__", "")
            obj = args[0] if unbound else _getattr(method, "__self__", None)
            if _isinstance(obj, super):
                obj = _getattr(obj, "__self__", obj)
            key = args[1] if unbound else args[0]
            item = name in ("__getitem__", "__setitem__")
        except Exception:
            return method(*args)
        if item or _type(key) is str:
            write = name in ("__setattr__", "__setitem__")
            w.touch(obj, key, write, 0 if write else check, line, label)
    return method(*args)


def len_(obj: Any, label: str, line: int, check: int = 0) -> int:
    size = _len(obj)
    w = _watch()
    if w is not None and _isinstance(obj, SIZED):
        w.touch(obj, SIZE, False, check)
    return size


def lookup(obj: Any, label: str, line: int, check: int, /, *args: Any) -> Any:
    value = _getattr(obj, "get")(*args)
    w = _watch()
    if w is not None and _isinstance(obj, dict) and args:
        w.touch(obj, args[0], False, check)
    return value


def resize(obj: Any, name: str, label: str, line: int, /, *args: Any, **kwargs: Any) -> Any:
    """`x.pop()` and the like: a write of the size (a check of `len(x)` then a pop is a
    check-then-act). A growing call (`append`) depends on nothing read before and two threads'
    appends never conflict, so the watch leaves it to the sampled part and the bursts."""
    method = _getattr(obj, name)
    if name not in GROWING_METHODS:
        w = _watch()
        if w is not None and _isinstance(obj, SIZED):
            w.touch(obj, SIZE, True, 0, line, f"{label}.{name}(...)")
    return method(*args, **kwargs)


HOOKS: dict[str, Any] = {POINT: quiet.point, READ: read, WRITE: write, GETATTR: getattr_,
                         SETATTR: setattr_, GETITEM: getitem, SETITEM: setitem, METHOD: method,
                         LEN: len_, RESIZE: resize, LOOKUP: lookup, DUNDER: dunder}
assert EXEC not in HOOKS and set(HOOKS) == set(quiet.HOOKS)
