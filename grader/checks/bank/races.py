"""Bank checks under forced preemption: lost updates, overdrafts, conservation and
linearizability of one account shared by several threads. Each probe explores seeded schedules
of a small scenario (grader.checks.bank.harness); the judge re-checks every schedule's raw
numbers itself and shows the student the interleaving that broke their code
(grader.checks.bank.schedules).
"""
from __future__ import annotations

import random
from typing import Any, Callable

from grader.checks import observations as shapes
from grader.checks.bank.harness import balance_of, explore_schedules, name_locks, story
from grader.checks.bank.schedules import common_problem, history_problem, history_story, \
    judge_runs, race
from grader.probes.preempt.engine import History, Scenario
from grader.probes.preempt.scheduler import Outcome, Scheduler
from grader.probes.probing import ProbeContext, plain
from grader.probes.protocol import Tampered
from grader.probes.registry import JudgeContext, Verdict, check, planner, probe

# -- no lost update -------------------------------------------------------------------------
AMOUNTS = (1, 10, 100, 1000, 10000, 100000)


def _lost_update_problem(data: dict[str, Any], plan: dict[str, Any]) -> str | None:
    common = common_problem(data)
    if common:
        return common
    expected = plan["initial"] + sum(a * plan["ops"] for a in plan["amounts"])
    if data["final"] != expected:
        return f"expected balance {expected} after all deposits, got {data['final']}"
    return race(data)


@planner("bank.no_lost_update")
def lost_update_plan(rng: random.Random, params: dict[str, Any]) -> dict[str, Any]:
    """Each thread deposits its own power of ten (so a lost update shows whose money went),
    starting from a balance of the seed's choosing."""
    threads = min(int(params.get("threads", 4)), len(AMOUNTS))
    return {"initial": rng.randint(0, 9) * 1000000, "amounts": list(AMOUNTS[:threads]),
            "ops": int(params.get("ops", 3))}


@probe("bank.no_lost_update", data=shapes.Schedules)
def lost_update_probe(ctx: ProbeContext) -> dict[str, Any] | Tampered:
    plan = ctx.plan
    amounts, ops = plan["amounts"], plan["ops"]

    def build(module: Any, cls: Any, sched: Scheduler) -> Scenario:
        account = cls(plan["initial"])
        name_locks(sched, {"account": account})

        def customer(amount: int) -> Callable[[], None]:
            def body() -> None:
                for _ in range(ops):
                    account.deposit(amount)
            return body

        return Scenario([(f"Thread-{i + 1}", customer(a)) for i, a in enumerate(amounts)],
                        lambda outcome: {"final": balance_of(account)})

    return explore_schedules(ctx, build, lambda data: _lost_update_problem(data, plan),
                             probe="bank.no_lost_update")


@check("bank.no_lost_update", probe="bank.no_lost_update")
def no_lost_update(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    plan = ctx.plan or {}
    return judge_runs(obs, ctx, lambda data: _lost_update_problem(data, plan),
                       "concurrent deposits lost money",
                       "no deposit was lost under forced thread switches", probe="bank.no_lost_update")


# -- no overdraft ---------------------------------------------------------------------------
def _overdraft_problem(data: dict[str, Any], plan: dict[str, Any]) -> str | None:
    common = common_problem(data)
    if common:
        return common
    data = {**data, "initial": plan["initial"], "amount": plan["amount"]}
    if not isinstance(data.get("results"), list) or (
            data["status"] == "ok" and len(data["results"]) != plan["threads"] * plan["ops"]):
        return "the withdrawals did not all return"
    successes = sum(1 for r in data["results"] if r is True)
    if any(type(r) is not bool for r in data["results"]):
        return f"withdraw returned {next(r for r in data['results'] if type(r) is not bool)!r}, not True/False"
    if data["final"] < 0:
        return f"the balance went negative ({data['final']})"
    if successes > data["initial"] // data["amount"]:
        return (f"{successes} withdrawals of {data['amount']} succeeded from a balance of "
                f"{data['initial']} (at most {data['initial'] // data['amount']} can)")
    if data["final"] != data["initial"] - successes * data["amount"]:
        return (f"{successes} withdrawals of {data['amount']} succeeded from {data['initial']}, "
                f"but the balance is {data['final']}")
    return race(data)


@planner("bank.no_overdraft")
def overdraft_plan(rng: random.Random, params: dict[str, Any]) -> dict[str, Any]:
    """More withdrawals than the money allows: room for three of them."""
    amount = rng.randint(8, 12)
    return {"threads": int(params.get("threads", 4)), "ops": int(params.get("ops", 2)),
            "amount": amount, "initial": 3 * amount}


@probe("bank.no_overdraft", data=shapes.Schedules)
def overdraft_probe(ctx: ProbeContext) -> dict[str, Any] | Tampered:
    plan = ctx.plan
    threads, ops, amount, initial = plan["threads"], plan["ops"], plan["amount"], plan["initial"]

    def build(module: Any, cls: Any, sched: Scheduler) -> Scenario:
        account = cls(initial)
        name_locks(sched, {"account": account})
        results: list[Any] = []

        def body() -> None:
            for _ in range(ops):
                results.append(plain(account.withdraw(amount)))

        return Scenario([(f"Thread-{i + 1}", body) for i in range(threads)],
                        lambda outcome: {"final": balance_of(account), "results": results})

    return explore_schedules(ctx, build, lambda data: _overdraft_problem(data, plan),
                             probe="bank.no_overdraft")


@check("bank.no_overdraft", probe="bank.no_overdraft")
def no_overdraft(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    plan = ctx.plan or {}
    return judge_runs(obs, ctx, lambda data: _overdraft_problem(data, plan),
                       "concurrent withdrawals overdrew the account",
                       "concurrent withdrawals never overdrew the account", probe="bank.no_overdraft")


# -- conservation ---------------------------------------------------------------------------
def _conservation_problem(data: dict[str, Any], plan: dict[str, Any]) -> str | None:
    common = common_problem(data)
    if common:
        return common
    if not isinstance(data.get("withdrawals"), list) or (
            data["status"] == "ok" and len(data["withdrawals"]) != 2 * plan["ops"]):
        return "the withdrawals did not all return"
    data = {**data, "initial": plan["initial"], "deposited": 2 * plan["ops"] * plan["deposit"]}
    withdrawn = sum(plan["withdraw"] for r in data["withdrawals"] if r is True)
    expected = data["initial"] + data["deposited"] - withdrawn
    if data["final"] != expected:
        return (f"started with {data['initial']}, deposited {data['deposited']}, withdrew {withdrawn} "
                f"successfully, so the balance should be {expected}, but it is {data['final']}")
    return race(data)


@planner("bank.conservation")
def conservation_plan(rng: random.Random, params: dict[str, Any]) -> dict[str, Any]:
    """Two depositors and two withdrawers; some withdrawals must be refused."""
    return {"initial": rng.randint(45, 55), "deposit": rng.randint(5, 9),
            "withdraw": rng.randint(18, 22), "ops": 2}


@probe("bank.conservation", data=shapes.Schedules)
def conservation_probe(ctx: ProbeContext) -> dict[str, Any] | Tampered:
    plan = ctx.plan
    initial, amount_d, amount_w, ops = plan["initial"], plan["deposit"], plan["withdraw"], plan["ops"]

    def build(module: Any, cls: Any, sched: Scheduler) -> Scenario:
        account = cls(initial)
        name_locks(sched, {"account": account})
        withdrawals: list[Any] = []

        def depositor() -> None:
            for _ in range(ops):
                account.deposit(amount_d)

        def withdrawer() -> None:
            for _ in range(ops):
                withdrawals.append(plain(account.withdraw(amount_w)))

        bodies = [("Thread-1", depositor), ("Thread-2", withdrawer), ("Thread-3", depositor),
                  ("Thread-4", withdrawer)]
        return Scenario(bodies, lambda outcome: {"final": balance_of(account),
                                                 "withdrawals": withdrawals})

    return explore_schedules(ctx, build, lambda data: _conservation_problem(data, plan),
                             probe="bank.conservation")


@check("bank.conservation", probe="bank.conservation")
def conservation(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    plan = ctx.plan or {}
    return judge_runs(obs, ctx, lambda data: _conservation_problem(data, plan),
                       "money was created or destroyed",
                       "mixed deposits and withdrawals always conserved money", probe="bank.conservation")


# -- linearizability ------------------------------------------------------------------------
@planner("bank.linearizable")
def linearizable_plan(rng: random.Random, params: dict[str, Any]) -> dict[str, Any]:
    """Three threads, each a deposit, a withdrawal and a balance read in its own order; the
    amounts make some withdrawals succeed only in some orders."""
    deposit, other = rng.randint(3, 6), rng.randint(2, 4)
    withdraw = rng.randint(7, 9)
    return {"initial": rng.randint(9, 11), "threads": {
        "Thread-1": [["deposit", deposit], ["withdraw", withdraw], ["balance"]],
        "Thread-2": [["withdraw", withdraw], ["balance"], ["deposit", deposit]],
        "Thread-3": [["balance"], ["withdraw", withdraw], ["deposit", other]]}}


@probe("bank.linearizable", data=shapes.Schedules)
def linearizable_probe(ctx: ProbeContext) -> dict[str, Any] | Tampered:
    plan = ctx.plan

    def build(module: Any, cls: Any, sched: Scheduler) -> Scenario:
        account = cls(plan["initial"])
        name_locks(sched, {"account": account})
        history = History(sched)

        def body(name: str, ops: list[list[Any]]) -> Callable[[], None]:
            def run() -> None:
                for op in ops:
                    if op[0] == "balance":
                        history.call(name, "balance", [0], lambda: account.balance)
                    else:
                        history.call(name, op[0], [0, op[1]],
                                     lambda op=op: getattr(account, op[0])(op[1]))  # type: ignore[misc]
            return run

        return Scenario([(name, body(name, ops)) for name, ops in plan["threads"].items()],
                        lambda outcome: {"history": history.ops})

    def problem(data: dict[str, Any]) -> str | None:
        return history_problem(data, (plan["initial"],), "A", plan["threads"])

    def explain(outcome: Outcome, data: dict[str, Any]) -> list[str]:
        return history_story(data, "A") + story(ctx)(outcome, data)

    return explore_schedules(ctx, build, problem, explain, probe="bank.linearizable")


@check("bank.linearizable", probe="bank.linearizable")
def linearizable(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    plan = ctx.plan or {}
    return judge_runs(obs, ctx, lambda d: history_problem(d, (plan["initial"],), "A",
                                                            plan["threads"]),
                       "concurrent operations returned results no sequential order explains",
                       "every recorded concurrent history has a valid sequential order",
                       probe="bank.linearizable")


