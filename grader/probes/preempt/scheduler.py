"""A deterministic cooperative scheduler over real threads.

Exactly one managed thread runs at a time; it hands the turn on only at scheduling points
(inserted into the student's code by `instrument`), when it blocks on a lock, condition,
semaphore, event or join, or when it ends. Which thread runs next is drawn from a generator
seeded by the caller (grader/probes/preempt/choice.py), so a schedule depends on nothing but the seed
and the code: replaying a seed replays the interleaving, on any machine, however busy.

Time is virtual (`now`, in seconds): it passes only when every thread is blocked, and then jumps
to the earliest deadline of a timed wait or a `sleep`, so sleeping costs nothing and a program's
timing is the same on any machine. If no wait is timed the threads are deadlocked. A program that
never ends is stopped once `time_limit` virtual seconds or `max_steps` points have passed.

Cost: the first `budget` points are recorded and may switch threads (seeded, as PCT does);
after that the schedule is *quiet* or, in a program run, *watches* (grader/probes/preempt/modes.py). A
run with `stop_at_budget` ends there instead, judged on what it recorded.

The scheduler composes the parts of its job: the task table (tasks.py), the choice of the next
thread (choice.py), the event log (events.py), the lock graph and deadlocks (lockgraph.py), the
shared sites (sites.py), the modes and their hooks (modes.py), threads parked between two
schedules of a world (parking.py), the wait for its end with the stall watchdog (stall.py), the
waits no loop re-checks (wakeups.py), and the race oracle (oracle.py). What the hooks and the locks' short paths read on every access
(`fast`, `watching`, `tasks`, `by_ident`, `waiters`, `current`, `countdown`, `record`) are
plain attributes of the scheduler itself, shared with the part that owns them.
"""
from __future__ import annotations

import _thread
import contextlib
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from grader.probes.preempt import active, parking, streams, vtime
from grader.probes.preempt.active import identity, mark_plain
from grader.probes.preempt.choice import Chooser
from grader.probes.preempt.events import Event, EventLog
from grader.probes.preempt.lockgraph import LockGraph
from grader.probes.preempt.modes import Modes
from grader.probes.preempt.oracle import RaceOracle
from grader.probes.preempt.primitives import ORIGINAL
from grader.probes.preempt.sites import SharedSites
from grader.probes.preempt.stall import wait_for_end
from grader.probes.preempt.tasks import BLOCKED, DONE, RUNNABLE, TURNS, Abort, Task, TaskTable
from grader.probes.preempt.wakeups import Wakeups
from grader.probes.probing import describe

mark_plain(globals())  # a frame of this module is never the student's (active.PLAIN)
_REAL_START_NEW_THREAD = _thread.start_new_thread  # `_thread.start_new_thread` is patched while a schedule runs


@dataclass
class Outcome:
    status: str  # ok | deadlock | stall, or stopped: time | steps | budget | input (see answers.py)
    steps: int
    events: list[Event]
    deadlock: list[dict[str, Any]] = field(default_factory=list)
    inversion: dict[str, Any] | None = None
    tasks: list[Task] = field(default_factory=list)
    now: float = 0.0  # virtual seconds the run lasted


def _unwatched(*args: Any) -> None:
    """The watch's lock bookkeeping before a watch exists (never called: nothing watches)."""


class Scheduler:
    """One schedule of the code under test.

    `serial`: threads switch only when they block, sleep, yield or end. `ordered` (with serial):
    the next thread is the first in line; without it, a seeded choice, so seeded serial runs
    reach the ends other legitimate orders reach (who got the last money). `daemons_die`: the
    schedule is a whole program, which exits as CPython's does: once the main thread and every
    non-daemon thread have ended, daemon threads (and threads started with `_thread`) are killed
    where they stand. `cpu_limit`: CPU seconds the run may use past its budget before it is
    stopped (status "steps"), checked every `spin` quiet points: a program that never ends and
    never sleeps is cut by it, however many points a finite one needs. `behind`: threads (by
    name) held back from a line of the student's file on (None: from their start): they run
    only when nobody else can, handing the turn on at every point; the order in which a notify
    can come before the wait it was meant for (see wakeups.py). `world`: the namespace of the
    module whose code the schedule runs; threads still alive when it ends (a module-level actor
    waiting on its queue, an executor's idle workers) are parked, not killed, and the next
    schedule of the same world adopts them, as they live on between two calls in a real process
    (parking.py). `follow`: the mode follows the threads (modes.py); a run with
    `stop_at_budget` then also stops after `quiet_limit` points outside its sample (a long
    warm-up is not sampled at all)."""

    def __init__(self, seed: int, *, filename: str, source: str = "", switch: float = 0.5,
                 serial: bool = False, max_steps: int = 50_000, stall_seconds: float = 2.0,
                 budget: int | None = None, stop_at_budget: bool = False, spin: int = 10_000,
                 time_limit: float | None = None, ordered: bool = True,
                 daemons_die: bool = False, cpu_limit: float | None = None,
                 behind: dict[str, int | None] | None = None,
                 world: dict[str, Any] | None = None, follow: bool = False,
                 quiet_limit: int = 50_000) -> None:
        self.filename, self.source_lines = filename, source.splitlines()
        self.switch, self.serial, self.spin = switch, serial, spin
        self.max_steps, self.time_limit, self.stall_seconds = max_steps, time_limit, stall_seconds
        self.cpu_limit, self.cpu_start = cpu_limit, 0.0  # process CPU time when it started
        self.daemons_die, self.world = daemons_die, world
        self.choice = Chooser(seed, serial and ordered, behind)
        self.table = TaskTable()
        self.tasks, self.by_ident, self.waiters = self.table.tasks, self.table.by_ident, self.table.waiters
        self.log = EventLog(filename, self)
        self.record = self.log.record  # called for every point and access of the sampled part
        self.locks = LockGraph()
        self.sites = SharedSites()
        self.oracle = RaceOracle()  # happens-before and atomicity, fed by the access hooks
        self.modes = Modes(self, follow=follow, budget=max_steps if budget is None else budget,
                           stop_at_budget=stop_at_budget, quiet_limit=quiet_limit)
        self.oracle.on_join = self.modes.update
        self.fast = False  # quiet or watching: no recording, no forced switches, locks' short path
        self.watching = False  # the cheap watch: clocks kept by every lock, start and join
        self.watch_acquire: Callable[[Any, int], None] = _unwatched  # the watch's, once it exists
        self.watch_release: Callable[[Any], None] = _unwatched
        self.steps = 0
        self.clock = 0  # orders every point and every recorded call/return: one thread runs at a time
        self.now = 0.0  # virtual seconds since the schedule started
        self.aborted: str | None = None
        self.deadlock: list[dict[str, Any]] = []
        self.finished = _thread.allocate_lock()
        self.finished.acquire()
        self.current: Task | None = None  # the thread given the turn last (the running one)
        self.turns = 0  # turns handed over: progress the stall watchdog sees in the cheap modes
        self.countdown = spin  # quiet points left before the running thread hands the turn on
        self.killed: list[str] = []  # daemon threads still alive when the program exited
        self.killed_working: list[str] = []  # of those, the ones not idly waiting for work
        self.wakeups = Wakeups(self.source_lines)  # unchecked waits, tried again with `behind`
        self.on_release: Callable[[Task, Any], None] | None = None  # a probe's gap hold (gaps.py)

    # -- bookkeeping ---------------------------------------------------------------------
    def task(self) -> Task | None:
        return self.by_ident.get(_thread.get_ident())

    def name_lock(self, lock: Any, name: str) -> None:
        """What the grader calls a lock (`account.lock`) in its feedback."""
        self.locks.name(lock, name)

    def add_namespace(self, ns: dict[str, Any]) -> None:
        """An instrumented namespace whose hooks follow the schedule's mode."""
        self.modes.hooks.namespaces.append(ns)

    def tick(self) -> int:
        self.clock += 1
        return self.clock

    def _check(self, task: Task) -> None:
        if self.aborted:
            raise Abort(self.aborted)

    # -- the turn ------------------------------------------------------------------------
    def _pick(self) -> Task | None:
        """Who runs next. When nobody can, virtual time jumps to the earliest deadline; past
        the time limit the run is stopped (None, with `aborted` set)."""
        runnable = self.table.runnable()
        if runnable:
            return self.choice.next_of(runnable)
        timed = [t for t in self.tasks if t.state == BLOCKED and t.timed]
        if not timed:
            return None
        soonest = min(self.now if t.deadline is None else t.deadline for t in timed)
        due = [t for t in timed if (self.now if t.deadline is None else t.deadline) <= soonest]
        self.now = max(self.now, soonest)
        if self.time_limit is not None and self.now > self.time_limit:
            self._abort("time")
            return None
        chosen = self.choice.first_due(due)
        self.table.unwait(chosen)
        chosen.state, chosen.timed_out = RUNNABLE, True
        return chosen

    def _give(self, me: Task | None, nxt: Task) -> None:
        """Pass the turn: each thread keeps its own `random` stream, so what a thread draws
        does not depend on how the threads interleave."""
        if me is not None:
            me.random_state = streams.save(me.random_state)
        if nxt.random_state is None:
            streams.load_first(nxt.index)  # by index only
        else:
            streams.load(nxt.random_state)
        nxt.ran = 0
        nxt.last_ran = next(TURNS)
        self.countdown = self.spin
        self.current = nxt
        self.turns += 1
        if self.fast:
            self.modes.turn()
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
                self.modes.update()
                self._switch(me)
            elif self.steps > self.max_steps:
                self._abort("steps")
                raise Abort("steps")
            return
        modes = self.modes
        if modes.follow:
            if modes.sampled_point():
                return
        elif self.steps > modes.budget:
            modes.budget_spent()
            if self.aborted:
                raise Abort(self.aborted)
            return
        if line is not None:
            self.record(me, "line", line)
        me.ran += 1
        choice = self.choice
        if choice.behind:
            choice.hold(me, line)
        if choice.held and me.name in choice.held:
            self._switch(me)
        elif self.serial:
            if me.ran >= self.spin:
                self._switch(me)
        elif choice.rng.random() < self.switch:  # a forced switch, the seeded coin of this point
            self._switch(me)

    def spun(self) -> None:
        """`spin` quiet points ran in one thread: check the limits and hand the turn on."""
        self.countdown = self.spin
        self.steps += self.spin
        if self.aborted:
            raise Abort(self.aborted)
        self._check_limits()
        self.modes.update()
        me = self.task()
        if self.fast:
            self.modes.turn(concurrent_only=True)
        if me is not None:
            self._switch(me)

    def _check_limits(self) -> None:
        """Past the budget: stop at `max_steps` points or `cpu_limit` CPU seconds (a run that
        stops at its budget: after `quiet_limit` points outside its sample)."""
        modes = self.modes
        if modes.follow and modes.stop_at_budget and self.steps > modes.quiet_limit:
            self._abort("budget")
            raise Abort("budget")
        if self.steps > self.max_steps or self.cpu_limit is not None \
                and time.process_time() - self.cpu_start > self.cpu_limit:
            self._abort("steps")
            raise Abort("steps")

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
        """Hand the turn to another runnable thread, if any."""
        me.ran = 0
        nxt = self.choice.other(me, self.table.runnable())
        if nxt is not None:
            self._hand_over(me, nxt)

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
        self.table.wait(me, on)
        if self.log.recording:
            if isinstance(on, tuple) and on[:1] == ("sleep",):
                self.record(me, "sleep", line, f"{timeout:g} s")
            else:
                self.record(me, "block", line, self.locks.label(on))
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

    def unblock(self, on: Any, n: int | None = None, key: int | None = None) -> None:
        """Wake the threads waiting on `on` (at most `n`: a released lock wakes one waiter, a
        seeded choice, instead of a herd that would block again). `key` is `identity(on)` when
        the caller has it (one call less per release)."""
        key = identity(on) if key is None else key
        waiting = self.waiters.get(key)
        if not waiting:
            return
        if n is None or n >= len(waiting):
            woken = waiting
            del self.waiters[key]
        else:
            woken = self.choice.woken(waiting, n)
        for t in woken:
            if t.state == BLOCKED and t.waiting_on is on:
                t.state, t.waiting_on = RUNNABLE, None

    # -- locks ---------------------------------------------------------------------------
    def took(self, me: Task, lock: Any, line: int | None, blocking: bool) -> None:
        if blocking and me.held:
            self.locks.order(me, lock, line)
        me.held.append(lock)
        if not self.fast:  # the sampled part: an interleaving of the lock's holders (coverage.py)
            self.oracle.coverage.acquired(me.index, lock, self.filename, line,
                                          self.locks.label(lock) if line is None else "")
        if self.log.recording:
            self.record(me, "acquire", line, self.locks.label(lock))

    def released(self, me: Task | None, lock: Any, line: int | None) -> None:
        if me is None:
            return
        for index in range(len(me.held) - 1, -1, -1):
            if me.held[index] is lock:
                del me.held[index]
                break
        if self.log.recording:
            self.record(me, "release", line, self.locks.label(lock))
        if self.on_release is not None:
            self.on_release(me, lock)

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
        task.last_ran = next(TURNS)  # a thread not yet run is as fresh as its start
        parent = self.task()
        self.oracle.fork(parent.index if parent is not None else None, task.index)
        self.table.add(task)
        self.modes.update()
        if start is None:
            _REAL_START_NEW_THREAD(self._bootstrap, (task, body))
        else:
            start(lambda: self._bootstrap(task, body))
        task.registered.acquire()
        return task

    def _bootstrap(self, task: Task, body: Callable[[], Any]) -> None:
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
                task.error = describe(exc, self.filename)
        except BaseException as exc:  # the student's exception: reported, never fatal here
            task.error = describe(exc, self.filename)  # the full path: compared by real path
        finally:
            _unregister(task)
            task.sched._finish(task)

    def _finish(self, task: Task) -> None:
        task.state = DONE
        self.table.exited += 1
        self.table.forget(task)
        if task.started:
            self.table.alive -= 1
        if self.modes.follow:
            self.modes.ended(task)
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
        if self.table.exited == len(self.tasks) and self.finished.locked():
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
        if any(t.root and t.state == BLOCKED for t in self.tasks) or self.locks.cycle(self.tasks):
            self.deadlock.extend(self.locks.deadlock(self.tasks, self.filename, self.source_lines))
            self._abort("deadlock")
        else:
            self._abort("done")

    def stop(self, reason: str = "done") -> None:
        """End the schedule from inside it (the threads still running unwind at their next turn)."""
        self._abort(reason)

    def _abort(self, reason: str) -> None:
        if self.aborted:
            return
        self.aborted = reason
        if reason == "done" and self.world is not None:
            parking.park(self, self.world)
        for t in self.tasks:
            if t.parked:
                continue
            if t.state != DONE and t.go.locked():
                try:
                    t.go.release()
                except RuntimeError:
                    pass
        if self.table.exited == len(self.tasks) and self.finished.locked():
            self.finished.release()

    @contextlib.contextmanager
    def _active(self, first_stream: bool = False) -> Iterator[None]:
        """This schedule is the running one, with virtual time; afterwards the previous one,
        real hooks and the caller's `random` state are back. `first_stream`: the calling thread
        is the schedule's first thread and draws from its `random` stream."""
        previous, active.ACTIVE = active.ACTIVE, self
        self.cpu_start = time.process_time()
        saved_random = streams.save(None)
        if first_stream:
            streams.load_first(0)
        try:
            with vtime.installed():
                yield
        finally:
            active.ACTIVE = previous
            self.modes.restore()
            streams.load(saved_random)

    def run(self, bodies: list[tuple[str, Callable[[], Any]]]) -> Outcome:
        with self._active():
            for name, body in bodies:
                task = self.spawn(name, body, _root_thread(name), started=False, daemon=False)
                task.root = True
                task.thread._grader_task = task
            if self.world is not None:
                parking.adopt(self, self.world)
            first = self._pick()
            if first is not None:
                self._give(None, first)
            wait_for_end(self)
        return self._outcome()

    def run_here(self, name: str, body: Callable[[], Any]) -> Outcome:
        """Run `body` as the schedule's first thread in the calling thread itself (a module's
        import: a fork or a signal handler there behaves as in a plain import), then wait for
        the threads it started, which are scheduled as in `run`."""
        task = Task(name, 0, root=True, ident=_thread.get_ident(), native=_thread.get_native_id())
        task.sched = self
        self.tasks.append(task)
        if self.world is not None:
            parking.adopt(self, self.world)
        self.by_ident[task.ident] = task  # type: ignore[index]
        self.current = task
        with self._active(first_stream=True):
            try:
                self.record(task, "start", None)
                task.result = body()
            except Abort:
                pass
            except BaseException as exc:  # the student's exception: reported, never fatal here
                task.error = describe(exc, self.filename)
            finally:
                self._finish(task)
                self.by_ident.pop(task.ident, None)  # type: ignore[arg-type]
            wait_for_end(self)
        return self._outcome()

    def _outcome(self) -> Outcome:
        status = "ok" if self.aborted in (None, "done") else self.aborted
        return Outcome(status, self.steps, self.log.events, self.deadlock, self.locks.inversion,
                       self.tasks, self.now)


def _unregister(task: Task) -> None:
    """The ident is free for the next thread once this one ends: nothing of this task may stay
    registered under it (threading's table, current_thread()'s dummy, ours)."""
    with threading._active_limbo_lock:  # type: ignore[attr-defined]
        entry = threading._active.get(task.ident)  # type: ignore[attr-defined]
        if entry is not None and (entry is task.thread
                                  or isinstance(entry, threading._DummyThread)):  # type: ignore[attr-defined]
            del threading._active[task.ident]  # type: ignore[attr-defined]


def _root_thread(name: str) -> Any:
    """What `threading.current_thread()` gives a schedule's root body: a non-daemon Thread
    named as the body (MainThread for a program), so the threads it starts are non-daemon by
    default, as those of a real main thread are (a dummy thread would make them daemons)."""
    thread = ORIGINAL["Thread"](name=name, daemon=False)
    try:
        thread._started.set()
    except Exception:  # a Thread this CPython lays out otherwise: only its name matters
        pass
    return thread
