"""A deterministic cooperative scheduler over real threads.

Exactly one managed thread runs at a time; it hands the turn on only at scheduling points
(inserted into the student's code by `instrument`), when it blocks on a lock, condition,
semaphore, event or join, or when it ends. Which thread runs next is drawn from a generator
seeded by the caller, so a schedule depends on nothing but the seed and the code: replaying a
seed replays the interleaving, on any machine, however busy.

Time is virtual (`now`, in seconds): it passes only when every thread is blocked, and then jumps
to the earliest deadline of a timed wait or a `sleep`, so sleeping costs nothing and a program's
timing is the same on any machine. If no wait is timed the threads are deadlocked. A program that
never ends is stopped once `time_limit` virtual seconds or `max_steps` points have passed.

Cost: the first `budget` points are recorded and may switch threads (seeded, as PCT does);
after that the schedule is *quiet*: nothing is recorded and threads switch only when they block,
finish, or have run `spin` points in a row (so `while not done: pass` hands the turn on). A run
with `stop_at_budget` ends there instead, judged on what it recorded.

A program run (`follow`) spends its budget where threads run: before the program starts its
first thread (a warm-up, `t.run()`) the schedule is quiet, and the budget counts only the
points made from then on. Past the budget, while threads still
run concurrently, it *watches* (grader/preempt/watch.py): every access gets a cheap
happens-before check on the oracle's clocks, which locks, starts and joins keep up to date, and
a conflict hands the run back to the full oracle for a burst of `ESCALATION` points. Once the
oracle has found a race the rest of the run is quiet: the verdict is made.
"""
from __future__ import annotations

import _thread
import contextlib
import itertools
import random
import sys
import time
import traceback
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from grader.preempt.oracle import RaceOracle

RUNNABLE, BLOCKED, DONE = "runnable", "blocked", "done"
MAX_EVENTS = 20_000
ESCALATION = 30_000  # points recorded in full after the watch saw a conflict (a few turns)
MAX_ESCALATIONS = 8  # per schedule: past them the watch only watches
WATCH_ROUNDS = 4  # rounds of stretches watched in full past the budget (see Scheduler._stretch)
WATCH_PERIOD = 8  # past them one round in WATCH_PERIOD is watched
SAMPLED, WATCH, QUIET = "sampled", "watch", "quiet"
STOPPED = ("time", "steps", "budget", "input")  # a run ended by the grader's limits (or its
# scripted input running out, grader/preempt/answers.py), not by a fault


class Abort(BaseException):
    """Unwinds a managed thread once its schedule is over (deadlock, step limit, stall)."""


@dataclass(eq=False)
class Task:
    name: str
    index: int
    go: Any = field(default_factory=_thread.allocate_lock)  # held while the task must wait
    registered: Any = field(default_factory=_thread.allocate_lock)
    state: str = RUNNABLE
    waiting_on: Any = None
    timed: bool = False
    timed_out: bool = False
    ident: int | None = None
    native: int | None = None  # the OS thread id (/proc/self/task/<native>): is it computing?
    held: list[Any] = field(default_factory=list)  # locks held, in the order taken
    error: dict[str, Any] | None = None
    result: Any = None
    thread: Any = None  # the threading.Thread object the student sees, if any
    root: bool = False  # one of the bodies the schedule was started with
    started: bool = False  # started by the code under test (a Thread, a Timer, a pool, _thread)
    daemon: bool = False  # killed when the program exits (see Scheduler.daemons_die)
    cut: bool = False  # unwound by the end of the schedule instead of ending by itself
    sched: Any = None  # the schedule it belongs to now (a parked thread moves to the next one)
    parked: bool = False  # left waiting between two schedules of its world (see Scheduler.world)
    parked_now: float = 0.0  # the virtual time its schedule had reached when it was parked
    last_ran: int = 0  # when it last got the turn (across schedules): who stays parked
    deadline: float | None = None  # virtual time a timed wait or sleep ends
    ran: int = 0  # points run since this task last got the turn (the spin bound)
    random_state: Any = None  # the `random` module's state while this task runs

    def __post_init__(self) -> None:
        self.go.acquire()
        self.registered.acquire()


@dataclass
class Event:
    step: int
    thread: str
    kind: str  # line | read | write | acquire | release | call | return | block | start | end
    line: int | None
    label: str = ""
    value: Any = None


@dataclass
class Outcome:
    status: str  # ok | deadlock | stall | time | steps | budget | input (the last four: stopped, see STOPPED)
    steps: int
    events: list[Event]
    deadlock: list[dict[str, Any]] = field(default_factory=list)
    inversion: dict[str, Any] | None = None
    tasks: list[Task] = field(default_factory=list)
    now: float = 0.0  # virtual seconds the run lasted


ACTIVE: "Scheduler | None" = None


def student_line(filename: str, depth: int = 2) -> int | None:
    """The line of the innermost frame of the student's file (compared by full path)."""
    frame: types.FrameType | None = sys._getframe(depth)
    while frame is not None:
        if frame.f_code.co_filename == filename:
            return frame.f_lineno
        frame = frame.f_back
    return None


def student_stack(frame: Any, filename: str, source_lines: list[str]) -> list[str]:
    out = []
    for entry in traceback.extract_stack(frame):
        if entry.filename == filename and entry.lineno:
            text = source_lines[entry.lineno - 1].strip() if entry.lineno <= len(source_lines) else ""
            out.append(f"{filename.rsplit('/', 1)[-1]}:{entry.lineno} in {entry.name}: {text}")
    return out


class Scheduler:
    def __init__(self, seed: int, *, filename: str, source: str = "", switch: float = 0.5,
                 serial: bool = False, max_steps: int = 50_000, stall_seconds: float = 2.0,
                 budget: int | None = None, stop_at_budget: bool = False, spin: int = 10_000,
                 time_limit: float | None = None, ordered: bool = True,
                 daemons_die: bool = False, cpu_limit: float | None = None,
                 behind: dict[str, int | None] | None = None,
                 world: dict[str, Any] | None = None, follow: bool = False,
                 quiet_limit: int = 50_000) -> None:
        """`serial`: threads switch only when they block, sleep, yield or end. `ordered` (with
        serial): the next thread is the first in line; without it, a seeded choice, so seeded
        serial runs reach the ends other legitimate orders reach (who got the last money).
        `daemons_die`: the schedule is a whole program, which exits as CPython's does: once the
        main thread and every non-daemon thread have ended, daemon threads (and threads
        started with `_thread`) are killed where they stand. `cpu_limit`: CPU seconds the run
        may use past its budget before it is stopped (status "steps"), checked every `spin`
        quiet points: a program that never ends and never sleeps is cut by it, however many
        points a finite one needs. `behind`: threads (by name) held back from a line of the
        student's file on (None: from their start): they run only when nobody else can, handing
        the turn on at every point; the order in which a notify can come before the wait it was
        meant for (see `wakeups`). `world`: the namespace of the module whose code the schedule
        runs; threads still alive when it ends (a module-level actor waiting on its queue, an
        executor's idle workers) are parked, not killed, and the next schedule of the same world
        adopts them, as they live on between two calls in a real process. `follow`: the mode
        follows the threads (see the module's docstring); a run with `stop_at_budget` then also
        stops after `quiet_limit` points outside its sample (a long warm-up is not sampled at
        all)."""
        self.rng = random.Random(seed)
        self.seed = seed
        self.seed_base = 0  # per-thread random streams depend on the thread's index only
        self.filename = filename
        self.source_lines = source.splitlines()
        self.switch = switch
        self.serial = serial
        self.in_line = serial and ordered  # every choice of the next thread: the first in line
        self.max_steps = max_steps
        self.cpu_limit = cpu_limit
        self.cpu_start = 0.0  # process CPU time when the schedule started
        self.stall_seconds = stall_seconds
        self.tasks: list[Task] = []
        self.by_ident: dict[int, Task] = {}
        self.steps = 0
        self.clock = 0  # orders every point and every recorded call/return: one thread runs at a time
        self.events: list[Event] = []
        self.aborted: str | None = None
        self.deadlock: list[dict[str, Any]] = []
        self.finished = _thread.allocate_lock()
        self.finished.acquire()
        self.exited = 0
        self.lock_names: dict[int, str] = {}
        self.edges: dict[tuple[int, int], dict[str, Any]] = {}
        self.inversion: dict[str, Any] | None = None
        self.alive = 0  # threads started by the code under test and not yet finished
        self.max_alive = 0
        self.spawned = 0
        # (id(container), key) -> [indexes of started threads that touched it, locked writes,
        # unlocked writes]: what `shared_writes` counts
        self.sites: dict[tuple[int, Any], list[Any]] = {}
        self.oracle = RaceOracle()  # happens-before and atomicity, fed by the access hooks
        self.oracle.on_join = self._follow
        self.now = 0.0  # virtual seconds since the schedule started
        self.time_limit = time_limit
        self.budget = max_steps if budget is None else budget
        self.stop_at_budget = stop_at_budget
        self.mode = SAMPLED
        self.quiet = False  # no recording, no forced switches, no clocks
        self.watching = False  # no recording, no forced switches; clocks and the cheap watch
        self.fast = False  # quiet or watching: locks take their short path
        self.follow = follow
        self.quiet_limit = quiet_limit
        self.sampled = 0  # points made in the sampled mode while threads ran concurrently
        self.burst = 0  # points left of an escalation
        self.escalations = 0
        self.settled = False  # the oracle found a race: quiet for the rest of the run
        self.unjoined: set[int] = set()  # tasks that ended and nobody has joined yet
        self.watch: Any = None  # grader.preempt.watch.Watch, made when first needed
        self.current: Task | None = None  # the thread given the turn last (the running one)
        self.turns = 0  # turns handed over: progress the stall watchdog sees in the cheap modes
        self.resting = False  # past the budget, concurrent, but this round is not watched
        self.stretches = 0  # stretches begun past the budget while threads ran concurrently
        self.watched = 0  # of them, watched
        self.spin = spin
        self.countdown = spin  # quiet points left before the running thread hands the turn on
        self.waiters: dict[int, list[Task]] = {}  # id(object) -> tasks blocked on it
        self.namespaces: list[dict[str, Any]] = []  # instrumented namespaces, hooks swapped when quiet
        self._originals: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}  # id(ns) -> its hooks
        self._watch_hooks: dict[int, dict[str, Any]] = {}  # id(ns) -> the watch's hooks for it
        self.daemons_die = daemons_die
        self.killed: list[str] = []  # daemon threads still alive when the program exited
        self.killed_working: list[str] = []  # of those, the ones not idly waiting for work
        self.behind = dict(behind or {})
        self.world = world
        self.held: set[str] = set()  # threads of `behind` that reached their line
        # Condition waits that no loop re-checks, and the notify that ended each: in another
        # order that notify can come first and be lost (a lost wake-up), tried with `behind`.
        self.wakeups: list[dict[str, Any]] = []
        self._loop_lines: set[int] | None = None

    # -- bookkeeping ---------------------------------------------------------------------
    def task(self) -> Task | None:
        return self.by_ident.get(_thread.get_ident())

    def record(self, task: Task, kind: str, line: int | None, label: str = "", value: Any = None) -> None:
        if not self.fast and len(self.events) < MAX_EVENTS:
            self.events.append(Event(self.steps, task.name, kind, line, label, value))

    @property
    def recording(self) -> bool:
        return not self.fast and len(self.events) < MAX_EVENTS

    def where(self, depth: int = 2) -> int | None:
        """The student's line `depth` frames up (None once nothing is recorded: nobody reads it)."""
        if self.fast or len(self.events) >= MAX_EVENTS:
            return None
        return student_line(self.filename, depth + 1)

    def note_access(self, me: Task, container: Any, key: Any, write: bool) -> None:
        """An access by a thread the code started (the main thread's, before it starts threads
        or after it joins them, share nothing), for `shared_writes`."""
        if not me.started:
            return
        try:
            site_key = (id(container), key)
            site = self.sites.get(site_key)
        except Exception:  # an unhashable key, a hostile __hash__
            return
        if site is None:
            site = self.sites[site_key] = [set(), 0, 0]
        site[0].add(me.index)
        if write:
            site[1 if me.held else 2] += 1

    @property
    def shared_writes(self) -> dict[str, int]:
        """Writes, with and without a lock held, to state that two or more started threads
        touched (a thread's own object, or a result the main thread reads after join, is not
        shared)."""
        locked = unlocked = 0
        for threads, with_lock, without in self.sites.values():
            if len(threads) >= 2:
                locked, unlocked = locked + with_lock, unlocked + without
        return {"locked": locked, "unlocked": unlocked}

    def tick(self) -> int:
        self.clock += 1
        return self.clock

    def name_lock(self, lock: Any, name: str) -> None:
        self.lock_names.setdefault(id(lock), name)

    def lock_name(self, lock: Any) -> str:
        return self.lock_names.get(id(lock), f"a {type(lock).__name__.replace('Coop', '')}")

    def _check(self, task: Task) -> None:
        if self.aborted:
            raise Abort(self.aborted)

    # -- the turn ------------------------------------------------------------------------
    def _runnable(self) -> list[Task]:
        return [t for t in self.tasks if t.state == RUNNABLE]

    def _pick(self) -> Task | None:
        """Who runs next. When nobody can, virtual time jumps to the earliest deadline; past
        the time limit the run is stopped (None, with `aborted` set)."""
        runnable = self._runnable()
        if not runnable:
            timed = [t for t in self.tasks if t.state == BLOCKED and t.timed]
            if not timed:
                return None
            soonest = min(self.now if t.deadline is None else t.deadline for t in timed)
            due = [t for t in timed if (self.now if t.deadline is None else t.deadline) <= soonest]
            self.now = max(self.now, soonest)
            if self.time_limit is not None and self.now > self.time_limit:
                self._abort("time")
                return None
            chosen = due[0] if self.in_line else self.rng.choice(due)
            self._unwait(chosen)
            chosen.state, chosen.timed_out = RUNNABLE, True
            return chosen
        if self.held:
            runnable = [t for t in runnable if t.name not in self.held] or runnable
        if self.in_line:
            return runnable[0]
        return self.rng.choice(runnable)

    def in_loop(self, line: int | None) -> bool:
        """Whether a line of the student's file is re-checked by a loop: its innermost loop is a
        `while` with a condition (a wait there sees the predicate again; one in an `if`, alone,
        or in `while True` / `for` is not)."""
        if self._loop_lines is None:
            import ast

            innermost: dict[int, tuple[int, bool]] = {}  # line -> (span of its loop, a predicate loop)
            try:
                tree = ast.parse("\n".join(self.source_lines))
            except (SyntaxError, ValueError):
                tree = None
            for node in ast.walk(tree) if tree is not None else ():
                if isinstance(node, (ast.While, ast.For, ast.AsyncFor)):
                    end = node.end_lineno or node.lineno
                    checks = isinstance(node, ast.While) and not (
                        isinstance(node.test, ast.Constant) and node.test.value)
                    for n in range(node.lineno, end + 1):
                        if n not in innermost or end - node.lineno < innermost[n][0]:
                            innermost[n] = (end - node.lineno, checks)
            self._loop_lines = {n for n, (_, checks) in innermost.items() if checks}
        return line is not None and line in self._loop_lines

    def _give(self, me: Task | None, nxt: Task) -> None:
        """Pass the turn: each thread keeps its own `random` stream, so what a thread draws
        does not depend on how the threads interleave."""
        import random as random_module

        state = random_module.getstate()
        if me is not None:
            me.random_state = state
        if nxt.random_state is None:
            nxt.random_state = random.Random(f"{self.seed_base}:{nxt.index}").getstate()
        if nxt.random_state is not state:
            random_module.setstate(nxt.random_state)
        nxt.ran = 0
        nxt.last_ran = next(_TURNS)
        self.countdown = self.spin
        self.current = nxt
        self.turns += 1
        if self.fast and self.follow and self.sampled > self.budget and not self.settled:
            self._stretch()
        nxt.go.release()

    def _hand_over(self, me: Task, nxt: Task) -> None:
        if nxt is me:
            return
        self._give(me, nxt)
        me.go.acquire()
        me.sched._check(me)  # a parked thread wakes up in the schedule that adopted it

    def point(self, line: int | None) -> None:
        me = self.task()
        if me is None:
            return
        if self.aborted:
            raise Abort(self.aborted)
        self.steps += 1
        self.clock += 1
        if self.fast:
            me.ran += 1
            if me.ran >= self.spin:
                self._check_limits()
                self._follow()
                self._switch(me)
            elif self.steps > self.max_steps:
                self._abort("steps")
                raise Abort("steps")
            return
        if self.follow:
            if self._sampled_point():
                return
        elif self.steps > self.budget:
            self._go_quiet()
            if self.aborted:
                raise Abort(self.aborted)
            return
        if line is not None:
            self.record(me, "line", line)
        me.ran += 1
        if self.behind and me.name in self.behind and me.name not in self.held \
                and self.behind[me.name] in (None, line):
            self.held.add(me.name)
        if me.name in self.held:
            self._switch(me)
        elif self.serial:
            if me.ran >= self.spin:
                self._switch(me)
        elif self.rng.random() < self.switch:
            self._switch(me)

    def _go_quiet(self) -> None:
        """The budget is spent: stop here, or run on with cheap hooks and no recording."""
        if self.stop_at_budget or self.budget >= self.max_steps:
            self._abort("budget" if self.stop_at_budget else "steps")
            return
        self._set_mode(QUIET)

    # -- modes of a program run (`follow`) --------------------------------------------------
    def _concurrent(self) -> bool:
        """Two or more threads alive, or one that ended and nobody joined (its last accesses
        are still unordered with what the others do)."""
        if len(self.tasks) - self.exited >= 2:
            return True
        if self.unjoined:
            self.unjoined -= self.oracle.joined
        return bool(self.unjoined)

    def _follow(self) -> None:
        """Put the run in the mode its threads call for (after a start, an end, a join, a
        burst, or every `spin` points of the cheap modes)."""
        if not self.follow or self.aborted:
            return
        if self.settled:
            self._set_mode(QUIET)
        elif not self._concurrent():
            # before any thread starts (a warm-up): quiet; after, the main thread's reads of
            # what the threads wrote are recorded while the budget lasts (shared state)
            self._set_mode(SAMPLED if self.spawned and self.sampled <= self.budget else QUIET)
        elif self.burst or self.sampled <= self.budget:
            self._set_mode(SAMPLED)
        elif self.stop_at_budget:
            self._abort("budget")
        else:
            self._set_mode(QUIET if self.resting else WATCH)

    def _sampled_point(self) -> bool:
        """A point in the sampled mode of a program run; True if it ended the sampled mode."""
        if self.oracle.violations and not self.stop_at_budget:
            self.settled = True  # the race is found: the rest needs no watching
        elif self.burst:
            self.burst -= 1
            if self.burst:
                return False
        else:
            self.sampled += 1
            if self.sampled <= self.budget:
                return False
        self._follow()
        if self.aborted:
            raise Abort(self.aborted)
        return self.mode != SAMPLED

    def escalate(self, other: tuple[Any, ...] | None = None) -> None:
        """The watch saw a conflict: record the next `ESCALATION` points in full, so that the
        oracle names the race in the student's lines if it is one. `other`: the other thread's
        last write of the location, as the watch saw it (container, key, thread index, clock,
        line, expression, locks held), given to the oracle as if it had recorded it."""
        if self.escalations >= MAX_ESCALATIONS or self.settled or self.mode != WATCH:
            return
        self.escalations += 1
        self.burst = ESCALATION
        self._set_mode(SAMPLED)
        if other is not None:
            from grader.preempt.access import _storage
            from grader.preempt.oracle import Access

            container, key, tid, clock, line, label, locks = other
            if type(key) is str and type(container) is not dict:
                container = _storage(container, key)
            names = tuple(self.lock_name(lock) for lock in locks)
            access = Access(self.tasks[tid].name, "write", self.filename, line, label, names)
            self.oracle.seed_write(tid, self.oracle.location(container, key), access, clock)

    def _set_mode(self, mode: str) -> None:
        if mode == self.mode:
            return
        from grader.preempt import quiet, watch
        from grader.preempt.siblings import loaded

        if self.mode == SAMPLED:  # windows the full oracle opened close unseen in another mode
            self.oracle.pending.clear()
            self.oracle._slots.clear()
        elif self.mode == QUIET:  # the locks' short paths kept no account of the locks held
            for task in self.tasks:
                task.held = [lock for lock in task.held if not hasattr(lock, "_owner")
                             or lock._owner == task.ident and lock.locked()]
        if mode == WATCH:
            if self.watch is None:
                self.watch = watch.Watch(self)
            self.watch.new_era()
            if self.mode == QUIET:  # locks went unfollowed
                self._order_all()
        self.mode = mode
        self.quiet, self.watching, self.fast = mode == QUIET, mode == WATCH, mode != SAMPLED
        watch._CURRENT[0] = self.watch if mode == WATCH else None
        for ns in self.namespaces + [helper for _, helper in loaded()]:
            saved = self._originals.get(id(ns))
            if saved is None:
                saved = self._originals[id(ns)] = (ns, {name: ns[name] for name in quiet.HOOKS
                                                        if name in ns})
            if mode == WATCH:
                table = self._watch_hooks.get(id(ns))
                if table is None:
                    table = self._watch_hooks[id(ns)] = watch.hooks_for(ns)
            else:
                table = quiet.HOOKS if mode == QUIET else saved[1]
            for name in saved[1]:
                ns[name] = table[name]

    def _stretch(self) -> None:
        """Past the budget, while threads run concurrently, a stretch begins (a turn, or `spin`
        more points of one thread). Stretches go in rounds (two per live thread, at most 16);
        the first WATCH_ROUNDS rounds are watched, then one in WATCH_PERIOD, and the others
        rest (quiet: no hooks, no clocks), so that a program of 2 x 10^7 locked updates is
        graded within ten times its plain run. Counted in stretches, not in time: the same
        program is watched at the same points on any machine. A round that is watched begins
        with every thread ordered after all that happened before it (`_order_all`): a conflict
        it reports lies within it, with clocks that followed every lock."""
        self.stretches += 1
        live = len(self.tasks) - self.exited
        size = min(2 * max(live, 2), 16)
        round_ = (self.stretches - 1) // size
        resting = round_ >= WATCH_ROUNDS and round_ % WATCH_PERIOD != 0
        if not resting:
            self.watched += 1
        if resting != self.resting:
            self.resting = resting
            self._follow()

    def _order_all(self) -> None:
        """Every thread's clock covers everything every thread did so far (after a stretch in
        which locks were not followed), and ticks: what comes next is a new epoch."""
        clocks = self.oracle.clocks
        floor: dict[int, int] = {}
        for vc in clocks.values():
            for tid, clock in vc.items():
                if floor.get(tid, 0) < clock:
                    floor[tid] = clock
        for tid, vc in clocks.items():
            vc.update(floor)
            vc[tid] = floor.get(tid, 0) + 1

    def watch_acquire(self, lock: Any, ident: int) -> None:
        """A lock taken on the short path while watching: the thread holds it (for the oracle
        if a burst comes) and is ordered after its last release by another thread. (Called
        for every acquire of a long program: kept to one call.)"""
        me = self.current
        if me is None or me.ident != ident:
            me = self.by_ident.get(ident)
            if me is None:
                return
        me.held.append(lock)
        oracle = self.oracle
        if oracle._releaser.get(lock._key, me.index) != me.index:
            oracle.acquire_keyed(me.index, lock, lock._key)

    def watch_release(self, lock: Any) -> None:
        """A lock released on the short path while watching: its clock becomes the thread's
        (a copy when the thread took it, a join when it releases a lock another thread took),
        and the thread's own clock ticks."""
        ident = _thread.get_ident()
        me = self.current
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

    def spun(self) -> None:
        """`spin` quiet points ran in one thread: check the limits and hand the turn on."""
        self.countdown = self.spin
        self.steps += self.spin
        if self.aborted:
            raise Abort(self.aborted)
        self._check_limits()
        self._follow()
        me = self.task()
        if self.fast and self.follow and self.sampled > self.budget and not self.settled \
                and self._concurrent():
            self._stretch()
        if me is not None:
            self._switch(me)

    def _check_limits(self) -> None:
        """Past the budget: stop at `max_steps` points or `cpu_limit` CPU seconds (a run that
        stops at its budget: after `quiet_limit` points outside its sample)."""
        if self.follow and self.stop_at_budget and self.steps > self.quiet_limit:
            self._abort("budget")
            raise Abort("budget")
        if self.steps > self.max_steps or self.cpu_limit is not None \
                and time.process_time() - self.cpu_start > self.cpu_limit:
            self._abort("steps")
            raise Abort("steps")

    def _restore_hooks(self) -> None:
        for ns, hooks in self._originals.values():
            ns.update(hooks)
        self._originals.clear()
        if self.watch is not None:
            from grader.preempt import watch

            watch._CURRENT[0] = None

    def yield_now(self, line: int | None) -> None:
        """A forced switch: someone else runs if anyone can."""
        me = self.task()
        if me is None:
            return
        self._check(me)
        self.steps += 1
        self._switch(me)

    def sleep(self, seconds: float, line: int | None) -> None:
        """`time.sleep` in student code: wait `seconds` of virtual time while others run."""
        me = self.task()
        if me is None:
            return
        self._check(me)
        self.steps += 1
        try:
            seconds = float(seconds)
        except (TypeError, ValueError):
            seconds = 0.0
        if seconds != seconds or seconds <= 0:
            self._switch(me)
            return
        self.block(me, ("sleep", me.index), timed=True, line=line, timeout=seconds)

    def _switch(self, me: Task) -> None:
        """Hand the turn to another runnable thread (seeded choice; the next one in order when
        serial), if any."""
        me.ran = 0
        others = [t for t in self._runnable() if t is not me]
        if self.held:
            others = [t for t in others if t.name not in self.held] or others
        if not others:
            return
        if self.in_line:
            later = [t for t in others if t.index > me.index]
            self._hand_over(me, (later or others)[0])
        else:
            self._hand_over(me, self.rng.choice(others))

    def block(self, me: Task, on: Any, *, timed: bool = False, line: int | None = None,
              timeout: float | None = None) -> bool:
        """Wait until `unblock(on)`; returns True if the wait timed out instead (after
        `timeout` virtual seconds, or as soon as nobody else can run if no timeout is given).
        A timeout of zero or less is a poll: it times out at once, as with real threads."""
        if me.sched is not self:  # a parked thread, adopted by another schedule since
            return me.sched.block(me, on, timed=timed, line=line, timeout=timeout)
        if timed and timeout is not None and timeout <= 0:
            return True
        me.state, me.waiting_on, me.timed, me.timed_out = BLOCKED, on, timed, False
        me.deadline = self.now + max(0.0, float(timeout)) if timed and timeout is not None else None
        self.waiters.setdefault(id(on), []).append(me)
        if self.recording:
            if isinstance(on, tuple) and on[:1] == ("sleep",):
                self.record(me, "sleep", line, f"{timeout:g} s")
            else:
                self.record(me, "block", line, self.lock_name(on))
        nxt = self._pick()
        if nxt is None:
            if not self.aborted:
                self._all_blocked()
            if not me.parked:
                raise Abort(self.aborted or "deadlock")
            me.go.acquire()  # until a later schedule of the world adopts it and gives it the turn
            me.sched._check(me)
        else:
            self._hand_over(me, nxt)
        timed_out, me.timed_out = me.timed_out, False
        return timed_out

    def _unwait(self, task: Task) -> None:
        waiting = self.waiters.get(id(task.waiting_on))
        if waiting is not None:
            try:
                waiting.remove(task)
            except ValueError:
                pass
            if not waiting:
                del self.waiters[id(task.waiting_on)]
        task.waiting_on = None

    def unblock(self, on: Any, n: int | None = None, key: int | None = None) -> None:
        """Wake the threads waiting on `on` (at most `n`: a released lock wakes one waiter, a
        seeded choice, instead of a herd that would block again). `key` is `id(on)` when the
        caller has it: `id()` raises an audit event, which the child's audit hook pays for."""
        key = id(on) if key is None else key
        waiting = self.waiters.get(key)
        if not waiting:
            return
        if n is None or n >= len(waiting):
            woken = waiting
            del self.waiters[key]
        else:
            woken = []
            for _ in range(n):
                index = 0 if self.in_line else self.rng.randrange(len(waiting))
                woken.append(waiting.pop(index))
        for t in woken:
            if t.state == BLOCKED and t.waiting_on is on:
                t.state, t.waiting_on = RUNNABLE, None

    # -- lock order (lockdep) ---------------------------------------------------------------
    def took(self, me: Task, lock: Any, line: int | None, blocking: bool) -> None:
        if blocking and me.held:
            for index, held in enumerate(me.held):
                if held is lock:
                    continue
                guards = {id(g) for g in me.held[:index]}
                key = (id(held), id(lock))
                self.edges.setdefault(key, {"thread": me.name, "line": line, "guards": guards,
                                            "first": self.lock_name(held), "second": self.lock_name(lock)})
                back = self.edges.get((id(lock), id(held)))
                if back and back["thread"] != me.name and not (back["guards"] & guards) \
                        and self.inversion is None:
                    self.inversion = {"a": back, "b": self.edges[key]}
        me.held.append(lock)
        if self.recording:
            self.record(me, "acquire", line, self.lock_name(lock))

    def released(self, me: Task | None, lock: Any, line: int | None) -> None:
        if me is None:
            return
        for index in range(len(me.held) - 1, -1, -1):
            if me.held[index] is lock:
                del me.held[index]
                break
        if self.recording:
            self.record(me, "release", line, self.lock_name(lock))

    # -- threads -------------------------------------------------------------------------
    def spawn(self, name: str, body: Callable[[], Any], thread: Any = None, *,
              started: bool | None = None, daemon: bool | None = None,
              start: Callable[[Callable[[], None]], Any] | None = None) -> Task:
        """A new thread of the schedule running `body`. `started`: the code under test started
        it (by default: it has a Thread object); `daemon`: the Thread's flag by default.
        `start` starts the OS thread (CPython 3.13's joinable threads need their handle)."""
        started = thread is not None if started is None else started
        if daemon is None:
            daemon = bool(getattr(thread, "daemon", False)) if thread is not None else False
        task = Task(name, len(self.tasks), thread=thread, started=started, daemon=daemon)
        task.sched = self
        task.last_ran = next(_TURNS)  # a thread not yet run is as fresh as its start
        parent = self.task()
        self.oracle.fork(parent.index if parent is not None else None, task.index)
        self.tasks.append(task)
        if started:
            self.spawned += 1
            self.alive += 1
            self.max_alive = max(self.max_alive, self.alive)
        self._follow()
        if start is None:
            _REAL_START_NEW_THREAD(self._bootstrap, (task, body))
        else:
            start(lambda: self._bootstrap(task, body))
        task.registered.acquire()
        return task

    def _bootstrap(self, task: Task, body: Callable[[], Any]) -> None:
        import threading

        task.ident = _thread.get_ident()
        task.native = _thread.get_native_id()
        self.by_ident[task.ident] = task
        if task.thread is not None:
            task.thread._ident = task.ident
            with threading._active_limbo_lock:  # type: ignore[attr-defined]
                threading._active[task.ident] = task.thread  # type: ignore[attr-defined]
        task.registered.release()
        task.go.acquire()
        try:
            if not task.sched.aborted:
                task.sched.record(task, "start", None)
                task.result = body()
            else:
                task.cut = True
        except Abort:
            task.cut = True
        except SystemExit as exc:  # CPython ignores it in a thread; the main thread's is the program's
            if task.root:
                from grader.probing import describe

                task.error = describe(exc, self.filename)
        except BaseException as exc:  # the student's exception: reported, never fatal here
            from grader.probing import describe

            task.error = describe(exc, self.filename)  # the full path: compared by real path
        finally:
            # The ident is free for the next thread once this one ends: nothing of this task may
            # stay registered under it (threading's table, current_thread()'s dummy, ours).
            with threading._active_limbo_lock:  # type: ignore[attr-defined]
                entry = threading._active.get(task.ident)  # type: ignore[attr-defined]
                if entry is not None and (entry is task.thread
                                          or isinstance(entry, threading._DummyThread)):  # type: ignore[attr-defined]
                    del threading._active[task.ident]  # type: ignore[attr-defined]
            task.sched._finish(task)

    def _finish(self, task: Task) -> None:
        task.state = DONE
        self.exited += 1
        if self.by_ident.get(task.ident) is task:  # type: ignore[arg-type]
            del self.by_ident[task.ident]  # type: ignore[arg-type]
        if task.started:
            self.alive -= 1
        if self.follow:
            self.unjoined.add(task.index)
            if self.watch is not None:
                self.watch.threads.pop(task.ident, None)  # an OS thread id is reused
            self._follow()
        if not self.aborted:
            self.record(task, "end", None)
            self.unblock(task)
            if (self.daemons_die or self.world is not None) and self._program_exits():
                return
            nxt = self._pick()
            if nxt is not None:
                self._give(task, nxt)
                return
            if not self.aborted and any(t.state == BLOCKED for t in self.tasks):
                self._all_blocked()
                return
        if self.exited == len(self.tasks) and self.finished.locked():
            self.finished.release()

    # -- ending a schedule -----------------------------------------------------------------
    def _program_exits(self) -> bool:
        """The main thread and every non-daemon thread have ended: the program exits (CPython's
        `threading._shutdown` joins only non-daemon threads) and its daemon threads die with it,
        whatever they were doing; what they would have printed later is lost."""
        left = [t for t in self.tasks if t.state != DONE]
        if not left or any(not t.daemon for t in left):
            return False
        if not self.daemons_die:  # a call into a module: its daemons live on (parked)
            self._abort("done")
            return True
        self.killed = [t.name for t in left]
        # Waiting with no timeout (an actor on its queue): idle, nothing of it is lost.
        self.killed_working = [t.name for t in left if t.state == RUNNABLE or t.timed]
        self._abort("done")
        return True

    def _all_blocked(self) -> None:
        """Nobody can run. A deadlock if a root body is stuck, or if threads wait for locks
        in a cycle (each holds what the next waits for: the program would never exit, even
        after its main thread ended); else idle helpers (a pool's workers waiting for work
        that will never come) are simply let go."""
        if any(t.root and t.state == BLOCKED for t in self.tasks) or self._lock_cycle():
            self._found_deadlock()
        else:
            self._abort("done")

    def _lock_cycle(self) -> bool:
        by_ident = {t.ident: t for t in self.tasks if t.ident is not None}
        for start in self.tasks:
            seen: set[int] = set()
            task: Task | None = start
            while task is not None and task.state == BLOCKED and task.index not in seen:
                seen.add(task.index)
                holder = getattr(task.waiting_on, "_owner", None)
                task = by_ident.get(holder) if holder is not None else None
                if task is start:
                    return True
        return False

    def _found_deadlock(self) -> None:
        frames = sys._current_frames()
        for t in self.tasks:
            if t.state != BLOCKED:
                continue
            waiting = t.waiting_on
            holder = getattr(waiting, "_owner", None)
            holder_name = next((o.name for o in self.tasks if o.ident == holder), None)
            if isinstance(waiting, Task):
                what = f"waits for {waiting.name} to finish (join)"
            else:
                what = f"waits for {self.lock_name(waiting)}"
                if holder_name == t.name:
                    what += ", which it already holds itself"
                elif holder_name:
                    what += f", held by {holder_name}"
            frame = frames.get(t.ident) if t.ident else None
            stack = student_stack(frame, self.filename, self.source_lines) if frame else []
            self.deadlock.append({"thread": t.name, "waits": what, "stack": stack})
        self._abort("deadlock")

    def stop(self, reason: str = "done") -> None:
        """End the schedule from inside it (the threads still running unwind at their next turn)."""
        self._abort(reason)

    def _abort(self, reason: str) -> None:
        if self.aborted:
            return
        self.aborted = reason
        if reason == "done" and self.world is not None:
            self._park()
        for t in self.tasks:
            if t.parked:
                continue
            if t.state != DONE and t.go.locked():
                try:
                    t.go.release()
                except RuntimeError:
                    pass
        if self.exited == len(self.tasks) and self.finished.locked():
            self.finished.release()

    def _park(self) -> None:
        """The schedule ends with threads of its world still alive: they wait, holding nothing of
        the grader's, for the next schedule of the same world (at most MAX_PARKED; more are let go)."""
        key = id(self.world)
        parked = PARKED.setdefault(key, (self.world, []))[1]  # type: ignore[arg-type]  # a world is set by then
        for t in self.tasks:
            if t.state == DONE or t.root or t.parked:
                continue
            t.parked, t.parked_now = True, self.now
            parked.append(t)
            self.exited += 1
            if self.by_ident.get(t.ident) is t:  # type: ignore[arg-type]
                del self.by_ident[t.ident]  # type: ignore[arg-type]
        if len(parked) > MAX_PARKED:
            # Too many: the ones that ran longest ago go (an earlier call's account worker,
            # waiting for messages nobody can send any more); they unwind in this schedule.
            parked.sort(key=lambda t: t.last_ran, reverse=True)
            for t in parked[MAX_PARKED:]:
                t.parked, t.sched = False, self
                if t not in self.tasks:
                    self.tasks.append(t)
                else:
                    self.exited -= 1
            del parked[MAX_PARKED:]

    def _adopt(self) -> None:
        """Take over the threads the world's last schedule parked, where they stood."""
        if self.world is None:
            return
        entry = PARKED.pop(id(self.world), None)
        if entry is None or entry[0] is not self.world:
            return
        for t in entry[1]:
            t.sched, t.parked, t.index = self, False, len(self.tasks)
            self.tasks.append(t)
            self.by_ident[t.ident] = t  # type: ignore[index]
            self.oracle.fork(None, t.index)  # what its world did before happened before
            if t.deadline is not None:
                t.deadline = max(0.0, t.deadline - t.parked_now) + self.now
            if t.state == BLOCKED and t.waiting_on is not None:
                self.waiters.setdefault(id(t.waiting_on), []).append(t)
            if t.started:
                self.alive += 1

    @contextlib.contextmanager
    def _active(self, first_stream: bool = False) -> Iterator[None]:
        """This schedule is the running one, with virtual time; afterwards the previous one,
        real hooks and the caller's `random` state are back. `first_stream`: the calling thread
        is the schedule's first thread and draws from its `random` stream."""
        global ACTIVE
        import random as random_module

        from grader.preempt import vtime

        previous, ACTIVE = ACTIVE, self
        self.cpu_start = time.process_time()
        saved_random = random_module.getstate()
        if first_stream:
            random_module.setstate(random.Random(f"{self.seed_base}:0").getstate())
        try:
            with vtime.installed():
                yield
        finally:
            ACTIVE = previous
            self._restore_hooks()
            random_module.setstate(saved_random)

    def run(self, bodies: list[tuple[str, Callable[[], Any]]]) -> Outcome:
        with self._active():
            for name, body in bodies:
                task = self.spawn(name, body, _RootThread.make(name), started=False, daemon=False)
                task.root = True
                task.thread._grader_task = task
            self._adopt()
            first = self._pick()
            if first is not None:
                self._give(None, first)
            self._wait()
        return self._outcome()

    def run_here(self, name: str, body: Callable[[], Any]) -> Outcome:
        """Run `body` as the schedule's first thread in the calling thread itself (a module's
        import: a fork or a signal handler there behaves as in a plain import), then wait for
        the threads it started, which are scheduled as in `run`."""
        task = Task(name, 0, root=True, ident=_thread.get_ident(), native=_thread.get_native_id())
        task.sched = self
        self.tasks.append(task)
        self._adopt()
        self.by_ident[task.ident] = task  # type: ignore[index]
        self.current = task
        with self._active(first_stream=True):
            try:
                self.record(task, "start", None)
                task.result = body()
            except Abort:
                pass
            except BaseException as exc:  # the student's exception: reported, never fatal here
                from grader.probing import describe

                task.error = describe(exc, self.filename)
            finally:
                self._finish(task)
                self.by_ident.pop(task.ident, None)  # type: ignore[arg-type]
            self._wait()
        return self._outcome()

    def _outcome(self) -> Outcome:
        status = "ok" if self.aborted in (None, "done") else self.aborted
        return Outcome(status, self.steps, self.events, self.deadlock, self.inversion, self.tasks,
                       self.now)

    def _wait(self) -> None:
        """Wait for the schedule to end. A thread holding the turn that makes no step for
        `stall_seconds` is blocked outside the grader's control ("stall"), but only if it is not
        computing: a long call in C, or a thread waiting for a CPU on a busy machine, is not a
        stall (whether it is one must not depend on the machine's load; one that never ends is
        cut by the sandbox's CPU-counted limit). A handed-over turn is a step too (the cheap
        modes count points only every `spin` of them)."""
        last, since, cpu_at = (-1, -1), time.monotonic(), time.process_time()
        while not self.finished.acquire(timeout=0.05):
            if (self.steps, self.turns) != last:
                last, since, cpu_at = (self.steps, self.turns), time.monotonic(), time.process_time()
            elif time.monotonic() - since > self.stall_seconds and self._computing(since, cpu_at):
                since, cpu_at = time.monotonic(), time.process_time()  # judged afresh from here
            elif time.monotonic() - since > self.stall_seconds:
                frames = sys._current_frames()
                for t in self.tasks:
                    if t.state != DONE and t.ident in frames:
                        stack = student_stack(frames[t.ident], self.filename, self.source_lines)
                        self.deadlock.append({"thread": t.name, "waits": "is blocked outside the "
                                              "grader's control", "stack": stack})
                self._abort("stall")
                self.finished.acquire(timeout=1.0)
                return
            if self.aborted and self.exited == len(self.tasks):
                return


    def _computing(self, since: float, cpu_at: float) -> bool:
        """Since `since`, did this process compute (CPU time at least IDLE_SHARE of the wall
        time), or is a thread of the schedule runnable now (state R: running, or ready and
        waiting for a CPU)?"""
        if time.process_time() - cpu_at >= IDLE_SHARE * (time.monotonic() - since):
            return True
        for t in self.tasks:
            if t.state != DONE and t.native is not None:
                try:
                    with open(f"/proc/self/task/{t.native}/stat", "rb") as f:
                        if f.read().rsplit(b")", 1)[1].split()[0] == b"R":
                            return True
                except (OSError, IndexError):
                    continue
        return False


IDLE_SHARE = 0.05  # CPU below this share of the wall time: the process was blocked, not computing


PARKED: dict[int, tuple[dict[str, Any], list[Task]]] = {}  # id(world) -> (world, parked threads)
MAX_PARKED = 64


def parked_in(world: dict[str, Any]) -> bool:
    """Threads of this module's world wait between two schedules (see Scheduler.world)."""
    entry = PARKED.get(id(world))
    return entry is not None and entry[0] is world and bool(entry[1])


_TURNS = itertools.count(1)


_REAL_START_NEW_THREAD = _thread.start_new_thread  # `_thread.start_new_thread` is patched while a schedule runs


class _RootThread:
    """What `threading.current_thread()` gives a schedule's root body: a non-daemon Thread
    named as the body (MainThread for a program), so the threads it starts are non-daemon by
    default, as those of a real main thread are (a dummy thread would make them daemons)."""

    @staticmethod
    def make(name: str) -> Any:
        import threading

        from grader.preempt.primitives import ORIGINAL

        thread = ORIGINAL["Thread"](name=name, daemon=False)
        try:
            thread._started.set()
        except Exception:  # a Thread this CPython lays out otherwise: only its name matters
            pass
        return thread


# Hooks the instrumented module calls; cheap no-ops when no schedule is running.
def hook_point(line: int) -> None:
    sched = ACTIVE
    if sched is not None:
        sched.point(line)


def hook_read(value: Any, label: str, line: int) -> Any:
    sched = ACTIVE
    if sched is not None:
        me = sched.task()
        if me is not None:
            if type(value) in (int, float):
                sched.record(me, "read", line, label, value)
            sched.point(None)
    return value


def hook_write(value: Any, label: str, line: int) -> Any:
    sched = ACTIVE
    if sched is not None:
        me = sched.task()
        if me is not None:
            if type(value) in (int, float):
                sched.record(me, "write", line, label, value)
    return value
