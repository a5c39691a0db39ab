"""Race verdicts from one run: happens-before by vector clocks, atomicity windows, racy results.

A lost update or a check-then-act is a bug whether or not the schedule the grader happened to
run lost money. So the oracle does not look at money; it looks at order. Every managed thread
carries a vector clock (FastTrack's epochs: a write is remembered as `thread@clock`, and it
happened before an access iff that thread's entry in the accessor's clock has reached it).
Clocks flow along every channel the scheduler models: a lock (or semaphore, event, condition,
queue, barrier) released or signalled by one thread and then acquired or waited for by another,
a thread started (fork) and a thread joined, and a `while` condition that sees another thread's
write (a spin-wait on a flag: under the GIL every thread sees that write). Nothing else orders
two threads, so a race is never reported across a channel the scheduler does not see, and never
missed because one thread happened to be scheduled first.

An *atomicity window* is a thread's latest read of a location followed by its write of the
same location within one region (the outermost call of student code: an operation the grader
calls, or a thread's entry function), or its latest check (a read in a condition) followed by
the write within one operation (one call made by a thread's entry function, e.g. one loop
iteration's `withdraw`): the write depends on the read (a read-modify-write, or a check then
act). Another thread's write to that location is a violation when it is unordered with the
window: it neither happened before the read nor after the write (Velodrome's serializability,
Lipton's reduction). That covers an unlocked `+=` (the writes are concurrent) and a check and
an update taken under two separate holdings of the lock (the other write is ordered, but inside
the window). A Condition.wait ends the waiter's windows (it re-checks after it wakes), and so do
starting and joining threads (a read before the workers and a write after them are two steps).

An *unordered read* (a read concurrent with another thread's write) is reported separately:
it is a bug only where the caller says so, e.g. when the main thread prints it as the result
without joining the threads that still write it.

Locations are (object, key) pairs: a module's globals dict and a name, an object's `__dict__`
and an attribute, a list or dict and an index or key. The oracle keeps every object it has
seen alive for the run, so an identity is never recycled into a different location.

A container's *size* is a location too (key `SIZE`): `len(x)` reads it, `x.append(...)` and
`x.pop()` write it. One such call is atomic under the GIL, so two threads' appends (or pops)
are never a race by themselves, and an append does not depend on what the thread read before
(a progress line `len(results)` then `results.append(r)`). A pop does: a check of the size then
a pop is a check-then-act. And a *slot window* is the downloader's classic bug: a thread reads
the size and then writes an item of the same container in the same call (`results.append(None)`,
`i = len(results) - 1`, `results[i] = r`), the index taken from the size; another thread's change
of the size that is ordered neither before the window's first size access nor after its last
one can hand two threads the same slot, whichever order this schedule ran them in.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Hashable, NamedTuple

from grader.probes.preempt.active import identity
from grader.probes.preempt.coverage import Coverage

VectorClock = dict[int, int]
Location = tuple[int, Hashable]


class _Size:
    """The key of a container's size (one object: its identity is the key)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<size>"


SIZE = _Size()
GROW, SHRINK = "grow", "shrink"  # atomic size changes: append-like, pop-like


class Access(NamedTuple):
    """One read or write as a student can find it in their own code (a NamedTuple: one is
    made per access, so it must be cheap)."""

    thread: str
    kind: str  # read | check | spin | write
    file: str
    line: int | None
    label: str  # the expression as written, e.g. `self.balance`
    locks: tuple[str, ...] = ()  # names of the locks the thread held
    value: Any = None  # a number, short string or None (only for the story)

    def text(self) -> str:
        where = f"{self.file.rsplit('/', 1)[-1]}:{self.line}" if self.line else self.file.rsplit('/', 1)[-1]
        verb = {"read": "read", "check": "checked", "spin": "waited on", "write": "wrote"}.get(
            self.kind, self.kind)
        if self.label.endswith("(...)"):
            verb = "called"  # a container call that changes its size: `results.append(...)`
        held = f"holding {', '.join(self.locks)}" if self.locks else "holding no lock"
        shown = f"={self.value!r}" if self.value is not None else ""
        return f"{self.thread} {verb} {self.label}{shown} at {where} ({held})"


@dataclass(frozen=True)
class Violation:
    """Another thread's write fell inside (or was unordered with) a read-then-write window."""

    location: str
    start: Access  # the read (or check) that opened the window
    write: Access  # the same thread's write that closed it
    other: Access  # the other thread's unordered write
    via: Access | None = None  # a slot window: the read of the size the written index came from

    def lines(self) -> list[str]:
        if self.via is not None:
            middle = [f"  {self.via.text()}"] if self.via != self.start else []
            return [f"  {self.start.text()}", *middle, f"  {self.other.text()}",
                    f"  {self.write.text()}",
                    f"=> {self.other.thread}'s change of {self.location} is not ordered with "
                    f"{self.write.thread}'s use of it as an index: two threads can take the same "
                    "slot (and leave another one empty)"]
        return [f"  {self.start.text()}", f"  {self.other.text()}", f"  {self.write.text()}",
                f"=> {self.other.thread}'s write of {self.location} is not ordered with "
                f"{self.write.thread}'s read and write of it: one of the two updates can be lost"]

    def as_plain(self) -> dict[str, Any]:
        return {"location": self.location, "start": _plain(self.start), "write": _plain(self.write),
                "other": _plain(self.other),
                "via": _plain(self.via) if self.via is not None else None}

    @staticmethod
    def from_plain(data: dict[str, Any]) -> "Violation":
        via = data.get("via")
        return Violation(data["location"], _access(data["start"]), _access(data["write"]),
                         _access(data["other"]), _access(via) if via else None)


@dataclass(frozen=True)
class RacyRead:
    """A read that is unordered with another thread's write of the same location."""

    location: str
    read: Access
    write: Access

    def as_plain(self) -> dict[str, Any]:
        return {"location": self.location, "read": _plain(self.read), "write": _plain(self.write)}

    @staticmethod
    def from_plain(data: dict[str, Any]) -> "RacyRead":
        return RacyRead(data["location"], _access(data["read"]), _access(data["write"]))


@dataclass(frozen=True)
class UnorderedWrites:
    """Two threads wrote one location with nothing ordering the writes (no common lock,
    no start, join, queue or event between them)."""

    location: str
    first: Access
    second: Access

    def as_plain(self) -> dict[str, Any]:
        return {"location": self.location, "first": _plain(self.first), "second": _plain(self.second)}

    @staticmethod
    def from_plain(data: dict[str, Any]) -> "UnorderedWrites":
        return UnorderedWrites(data["location"], _access(data["first"]), _access(data["second"]))


def _plain(access: Access) -> dict[str, Any]:
    data = access._asdict()
    data["locks"] = list(access.locks)
    return data


def _access(data: dict[str, Any]) -> Access:
    return Access(data["thread"], data["kind"], data["file"], data["line"], data["label"],
                  tuple(data.get("locks") or ()), data.get("value"))


@dataclass
class _Epoch:
    """An access remembered as thread@clock, with what the story needs."""

    clock: int
    seq: int  # position among this location's writes (trace order)
    access: Access
    vc: VectorClock | None = None  # a write's whole clock, for a spin-wait that sees it


@dataclass
class _Pending:
    """The start of a possible window: a thread's latest read or check of a location."""

    clock: int
    seq: int  # the location's write count when it was read
    stale: dict[int, _Epoch]  # earlier writes by other threads that did not happen before it
    region: tuple[Any, ...]
    access: Access


@dataclass
class _Loc:
    label: str
    writes: dict[int, _Epoch] = field(default_factory=dict)  # latest write per thread
    windows: dict[int, _Epoch] = field(default_factory=dict)  # latest window-closing write per thread
    reads: dict[int, _Epoch] = field(default_factory=dict)  # latest read per thread
    seq: int = 0
    threads: set[int] = field(default_factory=set)  # who accessed it


@dataclass
class _SizeWindow:
    """A thread's size accesses of one container within one call, up to its item write."""

    region: tuple[Any, ...]
    start: Access  # the first size access
    start_vc: VectorClock  # the thread's clock then (what happened before the window)
    end_clock: int  # the thread's own clock at its latest size access
    read: Access | None = None  # the latest read of the size (an index is taken from it)
    used: Access | None = None  # the item write that closed it
    hits: list[Access] = field(default_factory=list)  # other threads' changes unordered with it


class RaceOracle:
    """Fed by the scheduler's hooks while one schedule runs; read its findings afterwards."""

    def __init__(self, limit: int = 8, max_locations: int = 50_000) -> None:
        self.limit = limit
        self.max_locations = max_locations  # beyond it new locations go untracked (memory bound)
        self.untracked = 0
        self.clocks: dict[int, VectorClock] = {}
        self.sync: dict[int, tuple[Any, VectorClock]] = {}
        self.objects: dict[int, tuple[Any, int]] = {}  # id -> (object kept alive, serial)
        self.locs: dict[Location, _Loc] = {}
        self.pending: dict[int, dict[Location, tuple[_Pending | None, _Pending | None]]] = {}
        self.violations: list[Violation] = []
        self.racy_reads: list[RacyRead] = []
        self.unordered_writes: list[UnorderedWrites] = []
        self._seen: set[tuple[Any, ...]] = set()
        self._openings: dict[tuple[int, Location], Access] = {}  # what opened each latest window
        self._slots: dict[int, dict[int, _SizeWindow]] = {}  # container serial -> thread -> window
        self.joined: set[int] = set()  # threads some thread joined
        self.on_join: Any = None  # called after a join (the scheduler's mode may change)
        self._releaser: dict[int, int] = {}  # channel key -> the thread that last released it
        self.coverage = Coverage()  # the interleavings of accesses this schedule showed

    # -- threads and synchronisation ---------------------------------------------------------
    def _clock(self, tid: int) -> VectorClock:
        vc = self.clocks.get(tid)
        if vc is None:
            vc = self.clocks[tid] = {tid: 1}
        return vc

    def fork(self, parent: int | None, child: int) -> None:
        """`child` starts: everything its parent did so far happened before it."""
        vc = self._clock(child)
        if parent is not None:
            parent_vc = self._clock(parent)
            _join_into(vc, parent_vc)
            parent_vc[parent] += 1
            self.boundary(parent)  # starting workers and then updating is a new step
        vc[child] = max(vc.get(child, 0), 1)

    def join(self, joiner: int, joined: int) -> None:
        """`joiner` saw `joined` finish: everything `joined` did happened before what follows;
        what it read before waiting for the thread, it is expected to read again."""
        _join_into(self._clock(joiner), self._clock(joined))
        self.boundary(joiner)
        self.joined.add(joined)
        if self.on_join is not None:
            self.on_join()

    def release(self, tid: int, channel: Any) -> None:
        """A send: unlock, semaphore release, event set, notify, queue put."""
        vc = self._clock(tid)
        key = identity(channel)
        entry = self.sync.get(key)
        if entry is None or entry[0] is not channel:
            entry = self.sync[key] = (channel, {})
        _join_into(entry[1], vc)
        self._releaser[key] = tid
        vc[tid] += 1

    def acquire(self, tid: int, channel: Any) -> None:
        """A receive: lock taken, semaphore acquired, event or condition waited for, queue get."""
        entry = self.sync.get(identity(channel))
        if entry is not None and entry[0] is channel:
            _join_into(self._clock(tid), entry[1])

    def acquire_keyed(self, tid: int, channel: Any, key: int) -> None:
        """`acquire` for a lock that knows its key (one call less per acquisition), skipped when
        this thread was the last to release it (nothing to learn)."""
        if self._releaser.get(key, tid) != tid:
            entry = self.sync.get(key)
            if entry is not None and entry[0] is channel:
                _join_into(self._clock(tid), entry[1])

    def release_keyed(self, tid: int, channel: Any, key: int, owned: bool = False) -> None:
        """`release` for a lock that knows its key; `owned`: the releasing thread took it (so
        its clock already covers the lock's, which becomes a copy of it)."""
        vc = self.clocks.get(tid) or self._clock(tid)
        entry = self.sync.get(key)
        if entry is None or entry[0] is not channel:
            entry = self.sync[key] = (channel, {})
        if owned:
            entry[1].update(vc)
        else:
            _join_into(entry[1], vc)
        self._releaser[key] = tid
        vc[tid] += 1

    def order_all(self) -> None:
        """Every thread's clock covers everything every thread did so far (after a stretch in
        which locks were not followed), and ticks: what comes next is a new epoch."""
        floor: dict[int, int] = {}
        for vc in self.clocks.values():
            for tid, clock in vc.items():
                if floor.get(tid, 0) < clock:
                    floor[tid] = clock
        for tid, vc in self.clocks.items():
            vc.update(floor)
            vc[tid] = floor.get(tid, 0) + 1

    def close_windows(self) -> None:
        """Windows opened in full close unseen (the run leaves the fully recorded mode)."""
        self.pending.clear()
        self._slots.clear()

    def boundary(self, tid: int) -> None:
        """The thread gave up what it had read (a Condition.wait): it will check again."""
        self.pending.pop(tid, None)

    # -- locations -----------------------------------------------------------------------------
    def location(self, container: Any, key: Hashable) -> Location:
        """A location's identity; the container is kept alive so its id is never reused."""
        entry = self.objects.get(identity(container))
        if entry is None or entry[0] is not container:
            entry = self.objects[identity(container)] = (container, len(self.objects) + 1)
        return (entry[1], key)

    def _loc(self, loc: Location, label: str) -> _Loc | None:
        state = self.locs.get(loc)
        if state is None:
            if len(self.locs) >= self.max_locations:
                self.untracked += 1
                return None
            if loc[1] is SIZE and not label.startswith("len("):
                label = f"len({label.rsplit('(', 1)[0].rsplit('.', 1)[0]})"  # results.append(...)
            state = self.locs[loc] = _Loc(label)
        return state

    # -- accesses ------------------------------------------------------------------------------
    def read(self, tid: int, loc: Location, access: Access, region: tuple[Any, ...] = ()) -> None:
        vc = self._clock(tid)
        state = self._loc(loc, access.label)
        if state is None:
            return
        self.coverage.access(tid, loc, access.file, access.line, False)
        if access.kind == "spin":
            self._spin(tid, vc, state)
        stale = {u: w for u, w in state.writes.items() if u != tid and w.clock > vc.get(u, 0)}
        for w in stale.values():
            self._racy_read(state, access, w.access)
        state.reads[tid] = _Epoch(vc[tid], state.seq, access)
        state.threads.add(tid)
        if loc[1] is SIZE:
            self._size_access(tid, vc, loc, access, region, read=True)
        pending = _Pending(vc[tid], state.seq, stale, region, access)
        plain, check = self.pending.setdefault(tid, {}).get(loc, (None, None))
        if access.kind in ("check", "spin"):
            check = pending
        else:
            plain = pending
        self.pending[tid][loc] = (plain, check)

    def write(self, tid: int, loc: Location, access: Access, region: tuple[Any, ...] = (),
              atomic: str = "") -> None:
        """`atomic` is GROW or SHRINK for a size change made by one container call (never a
        race with another such call; a GROW depends on nothing the thread read before)."""
        vc = self._clock(tid)
        state = self._loc(loc, access.label)
        if state is None:
            return
        self.coverage.access(tid, loc, access.file, access.line, True)
        if loc[1] is SIZE:
            self._size_access(tid, vc, loc, access, region, read=False)
        else:
            self._slot_used(tid, vc, loc, access, region)
        # 1. this write closes a window of this thread's own
        start = None if atomic == GROW else self._window_start(tid, loc, region)
        if start is not None:
            for u, w in start.stale.items():
                self._violation(state, start.access, access, w.access)
            for u, w in state.writes.items():
                if u != tid and w.seq > start.seq:
                    self._violation(state, start.access, access, w.access)
        # 2. this write is unordered with another thread's window or read
        for u, window in state.windows.items() if atomic != GROW else ():
            if u != tid and window.clock > vc.get(u, 0):
                self._violation(state, self._openings.get((u, loc), window.access), window.access,
                                access)
        for u, r in state.reads.items():
            if u != tid and r.clock > vc.get(u, 0):
                self._racy_read(state, r.access, access)
        for u, w in state.writes.items() if not atomic else ():
            if u != tid and w.clock > vc.get(u, 0):
                self._unordered_writes(state, w.access, access)
        state.threads.add(tid)
        state.seq += 1
        epoch = _Epoch(vc[tid], state.seq, access,
                       dict(vc) if len(vc) <= 64 or loc[1] is SIZE else None)
        state.writes[tid] = epoch
        if start is not None:
            state.windows[tid] = epoch
            self._openings[(tid, loc)] = start.access
        self.pending.get(tid, {}).pop(loc, None)  # a write ends the window; a read opens the next

    def seed_write(self, tid: int, loc: Location, access: Access, clock: int) -> None:
        """A write made while nobody recorded in full (grader/probes/preempt/watch.py saw it): it
        happened before everything recorded from now on in program order, and is unordered
        with what its clock says."""
        state = self._loc(loc, access.label)
        if state is None or (tid in state.writes and state.writes[tid].clock >= clock):
            return
        state.threads.add(tid)
        state.seq += 1
        state.writes[tid] = _Epoch(clock, state.seq, access, None)

    def _size_access(self, tid: int, vc: VectorClock, loc: Location, access: Access,
                     region: tuple[Any, ...], read: bool) -> None:
        """Extend (or open) this thread's slot window on the container; a change of the size
        is checked against the other threads' windows it is not ordered after."""
        windows = self._slots.setdefault(loc[0], {})
        mine = windows.get(tid)
        if mine is None or mine.used is not None or not _same_region(mine.region, region):
            mine = windows[tid] = _SizeWindow(region, access, dict(vc), vc[tid])
        mine.end_clock = vc[tid]
        if read:
            mine.read = access
            return
        for u, window in windows.items():
            if u == tid or window.read is None or vc.get(u, 0) >= window.end_clock:
                continue  # no index taken yet, or this change comes after the window
            if window.used is not None:
                self._slot_violation(loc, window, access)
            elif not window.hits:
                window.hits.append(access)

    def _slot_used(self, tid: int, vc: VectorClock, loc: Location, access: Access,
                   region: tuple[Any, ...]) -> None:
        """An item write of a container whose size this thread read in the same call: the
        window closes, and any other thread's size change not ordered around it breaks it."""
        windows = self._slots.get(loc[0])
        mine = windows.get(tid) if windows else None
        if mine is None or mine.read is None or mine.used is not None \
                or not _same_region(mine.region, region):
            return
        mine.used = access
        size = self.locs.get((loc[0], SIZE))
        others = [w.access for u, w in (size.writes.items() if size else ())
                  if u != tid and w.clock > mine.start_vc.get(u, 0)
                  and (w.vc is None or w.vc.get(tid, 0) < mine.end_clock)]
        for other in mine.hits + others:
            self._slot_violation(loc, mine, other)

    def _slot_violation(self, loc: Location, window: _SizeWindow, other: Access) -> None:
        state = self.locs.get((loc[0], SIZE))
        assert window.used is not None and window.read is not None
        key = ("s", loc[0], window.read.line, window.used.line, other.line, other.file)
        if state is None or key in self._seen or len(self.violations) >= self.limit:
            return
        self._seen.add(key)
        self.violations.append(Violation(state.label, window.start, window.used, other,
                                         via=window.read))

    def _spin(self, tid: int, vc: VectorClock, state: _Loc) -> None:
        """`while not done:` that sees another thread's latest write of `done`: under the GIL
        every thread sees that write, so what the writer did before it happened before what
        the waiter does after (a flag is a channel too, though no threading primitive)."""
        latest = max((w for u, w in state.writes.items() if u != tid), key=lambda w: w.seq, default=None)
        if latest is not None and latest.vc is not None and all(
                w.seq <= latest.seq for u, w in state.writes.items()):
            _join_into(vc, latest.vc)

    def _window_start(self, tid: int, loc: Location, region: tuple[Any, ...]) -> _Pending | None:
        plain, check = self.pending.get(tid, {}).get(loc, (None, None))
        # a read counts anywhere in the same outermost call (a getter's read, a setter's write);
        # a check only in the same operation (not one a thread's loop made an iteration ago)
        live = [p for p in (plain, check) if p is not None
                and _same_region(p.region, region, strict=p is check)]
        return min(live, key=lambda p: (p.seq, p.clock)) if live else None

    # -- findings ------------------------------------------------------------------------------
    def _violation(self, state: _Loc, start: Access, write: Access, other: Access) -> None:
        key = ("v", state.label, start.line, write.line, other.line, start.file, other.file)
        if key in self._seen or len(self.violations) >= self.limit:
            return
        self._seen.add(key)
        self.violations.append(Violation(state.label, start, write, other))

    def shared_written(self, by: set[int] | None = None) -> list[str]:
        """Locations some thread wrote and another thread also accessed (optionally: written
        by one of the threads in `by`)."""
        return sorted({state.label for state in self.locs.values() if len(state.threads) >= 2
                       and state.writes and (by is None or by & set(state.writes))})

    def _unordered_writes(self, state: _Loc, first: Access, second: Access) -> None:
        key = ("w", state.label, first.line, second.line, first.file, second.file)
        if key in self._seen or len(self.unordered_writes) >= self.limit:
            return
        self._seen.add(key)
        self.unordered_writes.append(UnorderedWrites(state.label, first, second))

    def _racy_read(self, state: _Loc, read: Access, write: Access) -> None:
        key = ("r", state.label, read.thread, read.line, write.line, read.file, write.file)
        if key in self._seen or len(self.racy_reads) >= self.limit * 4:
            return
        self._seen.add(key)
        self.racy_reads.append(RacyRead(state.label, read, write))


def _join_into(target: VectorClock, source: VectorClock) -> None:
    for tid, clock in source.items():
        if target.get(tid, 0) < clock:
            target[tid] = clock


def _same_region(a: tuple[Any, ...], b: tuple[Any, ...], strict: bool = True) -> bool:
    if not strict:
        return bool(a) and bool(b) and a[0] is b[0] or a == b == ()
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))
