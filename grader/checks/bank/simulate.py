"""`simulate` on real threads: does it start `customers` threads that overlap, and join them?

The account handed to `simulate` is the student's own class with `deposit` wrapped: each
customer thread's first deposit waits at a gate until every customer has arrived (proof that
they overlap, independent of machine speed) and the gate opens only once `simulate` waits for
the threads (join) or returns, so "returned before the threads finished" shows every time,
not only when the machine happens to be slow. Deposits are serialised by the wrapper, so the
total depends on `simulate` alone (lost updates are the job of the race checks).
"""
from __future__ import annotations

import _thread
import concurrent.futures
import contextlib
import random
import threading
import time
from typing import Any, Iterator

from grader.checks import observations as shapes
from grader.checks.bank.harness import call_in_world
from grader.checks.bank.schedules import explored, forged, schedules_problem, stop_problem
from grader.probes.preempt.coverage import Rule
from grader.probes.preempt.engine import Scenario, explore, instrumented_module
from grader.probes.preempt.explain import replay
from grader.probes.preempt.scheduler import Scheduler
from grader.probes.probing import ProbeContext, exc_text, plain
from grader.probes.protocol import Tampered
from grader.probes.registry import JudgeContext, Verdict, check, failed, passed, planner, probe
from grader.sandbox.owntime import own_since, waited_for_cpu

NO_ARRIVAL_SECONDS = 1.5  # paid only by submissions whose threads do not all overlap, while one
# of their threads could still come (not when every thread left waits untimed: _nobody_can_come)
CUSTOMERS = 5


class _Gate:
    def __init__(self, customers: int, caller: int) -> None:
        self.customers, self.caller = customers, caller
        self.cond = threading.Condition(threading.Lock())
        self.arrived: set[threading.Thread] = set()
        self.max_waiting = 0
        self.waiting = 0
        self.open = False
        self.how = ""
        self.waited_for = False  # the caller joined, waited on a future, or returned
        self.last_arrival, self.waited_at = time.monotonic(), waited_for_cpu()
        self.by_caller = 0
        self.done = 0
        self.serial = threading.Lock()
        self.looking = False  # one waiting thread at a time looks whether anyone can still come

    def _try_open(self) -> None:
        if not self.open and len(self.arrived) >= self.customers and self.waited_for:
            self.open, self.how = True, "all threads overlapped"
            self.cond.notify_all()

    def caller_waits(self) -> None:
        with self.cond:
            self.waited_for = True
            self._try_open()

    def arrive(self) -> None:
        me = threading.current_thread()  # idents are reused once a thread ends; objects are not
        with self.cond:
            if me.ident == self.caller:
                self.by_caller += 1
                return
            if self.open or me in self.arrived:
                self.arrived.add(me)
                return
            self.arrived.add(me)
            self.last_arrival, self.waited_at = time.monotonic(), waited_for_cpu()
            self.waiting += 1
            self.max_waiting = max(self.max_waiting, self.waiting)
            self._try_open()
            while not self.open:
                self.cond.wait(0.05)
                # own time: a thread still to come that the machine is slow to run is no reason
                if not self.open and (own_since(self.last_arrival, self.waited_at) > NO_ARRIVAL_SECONDS
                                      or self._nobody_can_come()):
                    self.open = True
                    self.how = "gave up waiting for more threads"
                    self.cond.notify_all()
            self.waiting -= 1

    def _nobody_can_come(self) -> bool:  # with self.cond held: released while threads are read
        """Every thread but those waiting here sleeps in an untimed wait (a join, a lock, an
        untimed queue get: grader.sandbox.stuck.idle): none can arrive before the gate opens, so
        waiting out NO_ARRIVAL_SECONDS would change nothing but the time. A thread that runs,
        sleeps or waits with a timeout may still come, and is waited for as before."""
        if self.looking:
            return False
        from grader.sandbox import stuck

        here = {t.native_id for t in self.arrived if t.native_id is not None}
        count = len(self.arrived)
        self.looking = True
        try:
            quiet = stuck.idle_released(self.cond, here)
        finally:
            self.looking = False
        return quiet and count == len(self.arrived) and not self.open


@planner("bank.simulate")
def simulate_plan(rng: random.Random, params: dict[str, Any]) -> dict[str, Any]:
    return {"customers": int(params.get("customers", CUSTOMERS)), "deposits_each": rng.randint(3, 5),
            "amount": rng.randint(2, 9), "initial": rng.randint(5, 50)}


@probe("bank.simulate", data=shapes.Simulate)
def simulate_probe(ctx: ProbeContext) -> dict[str, Any]:
    """On real threads; but when the module left threads running at import (a module-level
    actor owning the balances), in a serial schedule of its world, where those threads live
    (the gate then waits in virtual time)."""
    return call_in_world(ctx, ctx.entry("account_class"), lambda: _simulate_run(ctx),
                         real_threads=True)


def _graded_account(cls: Any, gate: _Gate) -> Any:
    """The student's class with `deposit` wrapped: each customer's first deposit waits at the
    gate, and deposits are serialised (the total depends on simulate alone)."""

    class GradedAccount(cls):  # type: ignore[misc, valid-type]
        def deposit(self, amount: Any, *args: Any, **kwargs: Any) -> Any:
            gate.arrive()
            with gate.serial:
                result = super().deposit(amount, *args, **kwargs)
            with gate.cond:
                gate.done += 1
            return result

    return GradedAccount


@contextlib.contextmanager
def _waits_open(gate: _Gate) -> Iterator[None]:
    """While simulate runs, the calling thread's join, Future.result and futures.wait tell the
    gate that simulate now waits for its threads (the gate may open)."""
    original_join = threading.Thread.join
    original_result = concurrent.futures.Future.result
    original_wait = concurrent.futures.wait

    def join(self: threading.Thread, timeout: float | None = None) -> None:
        if _thread.get_ident() == gate.caller:
            gate.caller_waits()
        original_join(self, timeout)

    def result(self: concurrent.futures.Future, timeout: float | None = None) -> Any:
        if _thread.get_ident() == gate.caller:
            gate.caller_waits()
        return original_result(self, timeout)

    def wait(fs: Any, *args: Any, **kwargs: Any) -> Any:
        if _thread.get_ident() == gate.caller:
            gate.caller_waits()
        return original_wait(fs, *args, **kwargs)

    threading.Thread.join = join  # type: ignore[method-assign]
    concurrent.futures.Future.result = result  # type: ignore[method-assign]
    concurrent.futures.wait = wait
    try:
        yield
    finally:
        threading.Thread.join = original_join  # type: ignore[method-assign]
        concurrent.futures.Future.result = original_result  # type: ignore[method-assign]
        concurrent.futures.wait = original_wait


def _simulate_run(ctx: ProbeContext) -> dict[str, Any]:
    simulate, cls = ctx.entry("simulate"), ctx.entry("account_class")
    plan = ctx.plan
    customers, each, amount, initial = (plan["customers"], plan["deposits_each"], plan["amount"],
                                        plan["initial"])
    gate = _Gate(customers, _thread.get_ident())
    account = _graded_account(cls, gate)(initial)
    threads_before = set(threading.enumerate())
    try:
        with _waits_open(gate):
            returned = plain(simulate(account, customers, each, amount))
    finally:
        with gate.cond:
            done_at_return, gate.waited_for = gate.done, True
            gate._try_open()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        with gate.cond:
            if gate.done >= customers * each:
                break
        time.sleep(0.01)
    started = [t for t in threading.enumerate() if t not in threads_before]
    return {"returned": returned, "threads": len(gate.arrived),
            "max_waiting": gate.max_waiting, "gate": gate.how, "by_caller": gate.by_caller,
            "done_at_return": done_at_return, "done": gate.done,
            "still_running": len([t for t in started if t.is_alive()]),
            "final": plain(account.balance)}


TOTAL_CUSTOMERS, TOTAL_EACH = 3, 2
TOTAL_SCHEDULES = 30


@planner("bank.simulate_total")
def simulate_total_plan(rng: random.Random, params: dict[str, Any]) -> dict[str, Any]:
    plan: dict[str, Any] = {"customers": TOTAL_CUSTOMERS, "deposits_each": TOTAL_EACH, "amount": rng.randint(2, 9),
            "initial": rng.randint(5, 50)}
    plan["expected"] = plan["initial"] + TOTAL_CUSTOMERS * TOTAL_EACH * plan["amount"]
    plan["call"] = (f"simulate(BankAccount({plan['initial']}), customers={TOTAL_CUSTOMERS}, "
                    f"deposits_each={TOTAL_EACH}, amount={plan['amount']})")
    return plan


@probe("bank.simulate_total", data=shapes.Schedules)
def simulate_total_probe(ctx: ProbeContext) -> dict[str, Any] | Tampered:
    """simulate itself under forced preemption: its own bookkeeping may race, too."""
    module = instrumented_module(ctx)
    cls = getattr(module, ctx.entry_points["account_class"])
    simulate = getattr(module, ctx.entry_points.get("simulate", "simulate"))
    plan = ctx.plan
    expected, initial, amount = plan["expected"], plan["initial"], plan["amount"]

    def build(sched: Scheduler) -> Scenario:
        box: dict[str, Any] = {}

        def main() -> None:
            box["returned"] = plain(simulate(cls(initial), TOTAL_CUSTOMERS, TOTAL_EACH, amount))

        return Scenario([("MainThread", main)], lambda outcome: {"returned": box.get("returned")})

    def problem(data: dict[str, Any]) -> str | None:
        return _total_problem(data, expected)

    rule = Rule.of(ctx.params, TOTAL_SCHEDULES, "bank.simulate_total")
    return explore(ctx, module, build, problem, schedules=rule.maximum,
                   switch=float(ctx.param("switch", 0.5)), rule=rule)


def _total_problem(data: dict[str, Any], expected: int) -> str | None:
    if data.get("thread_errors"):
        return "a thread raised " + exc_text(data["thread_errors"][0])
    if data["status"] == "deadlock":
        return "the threads deadlocked"
    if data["status"] not in ("ok", "stall"):
        return "simulate did not finish"
    if data["status"] == "ok" and data["returned"] != expected:
        return f"returned {data['returned']!r}, expected {expected}"
    return None


@check("bank.simulate_total", probe="bank.simulate_total")
def simulate_total(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    plan = ctx.plan or {}
    if (mismatch := schedules_problem(obs, ctx, TOTAL_SCHEDULES)) is not None:
        return forged(mismatch)
    for data in obs["runs"]:
        why = _total_problem(data, plan["expected"])
        if why:
            return failed(f"{plan['call']} {why} under forced thread switches (schedule seed "
                          f"{data['seed']}); if simulate keeps its own count, it races like a "
                          "balance without a lock: return the account's balance after joining",
                          replay("bank", ctx.filename, data["seed"]),
                          seed=data["seed"])
    if (why := stop_problem(obs["runs"], ctx, TOTAL_SCHEDULES, "bank.simulate_total")) is not None:
        return forged(why)
    stalled = sum(1 for d in obs["runs"] if d["status"] == "stall")
    note = f" ({stalled} schedules could not be explored)" if stalled else ""
    return passed(f"{plan['call']} returned {plan['expected']} in "
                  f"{explored(obs['runs'], ctx, TOTAL_SCHEDULES, 'bank.simulate_total')}{note}")


@check("bank.simulate_threads", probe="bank.simulate")
def simulate_threads(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    plan = ctx.plan or {}
    n, total = plan["customers"], plan["customers"] * plan["deposits_each"]
    if obs["by_caller"]:
        return failed(f"{obs['by_caller']} deposits were made by the thread that called simulate "
                      f"itself; start {n} threads and let each of them deposit")
    if obs["threads"] != n:
        return failed(f"expected deposits from {n} customer threads, saw {obs['threads']}")
    if obs["max_waiting"] < n:
        return failed(f"the customer threads did not run at the same time: at most "
                      f"{obs['max_waiting']} of {n} were running together (start all threads "
                      "first, then join them; do not join each thread right after starting it)")
    if obs["done_at_return"] < total:
        return failed(f"simulate returned after {obs['done_at_return']} of {total} deposits: "
                      "it must join every thread before it returns")
    return passed(f"{n} customer threads overlapped and were all joined before simulate returned")
