"""The bank's harness: how a bank probe runs its scenario on the student's code in the child.

Every bank probe runs the student's code in one of four ways, each under the cooperative
scheduler (grader/probes/preempt), so that a sleep costs no real time and code that never returns is
stopped instead of waited out:

* `apply_steps`: the grader's steps on one account, one after another (the sequential checks);
* `call_in_world`: one call of the grader's in a serial schedule of the module's world, where
  the threads the module left running at import (a module-level actor) serve it;
* `explore_schedules`: a scenario of threads on the instrumented module, in the rubric's number
  of seeded schedules with forced switches (races, transfers, simulate's total);
* `run_program`: the file run as `__main__`, once per schedule (the program checks).

What they hand the judge is plain data (grader.probes.probing.plain): the grader's own numbers, never
a student object.
"""
from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any, Callable

from grader.probes.preempt.coverage import Rule
from grader.probes.preempt.engine import Scenario, explore, in_world, instrumented_module, tampering
from grader.probes.preempt.explain import lost_update, recent
from grader.probes.preempt.parking import parked_in
from grader.probes.preempt.primitives import CoopCondition, CoopLock, CoopSemaphore
from grader.probes.preempt.runner import CALL_TIME_LIMIT, call_afresh, call_quietly, collect, run_for_probe
from grader.probes.preempt.scheduler import Outcome, Scheduler
from grader.probes.preempt.verdict import findings
from grader.probes.probing import ProbeContext, describe, plain
from grader.probes.protocol import Tampered

SCHEDULES = 40  # the most seeded schedules a race probe explores, unless the rubric says otherwise

STUCK = {"time": "it was still running after a minute of (virtual) time",
         "steps": "it was still running after the grader's step limit",
         "stall": "it blocked in something the grader cannot schedule"}


def module_of(cls: Any) -> types.ModuleType | None:
    """The module the student's class was defined in: its world (the threads it left running)."""
    return sys.modules.get(getattr(cls, "__module__", None) or "")


def balance_of(account: Any) -> Any:
    """An account's balance as the grader's own number."""
    return plain(account.balance)


# -- one account, step by step --------------------------------------------------------------

def _stuck(kind: str, waits: list[str]) -> dict[str, Any]:
    what = STUCK.get(kind) or "it waits forever: " + ("; ".join(waits[:2]) or "a lock nobody releases")
    return {"error": {"type": "NeverReturned", "message": what, "where": None}}


def apply_steps(cls: Any, steps: list[list[Any]], filename: str) -> list[dict[str, Any]]:
    """Run the grader's steps on one account: `["new", initial?]`, `["balance"]`,
    `["deposit", amount]`, `["withdraw", amount]`; one outcome per step, in order."""
    return apply_sequences(cls, [steps], filename)[0]


def apply_sequences(cls: Any, sequences: list[list[list[Any]]], filename: str) -> list[list[dict[str, Any]]]:
    """`apply_steps` for each sequence in turn, as if each ran alone: its own serial schedule,
    starting at virtual time zero with the time limit of its own steps. The student's methods
    run with virtual time (a sleep in them costs nothing); a step that never returns (a lock it
    already holds) is recorded as such, and the rest of that sequence runs afresh.

    Why not one `call_quietly` per sequence: a schedule costs a scheduler and a thread (about
    1 ms, more than a sequence's steps). A sequence runs on in the schedule of the one before
    whenever that schedule can be made what a new one would be (`call_afresh`: nothing but the
    steps ran in it, no thread, no sleep's turn, not stopped); otherwise, and after a step that
    never returned, the next steps get a schedule of their own, as before."""
    runs = _Sequences(cls, sequences, filename)
    namespace, path, source = _world(cls, filename)
    while not runs.done():
        done = call_quietly(runs.remaining, namespace, path, source,
                            time_limit=CALL_TIME_LIMIT * runs.left())
        if done.error is not None:
            raise done.error  # SystemExit, KeyboardInterrupt: the child's protocol handles them
        if done.stuck is not None and not runs.between and runs.left():
            runs.stuck(_stuck(done.stuck, done.waits))
    return runs.histories


class _Sequences:
    """The grader's sequences of steps, their outcomes so far, and the one being run."""

    def __init__(self, cls: Any, sequences: list[list[list[Any]]], filename: str) -> None:
        self.cls, self.sequences, self.filename = cls, sequences, filename
        self.histories: list[list[dict[str, Any]]] = [[] for _ in sequences]
        self.current = 0  # the sequence being run
        self.box: dict[str, Any] = {}  # its account
        self.between = False  # the last call ended between two sequences (not inside one)
        self._skip()

    def done(self) -> bool:
        return self.current >= len(self.sequences)

    def left(self) -> int:
        """Steps of the current sequence not yet run."""
        return len(self.sequences[self.current]) - len(self.histories[self.current])

    def _skip(self) -> None:
        """On to the next sequence with steps left, with no account yet."""
        while not self.done() and not self.left():
            self.current += 1
            self.box = {}

    def _run(self, step: list[Any]) -> Any:
        op, box = step[0], self.box
        if op == "new":
            box["account"] = self.cls(*step[1:])
            return None
        if op == "balance":
            return box["account"].balance
        result = getattr(box["account"], op)(step[1])
        return None if op == "deposit" and result is None else result

    def _entry(self) -> dict[str, Any]:
        """The record of the current sequence's next step not yet run."""
        step = self.sequences[self.current][len(self.histories[self.current])]
        return {"step": len(self.histories[self.current]), "op": str(step[0]), "args": list(step[1:])}

    def stuck(self, outcome: dict[str, Any]) -> None:
        """The current step never returned: recorded as such; the next steps run afresh."""
        self.histories[self.current].append({**self._entry(), **outcome})
        self._skip()

    def remaining(self) -> None:
        """The steps not yet run, one after another, in the calling serial schedule, on to the
        next sequences while `call_afresh` can make the schedule a new one for each."""
        self.between = False
        while True:
            steps, history = self.sequences[self.current], self.histories[self.current]
            while len(history) < len(steps):
                step, record = steps[len(history)], self._entry()
                try:
                    record["value"] = plain(self._run(step))
                except Exception as exc:
                    record["error"] = describe(exc, self.filename)
                history.append(record)
            self._skip()
            if self.done():
                return
            if not call_afresh(CALL_TIME_LIMIT * self.left()):
                self.between = True
                return


def _world(cls: Any, filename: str) -> tuple[dict[str, Any], str, str]:
    """The namespace, file and source of the module defining `cls` (what a schedule runs in)."""
    module = module_of(cls)
    namespace = vars(module) if module is not None else {}
    path = str(namespace.get("__file__") or filename)
    try:
        source = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, ValueError):
        source = ""
    return namespace, path, source


def call_in_world(ctx: ProbeContext, cls: Any, fn: Callable[[], Any], *,
                  real_threads: bool = False) -> Any:
    """`fn()` in a serial schedule of the world of `cls`'s module (grader.probes.preempt.engine.in_world).
    With `real_threads`, only when that module left threads parked there; otherwise `fn` runs
    directly, on real threads (simulate's gate needs them)."""
    module = module_of(cls)
    if module is None or (real_threads and not parked_in(vars(module))):
        return fn()
    return in_world(ctx, vars(module), fn, "the grader's call")


# -- seeded schedules of a scenario ---------------------------------------------------------

def story(ctx: ProbeContext) -> Callable[[Outcome, dict[str, Any]], list[str]]:
    """How a schedule went wrong, in the student's lines: the lost update, else the last steps."""
    lines = ctx.source.splitlines()

    def explain(outcome: Outcome, data: dict[str, Any]) -> list[str]:
        return lost_update(outcome.events, ctx.filename, lines) or recent(outcome.events, ctx.filename, lines)

    return explain


def explore_schedules(ctx: ProbeContext, build: Callable[[Any, Any, Scheduler], Scenario],
                      problem: Callable[[dict[str, Any]], str | None],
                      explain: Callable[[Outcome, dict[str, Any]], list[str]] | None = None, *,
                      probe: str) -> dict[str, Any] | Tampered:
    """Explore seeded schedules of `build(module, account_class, scheduler)` on the instrumented
    submission, with the rubric's `schedules` (the most) and `switch` parameters, until the
    coverage rule of `probe` says enough (grader/probes/preempt/coverage.py; `coverage: false`
    runs them all)."""
    module = instrumented_module(ctx)
    cls = getattr(module, ctx.entry_points["account_class"])
    rule = Rule.of(ctx.params, SCHEDULES, probe)
    return explore(ctx, module, lambda sched: build(module, cls, sched), problem,
                   schedules=rule.maximum, switch=float(ctx.param("switch", 0.5)),
                   explain=explain or story(ctx), rule=rule)


def name_locks(sched: Scheduler, accounts: dict[str, Any]) -> None:
    """Name each account's locks after the account (`A.lock`), so a deadlock reads in its words."""
    kinds = (CoopLock, CoopSemaphore, CoopCondition)
    for label, account in accounts.items():
        attrs = dict(getattr(account, "__dict__", {}))
        for slot in getattr(type(account), "__slots__", ()):
            if hasattr(account, slot):
                attrs[slot] = getattr(account, slot)
        for key, value in attrs.items():
            if isinstance(value, kinds):
                sched.name_lock(value, f"{label}.{key}")
                inner = getattr(value, "_lock", None)
                if inner is not None:
                    sched.name_lock(inner, f"{label}.{key}")
        for key, value in vars(type(account)).items():
            if isinstance(value, kinds):
                sched.name_lock(value, f"{type(account).__name__}.{key} (shared by all accounts)")


# -- the file as a program ------------------------------------------------------------------

def run_program(ctx: ProbeContext, code: Any, shared: list[str], seed: int, *, serial: bool,
                ordered: bool = True, daemons_die: bool = True,
                behind: dict[str, int | None] | None = None,
                max_steps: int | None = None) -> dict[str, Any]:
    """One run of the program as `__main__` in schedule `seed`: what it did (grader.probes.preempt.
    runner.collect), what the race oracle found, and `tampered` when it reached into the
    grader; `_events` is the run's event log, for the caller to explain and drop."""
    run = run_for_probe(ctx, code, seed, serial=serial, ordered=ordered, daemons_die=daemons_die,
                        to_the_end=max_steps is None, behind=behind, max_steps=max_steps)
    data = collect(run, shared, plain)
    data["seed"] = seed
    result, result_lines, progress_lines = run.output.main_result()
    data["oracle"] = findings(run.sched, main="MainThread", result_line=result,
                              result_lines=result_lines, progress_lines=progress_lines)
    if (why := tampering(run.namespace)) is not None:
        data["tampered"] = why
    data["_events"] = run.outcome.events
    return data
