"""Run a student's file as the program it is, under the cooperative scheduler.

Whatever the program's shape (top-level threads, `main()` called from the `__main__` guard,
`Thread` subclasses, executors), running the file as `__main__` does what running it does. Under
the scheduler its sleeps are virtual, its threads are scheduled by seed, `input()` answers from a
scripted session (grader/probes/preempt/answers.py) and `sys.argv` is just the file; a program that never ends is stopped after a fixed span of
virtual time (or, if it never sleeps, of CPU time) and judged on what it did until then. There is
no step limit: past its sampled part a program runs with cheap hooks, so one that ends natively
in t seconds ends here too, in a few t (the 10 t + 1 s target of bench/size_bench.py).

The module's own import (for the contract checks) goes through `exec_quietly`: the same
scheduler, serial, so that top-level threads and sleeps at import cost no real time either.
"""
from __future__ import annotations

import _thread
import builtins
import collections
import contextlib
import errno
import math
import os
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from grader.probes.preempt import active, streams
from grader.probes.preempt.access import student_globals
from grader.probes.preempt.active import mark_plain
from grader.probes.preempt.answers import INPUT_STOP, Session, answers_of
from grader.probes.preempt.frames import code_of, getframe
from grader.probes.preempt.instrument import INSTRUMENTED, instrument
from grader.probes.preempt.logstate import fresh_logging
from grader.probes.preempt.modes import QUIET
from grader.probes.preempt.primitives import installed, patched, restart_names
from grader.probes.preempt.scheduler import Outcome, Scheduler
from grader.probes.preempt.siblings import siblings, submission_attrs
from grader.probes.preempt.tasks import RUNNABLE, Abort

mark_plain(globals())  # a frame of this module is never the student's (active.PLAIN)
TIME_LIMIT = 300.0  # virtual seconds a program may run before it is stopped (a simulation)
RUN_SECONDS = 60.0  # CPU seconds a program run may take (a busy loop that never ends): a program
# of 2 x 10^7 locked updates (about 4 s natively) takes about a third of it
MAX_STEPS = 12_000_000  # scheduling points of a run not run to its end (contract calls, downloaders)
SERIAL_BUDGET = 12_000  # points recorded in the reference run before it goes quiet
FORCED_BUDGET = 2_000  # points of a forced-switch run; it stops there (a sample)


def _printing_line() -> int | None:
    """The line of the instrumented file (the submission or a helper) that is printing."""
    frame: types.FrameType | None = getframe(2)
    while frame is not None and code_of(frame).co_filename not in INSTRUMENTED:
        frame = frame.f_back
    return frame.f_lineno if frame is not None else None


class Output:
    """Collects what the program prints (stdout and stderr), and whether the main thread
    printed each piece. A program printing a line per operation can print far more than is
    worth keeping: the first `limit` characters are kept and the last `tail` ones (the middle
    is dropped), so that the end it printed, its final balance, is always what is judged."""

    def __init__(self, sched: Scheduler, limit: int = 20_000, tail: int = 20_000) -> None:
        self.sched, self.size, self.limit, self.tail_limit = sched, 0, limit, tail
        # (printed by the main thread, text, while threads it started ran, source line if main)
        self.head: list[tuple[bool, str, bool, int | None]] = []
        self.tail: collections.deque[tuple[bool, str, bool, int | None]] = collections.deque()
        self.tail_size = 0
        self.dropped_sources: set[int] = set()  # lines that printed the main thread's dropped text
        self.dropped = False

    def write(self, text: str) -> int:
        text = str(text)
        me = self.sched.task()
        main = me is None or me.root
        part = (main, text, main and bool(self.sched.table.alive), _printing_line() if main else None)
        if self.size < self.limit:
            self.head.append(part)
            self.size += len(text)
            return len(text)
        if len(text) > self.tail_limit:
            part = (part[0], text[-self.tail_limit:], part[2], part[3])
        self.tail.append(part)
        self.tail_size += len(part[1])
        while self.tail_size > self.tail_limit and len(self.tail) > 1:
            gone = self.tail.popleft()
            self.tail_size -= len(gone[1])
            self.dropped = True
            if gone[3] is not None:
                self.dropped_sources.add(gone[3])
        return len(text)

    def _parts(self) -> list[tuple[bool, str, bool, int | None]]:
        gap = [(True, "\n", False, None)] if self.dropped else []  # a dropped middle ends a line
        return [*self.head, *gap, *self.tail]

    def main_result(self) -> tuple[str, set[int], set[int]]:
        """The main thread's last non-empty line, the source lines that printed it, and the
        source lines that printed its other lines (for the race oracle's racy-result finding)."""
        lines: list[tuple[str, set[int]]] = []
        current, sources = "", set()
        for main, text, _, line in self._parts():
            if not main:
                continue
            for piece in text.splitlines(keepends=True):
                current += piece
                if line is not None:
                    sources.add(line)
                if piece.endswith("\n"):
                    lines.append((current.rstrip("\n"), sources))
                    current, sources = "", set()
        if current:
            lines.append((current, sources))
        lines = [(t, s) for t, s in lines if t.strip()]
        if not lines:
            return "", set(), set(self.dropped_sources)
        return lines[-1][0], lines[-1][1], {n for _, s in lines[:-1] for n in s} | self.dropped_sources

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def text(self) -> str:
        return "".join(t for _, t, _, _ in self._parts())

    def last_line(self) -> tuple[bool, str, bool]:
        """The last non-blank line: whether the main thread printed it, its text, and whether
        threads the program started were still running when it was printed."""
        lines: list[tuple[bool, str, bool]] = []
        current, by_main, early = "", True, False
        for main, text, alive, _ in self._parts():
            for piece in text.splitlines(keepends=True):
                current += piece
                by_main = by_main and main
                early = early or alive
                if piece.endswith("\n"):
                    lines.append((by_main, current.rstrip("\n"), early))
                    current, by_main, early = "", True, False
        if current:
            lines.append((by_main, current, early))
        lines = [line for line in lines if line[1].strip()]
        return lines[-1] if lines else (True, "", False)


@dataclass
class ProgramOutcome:
    """One run of the program: the schedule's outcome, its namespace and what it printed."""

    outcome: Outcome
    sched: Scheduler
    namespace: dict[str, Any]
    output: Output
    session: Session | None = None  # the scripted answers `input()` gave

    @property
    def stopped(self) -> str | None:
        """Why the grader stopped a program that had not ended (None if it ended by itself)."""
        return {"time": f"still running after {self.sched.now:g} s of (virtual) time",
                "steps": "still running after the grader's step limit" if self.sched.cpu_limit is None
                else f"still running after {self.sched.cpu_limit:g} s of computing without sleeping",
                "budget": "stopped after the grader's sample of forced thread switches",
                INPUT_STOP: "waiting for more input than the grader's scripted session gives"}.get(
            self.outcome.status)


@contextlib.contextmanager
def program_environment(path: str, *, fork: bool = True,
                        answers: tuple[str, ...] | None = None) -> Iterator[Session]:
    """What a program sees of its process while it runs under the scheduler: a scripted session
    for `input()` and stdin (see grader/probes/preempt/answers.py), no arguments but its file, and
    `signal.signal` answered without installing anything (the program's main thread is a scheduled thread, where the real one raises ValueError; a
    handler a program sets, such as ignoring SIGTERM, has no business in the grader's child).
    Without `fork`, `os.fork` fails with EAGAIN: a process forked from a scheduled thread would
    run outside the schedule (a fork bomb stops at once; the sandbox's process cap stays the real
    limit). An import runs in the child's main thread and may fork, as a plain import would."""
    import signal

    def no_fork() -> int:
        raise BlockingIOError(errno.EAGAIN, "fork is not available to a program the grader runs")

    saved = sys.stdin, sys.argv, signal.signal, os.fork, builtins.input
    session = Session(answers_of(None) if answers is None else answers)
    sys.stdin = session.stdin
    builtins.input = session.input
    sys.argv = [path]
    signal.signal = lambda signum, handler: signal.getsignal(signum)  # type: ignore[assignment]
    if not fork:
        os.fork = no_fork
    try:
        yield session
    finally:
        sys.stdin, sys.argv, signal.signal, os.fork, builtins.input = saved


def run_program(code: Any, path: str, source: str, seed: int, *, serial: bool, switch: float = 0.1,
                budget: int = SERIAL_BUDGET, stop_at_budget: bool = False,
                time_limit: float = TIME_LIMIT, max_steps: float = MAX_STEPS,
                cpu_limit: float | None = None,
                namespace: dict[str, Any] | None = None, ordered: bool = True,
                answers: tuple[str, ...] | None = None,
                daemons_die: bool = True, behind: dict[str, int | None] | None = None) -> ProgramOutcome:
    """Execute `code` (the file, instrumented or not) as `__main__` under one schedule. The
    program exits as CPython's does (`daemons_die`): once its main thread and non-daemon threads
    have ended; without it, daemon threads run on too (to see whether they would have ended)."""
    sched = Scheduler(seed, filename=path, source=source, switch=switch, serial=serial,
                      max_steps=max_steps, stall_seconds=3.0, budget=budget,  # type: ignore[arg-type]
                      stop_at_budget=stop_at_budget, spin=10_000, time_limit=time_limit,
                      ordered=ordered, daemons_die=daemons_die, cpu_limit=cpu_limit,
                      behind=behind, follow=True)
    ns = namespace if namespace is not None else {}
    ns.setdefault("__name__", "__main__")
    ns.setdefault("__file__", path)
    ns.setdefault("__builtins__", builtins)
    sched.add_namespace(ns)
    out = Output(sched)
    result = ProgramOutcome(None, sched, ns, out)  # type: ignore[arg-type]

    def main() -> None:
        try:
            with siblings(Path(path)):  # helper modules it imports: instrumented too
                exec(code, ns)
        except SystemExit as exc:  # exit(0) ends the program as its end does; another code is its error
            if exc.code not in (None, 0):
                raise
        finally:
            if not sched.aborted:
                shut_down_executors(sched)

    # stdout and stderr (print, `logging`, `print(..., file=sys.stderr)`) are one output, in the
    # order written, as on a terminal: a balance reported through logging is printed too
    saved = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = out  # type: ignore[assignment]
    try:
        with fresh_logging(), program_environment(path, fork=False, answers=answers) as session, \
                patched([ns]):
            result.session = session
            result.outcome = sched.run([("MainThread", main)])
    finally:
        sys.stdout, sys.stderr = saved
    return result


def shut_down_executors(sched: Scheduler) -> None:
    """What concurrent.futures does when the interpreter exits (its hook in
    `threading._shutdown`): executors the program left open are shut down without waiting, so
    their workers finish the work queued and end instead of waiting for more forever."""
    from concurrent.futures import thread as pool_threads

    for task in list(sched.tasks):
        thread = task.thread
        if task.state == "done" or getattr(thread, "_target", None) is not pool_threads._worker:
            continue
        try:
            executor = thread._args[0]()  # the worker's weak reference to its executor
        except Exception:  # a layout this CPython does not have: its workers are let go
            continue
        if executor is not None:
            executor.shutdown(wait=False)


def program_code(ctx: Any) -> Any:
    """A probe's submission (a `ProbeContext`) compiled to run as a program: scheduling points
    at module level too, and the state attributes of its helper modules."""
    return instrument(ctx.source, str(ctx.path), module_level_points=True,
                      attrs=submission_attrs(ctx.path, ctx.source))


def run_for_probe(ctx: Any, code: Any, seed: int, *, serial: bool,
                  ordered: bool = True, daemons_die: bool = True,
                  to_the_end: bool = False,
                  behind: dict[str, int | None] | None = None,
                  max_steps: int | None = None) -> ProgramOutcome:
    """One schedule of `program_code(ctx)` as a probe runs it: the reference (`serial`, recorded
    for SERIAL_BUDGET points) or a forced-switch sample that stops after FORCED_BUDGET points;
    the rubric's `switch` and `budget` parameters, when given, override the defaults.
    `to_the_end`: no step limit, only `run_seconds` (the rubric's, or RUN_SECONDS) of CPU time
    for a program that never ends and never sleeps; else MAX_STEPS points (or `max_steps`)."""
    limits = {"max_steps": math.inf, "cpu_limit": float(ctx.param("run_seconds", RUN_SECONDS))} \
        if to_the_end else {} if max_steps is None else {"max_steps": max_steps}
    return run_program(code, str(ctx.path), ctx.source, seed, serial=serial,
                       switch=float(ctx.param("switch", 0.1)),
                       budget=int(ctx.param("budget", SERIAL_BUDGET if serial else FORCED_BUDGET)),
                       **limits,  # type: ignore[arg-type]
                       stop_at_budget=not serial, namespace=student_globals(), ordered=ordered,
                       answers=answers_of(ctx.param("input", None)), daemons_die=daemons_die,
                       behind=behind)


CALL_TIME_LIMIT = 60.0  # virtual seconds one call of the student's code may take


@dataclass
class CallOutcome:
    """One call made under `call_quietly`: its value or exception, or why it never returned."""

    value: Any = None
    error: BaseException | None = None
    stuck: str | None = None  # "deadlock" | "stall" | "time" | "steps": the call never returned
    waits: list[str] = field(default_factory=list)  # what each stuck thread waits for
    outcome: Outcome | None = None  # the serial schedule the call ran in


def call_quietly(fn: Callable[[], Any], namespace: dict[str, Any], path: str, source: str,
                 *, time_limit: float = CALL_TIME_LIMIT, name: str = "the grader's call",
                 environment: bool = False, cpu_limit: float | None = None) -> CallOutcome:
    """Call `fn()` (the student's code) in a serial schedule with virtual time, in the calling
    thread: its sleeps cost nothing, and a lock it waits for forever (one it already holds,
    say) is a deadlock found at once instead of a probe that hangs until its real timeout.
    Threads the call started and did not wait for live on, parked, for the next call into the
    same namespace (a module-level actor, an executor's workers). `environment`:
    the program's view of its process too (see `program_environment`). `cpu_limit`: CPU seconds
    instrumented code may spin without sleeping before the call is stopped (status "steps").

    The call's schedule is quiet from its start (grader/probes/preempt/modes.py): nothing of it
    is recorded, since nobody reads a call's events, lock order or race oracle, only its value,
    its exception and whether it returned (and a deadlock's waits name each thread, its lock and
    the lock's holder, not lines). Instrumented code went quiet at its first point anyway; plain
    code (the sequential checks' classes) recorded every lock it took, a few frame reads each."""
    sched = Scheduler(0, filename=path, source=source, serial=True, max_steps=MAX_STEPS,
                      stall_seconds=3.0, budget=0, spin=10_000, time_limit=time_limit,
                      world=namespace, cpu_limit=cpu_limit)
    sched.add_namespace(namespace)
    result = CallOutcome()

    def body() -> None:
        sched.modes.set(QUIET)
        try:
            result.value = fn()
        except Abort:  # stopped by the grader's limits
            raise
        except BaseException as exc:  # re-raised in the caller's thread, with its traceback
            result.error = exc
        sched.stop("done")

    setting = program_environment(path) if environment else contextlib.nullcontext()
    with setting, patched([namespace]):
        result.outcome = sched.run_here(name, body)
    if result.outcome.status in ("deadlock", "stall", "time", "steps"):
        result.stuck = result.outcome.status
        result.waits = [f"{d['thread']} {d['waits']}" for d in result.outcome.deadlock]
    return result


def call_afresh(time_limit: float) -> bool:
    """Inside `call_quietly`: make the running call's schedule what a new call's would be, so
    that the caller can make its next call here instead of in a schedule of its own (the
    sequential checks' 150 sequences: a scheduler and a thread each cost about as much as the
    steps). Only a schedule in which nothing but the call itself ran can be made so: no thread
    was started or adopted, it was not stopped, it is still quiet, threading's stand-ins still
    in place. Then what is left of the earlier call is its clocks and counts, and those start
    again: virtual time, the step count and the spin count at zero (`time_limit` from now), no
    events, no lock held, `random` as a call's first thread finds it, thread names from
    Thread-1. False: the caller ends the call instead
    (its next call gets a schedule of its own)."""
    sched = active.ACTIVE
    if sched is None or sched.aborted or len(sched.tasks) != 1 or not installed():
        return False
    me = sched.tasks[0]
    if me.state != RUNNABLE or me.ident != _thread.get_ident() or sched.modes.mode != QUIET:
        return False
    sched.now, sched.steps, sched.time_limit = 0.0, 0, time_limit
    sched.countdown, sched.turns, me.ran = sched.spin, 0, 0
    sched.log.events.clear()
    me.held.clear()
    streams.load_first(0)  # `random` as a call's first thread finds it
    restart_names()
    return True


def exec_quietly(code: Any, namespace: dict[str, Any], path: str, source: str,
                 *, time_limit: float = TIME_LIMIT) -> Outcome:
    """Execute a module's code (its import) in a serial schedule with virtual time, so that
    threads it waits for and its sleeps finish at once; a module that never finishes importing
    is stopped after `time_limit` virtual seconds with what it defined so far. Threads it
    started and did not wait for are let go: the program run, not the import, judges them."""
    done = call_quietly(lambda: exec(code, namespace), namespace, path, source,
                        time_limit=time_limit, name="MainThread", environment=True)
    if done.error is not None:
        raise done.error
    assert done.outcome is not None
    return done.outcome


def collect(run: ProgramOutcome, shared: list[str], plain: Callable[[Any], Any]) -> dict[str, Any]:
    """A run as plain data for the judges."""
    outcome, sched = run.outcome, run.sched
    by_main, last, early = run.output.last_line()
    errors = [t.error for t in outcome.tasks if t.error]
    return {
        "status": outcome.status, "stopped": run.stopped, "virtual_seconds": round(sched.now, 3),
        "steps": outcome.steps, "output": run.output.text()[-2000:], "last_line": last[:300],
        "last_by_main": by_main, "last_while_threads_ran": by_main and early,
        "globals": {name: plain(run.namespace.get(name)) for name in shared},
        "errors": errors[:3], "threads": sched.table.spawned, "max_alive": sched.table.max_alive,
        "writes": sched.sites.writes(), "deadlock": outcome.deadlock,
        "answers_read": run.session.read if run.session else 0,
        "answers": run.session.summary() if run.session else "",
        "killed_working": sched.killed_working[:5], "wakeups": sched.wakeups.found[:5],
        "unfinished": [t.name for t in outcome.tasks if t.started and (t.cut or t.state != "done")][:20],
    }
