"""The bonus: `transfer(src, dst, amount)`, atomic (no auditor ever sees the money in neither
account, or in both) and free of deadlock when transfers run both ways at once."""
from __future__ import annotations

import types
from typing import Any, Callable

from grader.checks import observations as shapes
from grader.checks.bank.harness import balance_of, explore_schedules, name_locks, story
from grader.checks.bank.schedules import history_problem, history_story, judge_runs
from grader.probes.preempt.engine import History, Scenario, instrumented_module
from grader.probes.preempt.explain import SHOWN, describe_event, recent
from grader.probes.preempt.gaps import GapHold
from grader.probes.preempt.primitives import patched
from grader.probes.preempt.scheduler import Outcome, Scheduler
from grader.probes.probing import ProbeContext, exc_text, plain
from grader.probes.protocol import Tampered
from grader.probes.registry import JudgeContext, Verdict, check, failed, probe, skipped


def _no_transfer(ctx: ProbeContext) -> dict[str, Any] | None:
    if not ctx.has("transfer"):
        return {"missing": f"{ctx.entry_points.get('transfer', 'transfer')} is not defined (bonus)"}
    return None


def _transfer_of(ctx: ProbeContext, module: Any) -> Any:
    return getattr(module, ctx.entry_points.get("transfer", "transfer"))


def _refusal(ctx: ProbeContext) -> dict[str, Any]:
    """One transfer that must be refused, alone, under the scheduler: a transfer that takes a
    lock it already holds deadlocks here at once instead of hanging the check."""
    module = instrumented_module(ctx)
    cls, transfer = getattr(module, ctx.entry_points["account_class"]), _transfer_of(ctx, module)
    box: dict[str, Any] = {}
    sched = Scheduler(ctx.seed, filename=str(ctx.path), source=ctx.source, world=module.__dict__)

    def body() -> None:
        a, b = cls(100), cls(20)
        name_locks(sched, {"A": a, "B": b})
        box["result"] = plain(transfer(a, b, 1000))
        box.update(a=balance_of(a), b=balance_of(b))

    with patched([module.__dict__]):
        outcome = sched.run([("Thread-1", body)])
    if outcome.status != "ok":
        box["status"] = outcome.status
        box["deadlock"] = outcome.deadlock
    errors = [t.error for t in outcome.tasks if t.error]
    if errors:
        box["error"] = errors[0]
    return box


T_INITIAL = (100, 0)
GAP_CHANCE = 0.5  # the chance that one of the mover's transfer calls is directed (gaps.py)
GAP_OPS = 8  # a directed call's mover waits in its gap until the auditors made this many operations


@probe("bank.transfer_atomic", data=(shapes.TransferSchedules, shapes.NoTransfer))
def transfer_atomic_probe(ctx: ProbeContext) -> dict[str, Any] | Tampered:
    """Thread-1 moves all the money A->B and back; auditors look for it with 1-unit withdrawals.

    The auditors use only the account's own (locked) operations, never a bare read of two
    balances: that would see a correct transfer half-done whenever `balance` is a plain
    attribute. If money is ever in neither account (or in both), some auditor's pair of
    withdrawals has no sequential explanation, and the history check says so. Half of the
    transfer calls are directed (grader/probes/preempt/gaps.py): the mover makes its call
    alone, and waits in the gap after its first release that changed something while the
    auditors look, so a transfer made of separate lock holdings shows its gap in most
    schedules instead of one in ten to twenty-five.
    """
    if (missing := _no_transfer(ctx)) is not None:
        return missing
    refusal = _refusal(ctx)
    held: dict[str, GapHold] = {}  # the latest schedule's gap hold, for its story

    def build(module: Any, cls: Any, sched: Scheduler) -> Scenario:
        return _atomic_scenario(ctx, _transfer_of(ctx, module), cls, sched, held)

    def explain(outcome: Outcome, data: dict[str, Any]) -> list[str]:
        return history_story(data) + (_gap_story(held["gap"], outcome, ctx) or story(ctx)(outcome, data))

    runs = explore_schedules(ctx, build, _transfer_problem, explain, probe="bank.transfer_atomic")
    if isinstance(runs, Tampered):
        return runs
    return {"refusal": refusal, **runs}


def _atomic_scenario(ctx: ProbeContext, transfer: Any, cls: Any, sched: Scheduler,
                     held: dict[str, GapHold]) -> Scenario:
    """One schedule's threads: the mover's two transfers and two auditors' three rounds of
    looks (withdraw 1 from each account, put it back if taken), with the gap hold between."""
    accounts = [cls(T_INITIAL[0]), cls(T_INITIAL[1])]
    name_locks(sched, {"A": accounts[0], "B": accounts[1]})
    history = History(sched)
    looking: set[str] = set()  # auditors inside a look (from their withdrawal until the unit is back)
    gap = held["gap"] = GapHold(sched, "Thread-1", ["Thread-2", "Thread-3"],
                                lambda name: name not in looking, lambda: _contents(accounts),
                                chance=float(ctx.param("gap_chance", GAP_CHANCE)),
                                ops=int(ctx.param("gap_ops", GAP_OPS)))

    def mover() -> None:
        for src, dst in ((0, 1), (1, 0)):
            gap.settle()
            history.call("Thread-1", "transfer", [src, dst, 100],
                         lambda src=src, dst=dst: gap.within(  # type: ignore[misc]
                             f"transfer({'AB'[src]}, {'AB'[dst]}, 100)",
                             lambda: transfer(accounts[src], accounts[dst], 100)))

    def auditor(name: str, first: int) -> Callable[[], None]:
        def look(index: int) -> Any:
            looking.add(name)  # inside the call: a hold takes effect at the point before it
            return accounts[index].withdraw(1)

        def run() -> None:
            for round_ in range(3):
                for index in (first, 1 - first) if round_ % 2 == 0 else (1 - first, first):
                    took = history.call(name, "withdraw", [index, 1],
                                        lambda index=index: look(index))  # type: ignore[misc]
                    if took is True:
                        gap.finished(name)
                        history.call(name, "deposit", [index, 1],
                                     lambda index=index: accounts[index].deposit(1))  # type: ignore[misc]
                    looking.discard(name)
                    gap.finished(name)
        return run

    return Scenario([("Thread-1", mover), ("Thread-2", auditor("Thread-2", 0)),
                     ("Thread-3", auditor("Thread-3", 1))],
                    lambda outcome: {"history": history.ops, "final": [balance_of(x) for x in accounts]})


def _contents(accounts: list[Any]) -> list[Any]:
    """What the accounts hold, read without running the student's code (no property, no
    `__getattr__`): the values of their instance dict and slots and, one level down, a dict's
    or list's items. gaps.py compares them by identity to see that a call changed something."""
    out: list[Any] = []
    for account in accounts:
        values: list[Any] = []
        for klass in type(account).__mro__:
            for name, attr in list(vars(klass).items()):
                if type(attr) is types.MemberDescriptorType:  # a slot
                    try:
                        values.append(attr.__get__(account, type(account)))
                    except AttributeError:  # not set
                        continue
                elif name == "__dict__" and type(attr) is types.GetSetDescriptorType:
                    own = attr.__get__(account, type(account))
                    values.extend(own.values() if type(own) is dict else ())
        for value in values:
            out.append(value)
            if type(value) is dict:
                out.extend(value.values())
            elif type(value) is list:
                out.extend(value)
    return out


def _gap_story(gap: GapHold, outcome: Outcome, ctx: ProbeContext) -> list[str]:
    """Where the mover was kept waiting, in the student's lines: the frames at the release
    that began the gap, and what the mover did in that call up to it."""
    lines, told = ctx.source.splitlines(), []
    for at in gap.gaps:
        where = " -> ".join(f"{name} (line {line})" for name, line in at.frames)
        done = [e for e in outcome.events[at.start:at.at] if e.thread == gap.mover and e.kind in SHOWN]
        told += [f"{gap.mover} was kept waiting inside {at.call} at {where}, after it had done "
                 "this (the other threads ran meanwhile):"]
        told += ["  " + describe_event(e, ctx.filename, lines) for e in done[-8:]]
    return told


def _transfer_problem(data: dict[str, Any]) -> str | None:
    why = history_problem(data, T_INITIAL)
    if why:
        return why
    final = data["final"]
    if any(type(x) not in (int, float) for x in final) or sum(final) != sum(T_INITIAL):
        return f"money is not conserved: A+B started at {sum(T_INITIAL)}, ended as {final}"
    return None


@check("bank.transfer_atomic", probe="bank.transfer_atomic")
def transfer_atomic(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    if obs.get("missing"):
        return skipped(obs["missing"])
    refusal = obs["refusal"]
    if refusal.get("error"):
        return failed(f"transfer(A, B, 1000) with A.balance=100 raised {exc_text(refusal['error'])}")
    if refusal.get("status"):
        stuck = "; ".join(f"{d['thread']} {d['waits']} at {d['stack'][-1] if d['stack'] else '?'}"
                          for d in refusal.get("deadlock", []))
        return failed(f"a single transfer(A, B, 1000) did not finish ({refusal['status']}): {stuck}")
    if refusal["result"] is not False or refusal["a"] != 100 or refusal["b"] != 20:
        return failed(f"transfer(A, B, 1000) with A.balance=100: expected False and no change, got "
                      f"{refusal['result']!r} with A={refusal['a']!r}, B={refusal['b']!r}")
    return judge_runs(obs, ctx, _transfer_problem, "transfer is not atomic",
                       "transfers are atomic and conserve money", probe="bank.transfer_atomic")


def _deadlock_problem(data: dict[str, Any]) -> str | None:
    if data["status"] == "deadlock":
        return "transfers in both directions deadlocked"
    if data.get("inversion"):
        return "the two accounts' locks are taken in opposite orders, so transfers can deadlock"
    if data.get("thread_errors"):
        return "a thread raised " + exc_text(data["thread_errors"][0])
    if data["status"] != "ok":
        return "the transfers did not finish"
    return None


@probe("bank.transfer_no_deadlock", data=(shapes.Schedules, shapes.NoTransfer))
def transfer_deadlock_probe(ctx: ProbeContext) -> dict[str, Any] | Tampered:
    if (missing := _no_transfer(ctx)) is not None:
        return missing

    def build(module: Any, cls: Any, sched: Scheduler) -> Scenario:
        transfer = _transfer_of(ctx, module)
        a, b = cls(100), cls(100)
        name_locks(sched, {"A": a, "B": b})

        def one_way(src: Any, dst: Any) -> Callable[[], None]:
            def run() -> None:
                for _ in range(3):
                    transfer(src, dst, 1)
            return run

        return Scenario([("Thread-1", one_way(a, b)), ("Thread-2", one_way(b, a))],
                        lambda outcome: {})

    def explain(outcome: Outcome, data: dict[str, Any]) -> list[str]:
        lines = ctx.source.splitlines()
        return list(data.get("inversion", [])) + recent(outcome.events, ctx.filename, lines, 10)

    return explore_schedules(ctx, build, _deadlock_problem, explain, probe="bank.transfer_no_deadlock")


@check("bank.transfer_no_deadlock", probe="bank.transfer_no_deadlock")
def transfer_no_deadlock(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    return judge_runs(obs, ctx, _deadlock_problem, "transfers can deadlock",
                       "transfers in both directions at once never deadlocked",
                       probe="bank.transfer_no_deadlock")
