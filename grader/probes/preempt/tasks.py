"""The threads of a schedule: one `Task` per thread, and the table the scheduler keeps of them.

A leaf module (the stand-ins for `threading` and the scheduler both use it). The table holds the
tasks in the order they started (a task's index is its place there, its vector clock's id in the
oracle), who is waiting on which object, and the counts a program run reports (threads started,
at most alive at once).
"""
from __future__ import annotations

import _thread
import itertools
import traceback
import types
from dataclasses import dataclass, field
from typing import Any

from grader.probes.preempt.active import PLAIN, identity
from grader.probes.preempt.frames import code_of, getframe

RUNNABLE, BLOCKED, DONE = "runnable", "blocked", "done"
TURNS = itertools.count(1)  # orders every turn given, across schedules (`Task.last_ran`)


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
    random_state: Any = None  # its `random` state while another task runs (streams.Stream; None: its first)

    def __post_init__(self) -> None:
        self.go.acquire()
        self.registered.acquire()


class TaskTable:
    """The tasks of one schedule, by index and by OS thread, and who waits on what.

    The scheduler shares `tasks`, `by_ident` and `waiters` (the same objects) as attributes of
    its own: the hooks and the locks' short paths read them on every access and release."""

    def __init__(self) -> None:
        self.tasks: list[Task] = []
        self.by_ident: dict[int, Task] = {}
        self.waiters: dict[int, list[Task]] = {}  # identity(object) -> tasks blocked on it
        self.exited = 0  # tasks that ended (or were parked for a later schedule)
        self.alive = 0  # threads started by the code under test and not yet finished
        self.max_alive = 0
        self.spawned = 0

    def add(self, task: Task) -> None:
        self.tasks.append(task)
        if task.started:
            self.spawned += 1
            self.alive += 1
            self.max_alive = max(self.max_alive, self.alive)

    def live(self) -> int:
        """Tasks neither ended nor parked."""
        return len(self.tasks) - self.exited

    def runnable(self) -> list[Task]:
        return [t for t in self.tasks if t.state == RUNNABLE]

    def wait(self, task: Task, on: Any) -> None:
        self.waiters.setdefault(identity(on), []).append(task)

    def unwait(self, task: Task) -> None:
        """`task` no longer waits (a timed wait that ran out)."""
        waiting = self.waiters.get(identity(task.waiting_on))
        if waiting is not None:
            try:
                waiting.remove(task)
            except ValueError:
                pass
            if not waiting:
                del self.waiters[identity(task.waiting_on)]
        task.waiting_on = None

    def forget(self, task: Task) -> None:
        """`task`'s OS thread no longer runs for this schedule (ended or parked): its ident may
        be reused by the next thread."""
        if self.by_ident.get(task.ident) is task:  # type: ignore[arg-type]
            del self.by_ident[task.ident]  # type: ignore[arg-type]


def student_line(filename: str, depth: int = 2) -> int | None:
    """The line of the innermost frame of the student's file (compared by full path). The
    grader's own frames on the way (a lock's `__enter__`) are passed by their globals, without
    reading their code (an audit event in the child)."""
    frame: types.FrameType | None = getframe(depth)
    while frame is not None:
        if identity(frame.f_globals) not in PLAIN and code_of(frame).co_filename == filename:
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
