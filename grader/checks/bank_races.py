"""Bank checks under forced preemption: lost updates, overdrafts, conservation, linearizability,
transfers. Each probe explores seeded schedules of a small scenario; the judge re-checks every
schedule's raw numbers itself and shows the student the interleaving that broke their code.
"""
from __future__ import annotations

import random
import sys
from typing import Any, Callable

from grader.linearize import Undecided, bank_matches, bank_step, linearize, show_op
from grader.preempt.engine import History, Scenario, explore, instrumented_module
from grader.preempt.explain import lost_update, recent, replay
from grader.preempt.scheduler import Outcome, Scheduler
from grader.preempt.verdict import race_problem
from grader.probing import ProbeContext, exc_text, plain
from grader.protocol import Tampered
from grader.checks import observations as shapes
from grader.registry import JudgeContext, Verdict, check, failed, passed, planner, probe, skipped

SCHEDULES = 40


def _explore(ctx: ProbeContext, build: Callable[[Any, Any, Scheduler], Scenario],
             problem: Callable[[dict[str, Any]], str | None],
             explain: Callable[[Outcome, dict[str, Any]], list[str]] | None = None) -> dict[str, Any] | Tampered:
    """Explore seeded schedules of `build(module, account_class, scheduler)` on the instrumented
    submission, with the rubric's `schedules` and `switch` parameters."""
    module = instrumented_module(ctx)
    cls = getattr(module, ctx.entry_points["account_class"])
    return explore(ctx, module, lambda sched: build(module, cls, sched), problem,
                   schedules=int(ctx.param("schedules", SCHEDULES)),
                   switch=float(ctx.param("switch", 0.5)), explain=explain or _story(ctx))


def _name_locks(sched: Scheduler, accounts: dict[str, Any]) -> None:
    from grader.preempt.primitives import CoopLock, CoopSemaphore, CoopCondition

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


def _balance(account: Any) -> Any:
    return plain(account.balance)


def _story(ctx: ProbeContext) -> Callable[[Outcome, dict[str, Any]], list[str]]:
    lines = ctx.source.splitlines()

    def explain(outcome: Outcome, data: dict[str, Any]) -> list[str]:
        return lost_update(outcome.events, ctx.filename, lines) or recent(outcome.events, ctx.filename, lines)

    return explain


def _common_problem(data: dict[str, Any]) -> str | None:
    if data.get("thread_errors"):
        return "a thread raised " + exc_text(data["thread_errors"][0])
    if data["status"] == "deadlock":
        return "the threads deadlocked"
    if data["status"] == "steps":
        return "the operations did not finish (an endless loop or livelock?)"
    if data["status"] == "stall":
        return "a thread blocked in something the grader cannot schedule"
    if type(data.get("final")) not in (int, float):
        return f"balance is not a number ({data.get('final')!r})"
    return None


def _race(data: dict[str, Any]) -> str | None:
    """The race oracle's finding in a schedule whose money came out right: an update another
    thread's write can break is a bug whether or not this schedule lost money."""
    found = race_problem(data.get("oracle") or {})
    return found[0] if found else None


def _failure(problem: str, data: dict[str, Any], lead: str, filename: str) -> Verdict:
    details: list[str] = []
    race = race_problem(data.get("oracle") or {})
    if race:
        details += race[1]
    if data.get("story"):
        details += ["How it happened (one schedule of the threads):"] + list(data["story"])
    for entry in data.get("deadlock", []):
        details.append(f"{entry['thread']} {entry['waits']}")
        details += [f"    {frame}" for frame in entry.get("stack", [])]
    details.append(replay("bank", filename, data["seed"]))
    return failed(f"{lead}: {problem} (schedule seed {data['seed']})", "\n".join(details),
                  seed=data["seed"])


def schedules_problem(obs: dict[str, Any], ctx: JudgeContext, default: int) -> str | None:
    """Why `obs["runs"]` is not the schedules the grader planned: seeds `seed, seed + 1, ...`
    in order, all of them unless one showed a problem (the probe stops there)."""
    runs = obs.get("runs")
    planned = int(ctx.params.get("schedules", default))
    if not isinstance(runs, list) or not runs or len(runs) > planned:
        return "its schedules are not the ones the grader planned"
    for index, data in enumerate(runs):
        if not isinstance(data, dict) or data.get("seed") != ctx.seed + index \
                or not isinstance(data.get("status"), str):
            return f"schedule {index} is not the one the grader planned"
    return None


def forged(why: str) -> Verdict:
    return failed(f"the observation does not match the grader's plan: {why}", forged=why)


def _judge_runs(obs: dict[str, Any], ctx: JudgeContext, problem: Callable[[dict[str, Any]], str | None],
                lead: str, ok: str, default: int = SCHEDULES) -> Verdict:
    if obs.get("missing"):
        return skipped(obs["missing"])
    if (why := schedules_problem(obs, ctx, default)) is not None:
        return forged(why)
    for data in obs["runs"]:
        try:
            why = problem(data)
        except HistoryUndecided as exc:
            return forged(f"its history could not be checked within the grader's bound ({exc}); "
                          "a real run of the planned operations never comes near it")
        if why:
            return _failure(why, data, lead, ctx.filename)
    if len(obs["runs"]) != int(ctx.params.get("schedules", default)):
        return forged("it stopped before the planned schedules without a problem")
    return passed(f"{ok} ({len(obs['runs'])} schedules)")


# -- no lost update -------------------------------------------------------------------------
AMOUNTS = (1, 10, 100, 1000, 10000, 100000)


def _lost_update_problem(data: dict[str, Any], plan: dict[str, Any]) -> str | None:
    common = _common_problem(data)
    if common:
        return common
    expected = plan["initial"] + sum(a * plan["ops"] for a in plan["amounts"])
    if data["final"] != expected:
        return f"expected balance {expected} after all deposits, got {data['final']}"
    return _race(data)


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
        _name_locks(sched, {"account": account})

        def customer(amount: int) -> Callable[[], None]:
            def body() -> None:
                for _ in range(ops):
                    account.deposit(amount)
            return body

        return Scenario([(f"Thread-{i + 1}", customer(a)) for i, a in enumerate(amounts)],
                        lambda outcome: {"final": _balance(account)})

    return _explore(ctx, build, lambda data: _lost_update_problem(data, plan))


@check("bank.no_lost_update", probe="bank.no_lost_update")
def no_lost_update(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    plan = ctx.plan or {}
    return _judge_runs(obs, ctx, lambda data: _lost_update_problem(data, plan),
                       "concurrent deposits lost money",
                       "no deposit was lost under forced thread switches")


# -- no overdraft ---------------------------------------------------------------------------
def _overdraft_problem(data: dict[str, Any], plan: dict[str, Any]) -> str | None:
    common = _common_problem(data)
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
    return _race(data)


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
        _name_locks(sched, {"account": account})
        results: list[Any] = []

        def body() -> None:
            for _ in range(ops):
                results.append(plain(account.withdraw(amount)))

        return Scenario([(f"Thread-{i + 1}", body) for i in range(threads)],
                        lambda outcome: {"final": _balance(account), "results": results})

    return _explore(ctx, build, lambda data: _overdraft_problem(data, plan))


@check("bank.no_overdraft", probe="bank.no_overdraft")
def no_overdraft(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    plan = ctx.plan or {}
    return _judge_runs(obs, ctx, lambda data: _overdraft_problem(data, plan),
                       "concurrent withdrawals overdrew the account",
                       "concurrent withdrawals never overdrew the account")


# -- conservation ---------------------------------------------------------------------------
def _conservation_problem(data: dict[str, Any], plan: dict[str, Any]) -> str | None:
    common = _common_problem(data)
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
    return _race(data)


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
        _name_locks(sched, {"account": account})
        withdrawals: list[Any] = []

        def depositor() -> None:
            for _ in range(ops):
                account.deposit(amount_d)

        def withdrawer() -> None:
            for _ in range(ops):
                withdrawals.append(plain(account.withdraw(amount_w)))

        bodies = [("Thread-1", depositor), ("Thread-2", withdrawer), ("Thread-3", depositor),
                  ("Thread-4", withdrawer)]
        return Scenario(bodies, lambda outcome: {"final": _balance(account),
                                                 "withdrawals": withdrawals})

    return _explore(ctx, build, lambda data: _conservation_problem(data, plan))


@check("bank.conservation", probe="bank.conservation")
def conservation(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    plan = ctx.plan or {}
    return _judge_runs(obs, ctx, lambda data: _conservation_problem(data, plan),
                       "money was created or destroyed",
                       "mixed deposits and withdrawals always conserved money")


# -- linearizability ------------------------------------------------------------------------
def _history_problem(data: dict[str, Any], initial: tuple[int, ...], names: str = "AB",
                     plan: dict[str, list[list[Any]]] | None = None) -> str | None:
    """Why the recorded concurrent history is wrong; with `plan` (thread -> its operations),
    a history whose operations are not the planned ones is reported as not the grader's."""
    if not isinstance(data.get("history"), list) or not all(
            isinstance(op, dict) and isinstance(op.get("thread"), str) for op in data["history"]):
        return "no history of the operations was recorded"
    if plan is not None:
        ran: dict[str, list[list[Any]]] = {}
        for op in sorted(data["history"], key=lambda op: op.get("call", 0)):
            ran.setdefault(op["thread"], []).append([op.get("op"), *op.get("args", [None])[1:]])
        complete = data["status"] == "ok"
        for thread, ops in plan.items():
            done = ran.pop(thread, [])
            if done != ops[:len(done)] or (complete and len(done) != len(ops)):
                return "the operations recorded are not the ones the grader planned"
        if ran:
            return "the operations recorded are not the ones the grader planned"
    if data.get("thread_errors"):
        return "a thread raised " + exc_text(data["thread_errors"][0])
    if data["status"] != "ok":
        return {"deadlock": "the threads deadlocked", "steps": "the operations did not finish",
                "stall": "a thread blocked in something the grader cannot schedule"}.get(
            data["status"], data["status"])
    ops = data["history"]
    for op in ops:
        if "error" in op:
            return f"{show_op({**op, 'result': None}, names)} raised {exc_text(op['error'])}"
    try:
        if linearize(ops, initial, bank_step, bank_matches) is None:
            return "no one-at-a-time order of the operations explains what they returned"
    except Undecided as exc:
        raise HistoryUndecided(str(exc)) from None
    return None


class HistoryUndecided(Exception):
    """The grader could not decide a recorded history within its bound (see linearize)."""


def _history_story(data: dict[str, Any], names: str = "AB") -> list[str]:
    ops = sorted(data["history"], key=lambda op: (op["call"], op.get("ret", float("inf"))))
    return ["The operations, with the scheduling steps during which each ran:"] + [
        "  " + show_op(op, names) for op in ops]


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
        _name_locks(sched, {"account": account})
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
        return _history_problem(data, (plan["initial"],), "A", plan["threads"])

    def explain(outcome: Outcome, data: dict[str, Any]) -> list[str]:
        return _history_story(data, "A") + _story(ctx)(outcome, data)

    return _explore(ctx, build, problem, explain)


@check("bank.linearizable", probe="bank.linearizable")
def linearizable(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    plan = ctx.plan or {}
    return _judge_runs(obs, ctx, lambda d: _history_problem(d, (plan["initial"],), "A",
                                                            plan["threads"]),
                       "concurrent operations returned results no sequential order explains",
                       "every recorded concurrent history has a valid sequential order")


# -- two accounts ---------------------------------------------------------------------------
@probe("bank.independent_accounts", data=shapes.Independent)
def independent_probe(ctx: ProbeContext) -> dict[str, Any]:
    cls, plan = ctx.entry("account_class"), ctx.plan

    def run() -> dict[str, Any]:
        a = cls(plan["a"])
        b = cls(plan["b"])
        a.deposit(plan["deposit"])
        b.withdraw(plan["withdraw"])
        c = cls()
        return {"a": _balance(a), "b": _balance(b), "c": _balance(c)}

    module = sys.modules.get(getattr(cls, "__module__", None) or "")
    if module is None:
        return run()
    from grader.preempt.engine import in_world

    return in_world(ctx, vars(module), run, "the grader's call")


@planner("bank.independent_accounts")
def independent_plan(rng: random.Random, params: dict[str, Any]) -> dict[str, Any]:
    b = rng.randint(30, 90)
    return {"a": rng.randint(50, 150), "b": b, "deposit": rng.randint(1, 40),
            "withdraw": rng.randint(1, b)}


@check("bank.independent_accounts", probe="bank.independent_accounts")
def independent_accounts(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    plan = ctx.plan or {}
    want = {"a": plan["a"] + plan["deposit"], "b": plan["b"] - plan["withdraw"], "c": 0}
    got = {k: obs.get(k) for k in want}
    if got != want:
        steps = (f"A = BankAccount({plan['a']}); B = BankAccount({plan['b']}); "
                 f"A.deposit({plan['deposit']}); B.withdraw({plan['withdraw']}); C = BankAccount()")
        return failed(f"after {steps}: expected A.balance={want['a']}, B.balance={want['b']}, "
                      f"C.balance=0, got A={got['a']!r}, B={got['b']!r}, C={got['c']!r}; each account "
                      "must keep its own balance (an instance attribute set in __init__)")
    return passed("accounts keep separate balances")


# -- transfer (bonus) -----------------------------------------------------------------------
def _no_transfer(ctx: ProbeContext) -> dict[str, Any] | None:
    if not ctx.has("transfer"):
        return {"missing": f"{ctx.entry_points.get('transfer', 'transfer')} is not defined (bonus)"}
    return None


def _transfer_of(ctx: ProbeContext, module: Any) -> Any:
    return getattr(module, ctx.entry_points.get("transfer", "transfer"))


def _refusal(ctx: ProbeContext) -> dict[str, Any]:
    """One transfer that must be refused, alone, under the scheduler: a transfer that takes a
    lock it already holds deadlocks here at once instead of hanging the check."""
    from grader.preempt.primitives import patched

    module = instrumented_module(ctx)
    cls, transfer = getattr(module, ctx.entry_points["account_class"]), _transfer_of(ctx, module)
    box: dict[str, Any] = {}
    sched = Scheduler(ctx.seed, filename=str(ctx.path), source=ctx.source, world=module.__dict__)

    def body() -> None:
        a, b = cls(100), cls(20)
        _name_locks(sched, {"A": a, "B": b})
        box["result"] = plain(transfer(a, b, 1000))
        box.update(a=_balance(a), b=_balance(b))

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


@probe("bank.transfer_atomic", data=(shapes.TransferSchedules, shapes.NoTransfer))
def transfer_atomic_probe(ctx: ProbeContext) -> dict[str, Any] | Tampered:
    """Thread-1 moves all the money A->B and back; auditors look for it with 1-unit withdrawals.

    The auditors use only the account's own (locked) operations, never a bare read of two
    balances: that would see a correct transfer half-done whenever `balance` is a plain
    attribute. If money is ever in neither account (or in both), some auditor's pair of
    withdrawals has no sequential explanation, and the history check says so.
    """
    if (missing := _no_transfer(ctx)) is not None:
        return missing
    refusal = _refusal(ctx)

    def build(module: Any, cls: Any, sched: Scheduler) -> Scenario:
        transfer = _transfer_of(ctx, module)
        accounts = [cls(T_INITIAL[0]), cls(T_INITIAL[1])]
        _name_locks(sched, {"A": accounts[0], "B": accounts[1]})
        history = History(sched)

        def mover() -> None:
            for src, dst in ((0, 1), (1, 0)):
                history.call("Thread-1", "transfer", [src, dst, 100],
                             lambda src=src, dst=dst: transfer(accounts[src], accounts[dst], 100))  # type: ignore[misc]

        def auditor(name: str, first: int) -> Callable[[], None]:
            def run() -> None:
                for round_ in range(3):
                    order = (first, 1 - first) if round_ % 2 == 0 else (1 - first, first)
                    for index in order:
                        took = history.call(name, "withdraw", [index, 1],
                                            lambda index=index: accounts[index].withdraw(1))  # type: ignore[misc]
                        if took is True:
                            history.call(name, "deposit", [index, 1],
                                         lambda index=index: accounts[index].deposit(1))  # type: ignore[misc]
            return run

        return Scenario([("Thread-1", mover), ("Thread-2", auditor("Thread-2", 0)),
                         ("Thread-3", auditor("Thread-3", 1))],
                        lambda outcome: {"history": history.ops,
                                         "final": [_balance(x) for x in accounts]})

    runs = _explore(ctx, build, _transfer_problem,
                    lambda outcome, data: _history_story(data) + _story(ctx)(outcome, data))
    if isinstance(runs, Tampered):
        return runs
    return {"refusal": refusal, **runs}


def _transfer_problem(data: dict[str, Any]) -> str | None:
    why = _history_problem(data, T_INITIAL)
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
    return _judge_runs(obs, ctx, _transfer_problem, "transfer is not atomic",
                       "transfers are atomic and conserve money")


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
        _name_locks(sched, {"A": a, "B": b})

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

    return _explore(ctx, build, _deadlock_problem, explain)


@check("bank.transfer_no_deadlock", probe="bank.transfer_no_deadlock")
def transfer_no_deadlock(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    return _judge_runs(obs, ctx, _deadlock_problem, "transfers can deadlock",
                       "transfers in both directions at once never deadlocked")
