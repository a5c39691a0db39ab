"""Explore seeded schedules of a scenario against the instrumented submission."""
from __future__ import annotations

import random
import types
from dataclasses import dataclass, field
from typing import Any, Callable

from grader.probes.preempt import frames, primitives, streams
from grader.probes.preempt.access import hooks, student_globals
from grader.probes.preempt.active import mark_plain
from grader.probes.preempt.choice import Chooser
from grader.probes.preempt.coverage import Pair, Rule
from grader.probes.preempt.events import EventLog
from grader.probes.preempt.gaps import GapHold
from grader.probes.preempt.instrument import instrument
from grader.probes.preempt.lockgraph import LockGraph
from grader.probes.preempt.modes import HookTables, Modes
from grader.probes.preempt.primitives import TAMPERED, patched
from grader.probes.preempt.runner import call_quietly, exec_quietly
from grader.probes.preempt.scheduler import Outcome, Scheduler
from grader.probes.preempt.siblings import loaded, own_module, siblings, submission_attrs
from grader.probes.preempt.sites import SharedSites
from grader.probes.preempt.tasks import Abort, TaskTable
from grader.probes.preempt.verdict import findings
from grader.probes.preempt.watch import Watch
from grader.probes.probing import ProbeContext, describe, plain
from grader.probes.protocol import Tampered


mark_plain(globals())  # a frame of this module is never the student's (active.PLAIN)


def _integrity() -> dict[str, Any]:
    """The grader's own functions the student's code could replace to switch preemption off."""
    items: dict[str, Any] = {"patched": primitives.patched, "explore": explore, **hooks()}
    for cls in (Scheduler, Chooser, GapHold, TaskTable, EventLog, LockGraph, SharedSites, Modes,
                HookTables, Watch, primitives.CoopLock, primitives.CoopRLock, primitives.CoopCondition,
                primitives.ManagedThread):
        for name, value in vars(cls).items():
            if callable(value):
                items[f"{cls.__name__}.{name}"] = value
    # The hooks read frames, and the scheduler copies `random`'s state, through C functions: a
    # result check or another type set on one would hand the student's code what they read.
    items["frames.getframe"], items["frames.code_of"] = frames.getframe, frames.code_of
    for name, function in {**frames.c_functions(), **streams.c_functions()}.items():
        for attribute in ("errcheck", "restype", "argtypes"):
            items[f"C function {name}.{attribute}"] = getattr(function, attribute, None)
    # The scheduler's choices come from random.Random: replacing its methods (on the class, or
    # the module's functions bound to the shared instance) would steer every schedule.
    for name in RNG_METHODS:
        items[f"random.Random.{name}"] = getattr(random.Random, name, None)
        items[f"random.{name}"] = getattr(random, name, None)
    return items


RNG_METHODS = ("random", "getrandbits", "seed", "getstate", "setstate", "randrange", "randint",
               "choice", "shuffle", "uniform", "sample", "_randbelow")


def tampering(namespace: dict[str, Any]) -> str | None:
    """What the submission replaced of the instrumentation, if anything (checked per schedule)."""
    for name, hook in hooks().items():
        if namespace.get(name) is not hook:
            return f"the scheduling hook {name} in your module was replaced"
        for file, helper in loaded():
            if helper.get(name) is not hook:
                return f"the scheduling hook {name} in {file} was replaced"
    if TAMPERED:
        return f"your code replaced {TAMPERED[0]} while the grader was running it"
    now = _integrity()
    for name, value in _ORIGINAL.items():
        if now.get(name) is not value:
            return f"the grader's {name} was replaced"
    return None


def instrumented_module(ctx: ProbeContext) -> types.ModuleType:
    """The submission compiled with scheduling points, executed once per child (cached)."""

    def build() -> types.ModuleType:
        name = ctx.path.stem if ctx.path.stem.isidentifier() else "submission"
        module = types.ModuleType(name)
        module.__file__ = str(ctx.path)
        module.__dict__.update(student_globals())
        code = instrument(ctx.source, str(ctx.path), attrs=submission_attrs(ctx.path, ctx.source))
        # Its top level runs under a serial schedule with virtual time (threads and sleeps a
        # program starts at import finish at once; one that never ends is stopped).
        with siblings(ctx.path, own=module):
            exec_quietly(code, module.__dict__, str(ctx.path), ctx.source)
        return module

    return ctx.cached("instrumented", build)


@dataclass
class History:
    """Operations as the threads saw them: what was called, what came back, when (in steps)."""

    sched: Scheduler
    ops: list[dict[str, Any]] = field(default_factory=list)

    def call(self, thread: str, op: str, args: list[Any], fn: Callable[[], Any]) -> Any:
        self.sched.point(None)  # a thread may be preempted between two operations
        entry: dict[str, Any] = {"thread": thread, "op": op, "args": args, "call": self.sched.tick()}
        self.ops.append(entry)
        try:
            value = fn()
        except Abort:
            entry["pending"] = True
            raise
        except Exception as exc:
            entry["error"] = describe(exc, self.sched.filename)
            entry["ret"] = self.sched.tick()
            return None
        entry["result"] = plain(value)
        entry["ret"] = self.sched.tick()
        return value


@dataclass
class Scenario:
    bodies: list[tuple[str, Callable[[], Any]]]
    collect: Callable[[Outcome], dict[str, Any]]


def explore(ctx: ProbeContext, module: types.ModuleType, build: Callable[[Scheduler], Scenario],
            problem: Callable[[dict[str, Any]], str | None], *, schedules: int, switch: float,
            explain: Callable[[Outcome, dict[str, Any]], list[str]] | None = None,
            rule: Rule | None = None) -> dict[str, Any] | Tampered:
    """Run seeded schedules; stop at the first one whose data shows a problem, after
    `schedules` of them, or (with a coverage `rule`) once new schedules stop adding
    interleavings of the shared accesses (grader/probes/preempt/coverage.py).

    Every schedule's raw data goes back to the grader, which judges it again itself; the
    failing schedule also carries the interleaving that explains it. With a `rule`, each
    record carries its count of new pairs (`new_pairs`), the evidence of what was explored.
    """
    if (why := tampering(module.__dict__)) is not None:
        return Tampered(why)
    rule = Rule(schedules, on=False) if rule is None else rule
    with own_module(module):
        return _explore(ctx, module, build, problem, rule=rule, switch=switch, explain=explain)


def _explore(ctx: ProbeContext, module: types.ModuleType, build: Callable[[Scheduler], Scenario],
             problem: Callable[[dict[str, Any]], str | None], *, rule: Rule, switch: float,
             explain: Callable[[Outcome, dict[str, Any]], list[str]] | None) -> dict[str, Any] | Tampered:
    runs: list[dict[str, Any]] = []
    seen: set[Pair] = set()
    news: list[int] = []
    while not rule.done(news):
        seed = ctx.seed + len(runs)
        sched = Scheduler(seed, filename=str(ctx.path), source=ctx.source, switch=switch,
                          world=module.__dict__)
        # The scenario's objects are made, and its result read, by calls in the module's world:
        # threads they start (an account's own worker) are threads of the schedule too.
        scenario = in_world(ctx, module.__dict__, lambda: build(sched), "the grader's setup")
        with patched([module.__dict__]):
            outcome = sched.run(scenario.bodies)
        if (why := tampering(module.__dict__)) is not None:
            return Tampered(why)
        data = in_world(ctx, module.__dict__, lambda: scenario.collect(outcome), "the grader's reading")
        _describe(data, seed, outcome, sched)
        pairs = sched.oracle.coverage.pairs
        news.append(len(pairs - seen))
        seen |= pairs
        if rule.on:
            data["new_pairs"] = news[-1]
        runs.append(data)
        if problem(data):
            if explain is not None:
                data["story"] = explain(outcome, data)
            break
    return {"runs": runs}


def _describe(data: dict[str, Any], seed: int, outcome: Outcome, sched: Scheduler) -> None:
    """What every schedule's record says besides the scenario's own reading."""
    data.update(seed=seed, status=outcome.status, steps=outcome.steps, oracle=findings(sched))
    errors = [t.error for t in outcome.tasks if t.error]
    if errors:
        data["thread_errors"] = errors[:3]
    if outcome.deadlock:
        data["deadlock"] = outcome.deadlock
    if outcome.inversion:
        data["inversion"] = _inversion_text(outcome.inversion)


def in_world(ctx: ProbeContext, namespace: dict[str, Any], fn: Callable[[], Any], name: str) -> Any:
    """`fn()` called in a serial schedule of the module's world (see `Scheduler.world`): the
    threads that module left running (a module-level actor) serve it as they would in a real
    process."""
    done = call_quietly(fn, namespace, str(ctx.path), ctx.source, name=name)
    if done.error is not None:
        raise done.error
    if done.stuck is not None:  # the student's code never returned: as before, outside a schedule
        return fn()
    return done.value


def _inversion_text(inv: dict[str, Any]) -> list[str]:
    a, b = inv["a"], inv["b"]
    return [f"{a['thread']} took {a['first']} then {a['second']} (line {a['line']})",
            f"{b['thread']} took {b['first']} then {b['second']} (line {b['line']})"]


_ORIGINAL = _integrity()  # taken when the child loads the checks, before any student code runs
