"""A deterministic cooperative scheduler over real threads.

Exactly one managed thread runs at a time; it hands the turn on only at scheduling points
(inserted into the student's code by `instrument`), when it blocks on a lock, condition,
semaphore, event or join, or when it ends. Which thread runs next is drawn from a generator
seeded by the caller, so a schedule depends on nothing but the seed and the code: replaying a
seed replays the interleaving, on any machine, however busy. Time only passes when every thread
is blocked: then a timed wait times out, and if none is timed the threads are deadlocked.
"""
from __future__ import annotations

import _thread
import random
import sys
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

from grader.preempt.oracle import RaceOracle

RUNNABLE, BLOCKED, DONE = "runnable", "blocked", "done"
MAX_EVENTS = 20_000


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
    held: list[Any] = field(default_factory=list)  # locks held, in the order taken
    error: dict[str, Any] | None = None
    result: Any = None
    thread: Any = None  # the threading.Thread object the student sees, if any
    root: bool = False  # one of the bodies the schedule was started with

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
    status: str  # ok | deadlock | steps | stall
    steps: int
    events: list[Event]
    deadlock: list[dict[str, Any]] = field(default_factory=list)
    inversion: dict[str, Any] | None = None
    tasks: list[Task] = field(default_factory=list)


ACTIVE: "Scheduler | None" = None


def student_line(filename: str, depth: int = 2) -> int | None:
    frame = sys._getframe(depth)
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
                 serial: bool = False, max_steps: int = 50_000, stall_seconds: float = 2.0) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.filename = filename
        self.source_lines = source.splitlines()
        self.switch = switch
        self.serial = serial
        self.max_steps = max_steps
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
        self.shared_writes = {"locked": 0, "unlocked": 0}  # by threads the code started
        self.oracle = RaceOracle()  # happens-before and atomicity, fed by the access hooks

    # -- bookkeeping ---------------------------------------------------------------------
    def task(self) -> Task | None:
        return self.by_ident.get(_thread.get_ident())

    def record(self, task: Task, kind: str, line: int | None, label: str = "", value: Any = None) -> None:
        if len(self.events) < MAX_EVENTS:
            self.events.append(Event(self.steps, task.name, kind, line, label, value))

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
        runnable = self._runnable()
        if not runnable:
            timed = [t for t in self.tasks if t.state == BLOCKED and t.timed]
            if not timed:
                return None
            chosen = timed[0] if self.serial else self.rng.choice(timed)
            chosen.state, chosen.timed_out, chosen.waiting_on = RUNNABLE, True, None
            return chosen
        if self.serial:
            return runnable[0]
        return self.rng.choice(runnable)

    def _hand_over(self, me: Task, nxt: Task) -> None:
        if nxt is me:
            return
        nxt.go.release()
        me.go.acquire()
        self._check(me)

    def point(self, line: int | None) -> None:
        me = self.task()
        if me is None:
            return
        self._check(me)
        self.steps += 1
        self.clock += 1
        if self.steps > self.max_steps:
            self._abort("steps")
            raise Abort("steps")
        if line is not None:
            self.record(me, "line", line)
        if not self.serial and self.rng.random() < self.switch:
            self._switch(me)

    def yield_now(self, line: int | None) -> None:
        """A forced switch (time.sleep in student code): someone else runs if anyone can."""
        me = self.task()
        if me is None:
            return
        self._check(me)
        self.steps += 1
        if not self.serial:
            self._switch(me)

    def _switch(self, me: Task) -> None:
        """Hand the turn to a seeded choice among the other runnable threads, if any."""
        others = [t for t in self._runnable() if t is not me]
        if others:
            self._hand_over(me, self.rng.choice(others))

    def block(self, me: Task, on: Any, *, timed: bool = False, line: int | None = None) -> bool:
        """Wait until `unblock(on)`; returns True if the wait timed out instead."""
        me.state, me.waiting_on, me.timed, me.timed_out = BLOCKED, on, timed, False
        self.record(me, "block", line, self.lock_name(on))
        nxt = self._pick()
        if nxt is None:
            self._all_blocked()
            raise Abort(self.aborted or "deadlock")
        self._hand_over(me, nxt)
        timed_out, me.timed_out = me.timed_out, False
        return timed_out

    def unblock(self, on: Any) -> None:
        for t in self.tasks:
            if t.state == BLOCKED and t.waiting_on is on:
                t.state, t.waiting_on = RUNNABLE, None

    # -- lock order (lockdep) ---------------------------------------------------------------
    def took(self, me: Task, lock: Any, line: int | None, blocking: bool) -> None:
        if blocking:
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
        self.record(me, "acquire", line, self.lock_name(lock))

    def released(self, me: Task | None, lock: Any, line: int | None) -> None:
        if me is None:
            return
        for index in range(len(me.held) - 1, -1, -1):
            if me.held[index] is lock:
                del me.held[index]
                break
        self.record(me, "release", line, self.lock_name(lock))

    # -- threads -------------------------------------------------------------------------
    def spawn(self, name: str, body: Callable[[], Any], thread: Any = None) -> Task:
        task = Task(name, len(self.tasks), thread=thread)
        parent = self.task()
        self.oracle.fork(parent.index if parent is not None else None, task.index)
        self.tasks.append(task)
        if thread is not None:
            self.spawned += 1
            self.alive += 1
            self.max_alive = max(self.max_alive, self.alive)
        _thread.start_new_thread(self._bootstrap, (task, body))
        task.registered.acquire()
        return task

    def _bootstrap(self, task: Task, body: Callable[[], Any]) -> None:
        import threading

        task.ident = _thread.get_ident()
        self.by_ident[task.ident] = task
        if task.thread is not None:
            task.thread._ident = task.ident
            with threading._active_limbo_lock:  # type: ignore[attr-defined]
                threading._active[task.ident] = task.thread  # type: ignore[attr-defined]
        task.registered.release()
        task.go.acquire()
        try:
            if not self.aborted:
                self.record(task, "start", None)
                task.result = body()
        except Abort:
            pass
        except BaseException as exc:  # the student's exception: reported, never fatal here
            from grader.probing import describe

            task.error = describe(exc, self.filename)
        finally:
            if task.thread is not None:
                with threading._active_limbo_lock:  # type: ignore[attr-defined]
                    threading._active.pop(task.ident, None)  # type: ignore[attr-defined]
            self._finish(task)

    def _finish(self, task: Task) -> None:
        task.state = DONE
        self.exited += 1
        if task.thread is not None:
            self.alive -= 1
        if not self.aborted:
            self.record(task, "end", None)
            self.unblock(task)
            nxt = self._pick()
            if nxt is not None:
                nxt.go.release()
                return
            if any(t.state == BLOCKED for t in self.tasks):
                self._all_blocked()
                return
        if self.exited == len(self.tasks) and self.finished.locked():
            self.finished.release()

    # -- ending a schedule -----------------------------------------------------------------
    def _all_blocked(self) -> None:
        """Nobody can run. A deadlock if a root body is stuck; else idle helpers (a pool's
        workers waiting for work that will never come) are simply let go."""
        if any(t.root and t.state == BLOCKED for t in self.tasks):
            self._found_deadlock()
        else:
            self._abort("done")

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

    def _abort(self, reason: str) -> None:
        if self.aborted:
            return
        self.aborted = reason
        for t in self.tasks:
            if t.state != DONE and t.go.locked():
                try:
                    t.go.release()
                except RuntimeError:
                    pass
        if self.exited == len(self.tasks) and self.finished.locked():
            self.finished.release()

    def run(self, bodies: list[tuple[str, Callable[[], Any]]]) -> Outcome:
        global ACTIVE
        previous, ACTIVE = ACTIVE, self
        try:
            for name, body in bodies:
                self.spawn(name, body).root = True
            first = self._pick()
            if first is not None:
                first.go.release()
            self._wait()
        finally:
            ACTIVE = previous
        status = "ok" if self.aborted in (None, "done") else self.aborted
        return Outcome(status, self.steps, self.events, self.deadlock, self.inversion, self.tasks)

    def _wait(self) -> None:
        last, since = -1, time.monotonic()
        while not self.finished.acquire(timeout=0.05):
            if self.steps != last:
                last, since = self.steps, time.monotonic()
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
            if me.thread is not None:
                sched.shared_writes["locked" if me.held else "unlocked"] += 1
    return value
