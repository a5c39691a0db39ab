"""Bank checks that need no threads: the sequential semantics of one account (basic,
validation, random sequences against the specification) and of two (independent accounts)."""
from __future__ import annotations

import random
from typing import Any

from grader.checks import observations as shapes
from grader.checks.bank.harness import apply_sequences, apply_steps, balance_of, call_in_world
from grader.probes.probing import OPAQUE, ProbeContext, exc_text
from grader.probes.registry import JudgeContext, Verdict, check, failed, passed, planner, probe


def _show(outcome: dict[str, Any]) -> str:
    if "error" in outcome and outcome["error"].get("type") == "NeverReturned":
        return f"never returned ({outcome['error'].get('message')})"
    if "error" in outcome:
        return f"raised {exc_text(outcome['error'])}"
    value = outcome["value"]
    if isinstance(value, dict) and OPAQUE in value:
        return f"a {value[OPAQUE]} object"
    return repr(value)


def _replayed(history: Any, steps: list[list[Any]]) -> str | None:
    """Why `history` is not a run of exactly these steps, or None when it is."""
    if not isinstance(history, list) or len(history) != len(steps):
        return "its steps are not the ones the grader sent"
    for index, (entry, step) in enumerate(zip(history, steps)):
        if not isinstance(entry, dict) or entry.get("step") != index or entry.get("op") != step[0] \
                or entry.get("args") != list(step[1:]) or not ("value" in entry or "error" in entry):
            return f"step {index} is not the one the grader sent"
    return None


def _model(steps: list[list[Any]]) -> list[tuple[str, Any]]:
    """The specification run by the grader: (label, expected outcome) per step; `ANY` where the
    specification allows any return value, `"ValueError"` where the step must raise it."""
    balance = 0
    expected: list[tuple[str, Any]] = []
    for step in steps:
        op = step[0]
        if op == "new":
            balance = step[1] if len(step) > 1 else 0
            expected.append((f"BankAccount({', '.join(map(str, step[1:]))})", ANY))
        elif op == "balance":
            expected.append(("balance", balance))
        elif step[1] <= 0:
            expected.append((f"{op}({step[1]})", "ValueError"))
        elif op == "deposit":
            balance += step[1]
            expected.append((f"deposit({step[1]}) returns", ANY))
        else:
            ok = step[1] <= balance
            balance -= step[1] if ok else 0
            expected.append((f"withdraw({step[1]}) with {balance + step[1] if ok else balance} in "
                             "the account returns", ok))
    return expected


ANY = "<any return value>"


def _matches(expected: Any, entry: dict[str, Any]) -> bool:
    if expected == "ValueError":
        return entry.get("error", {}).get("type") == "ValueError"
    if "error" in entry:
        return False
    if expected is ANY:
        return True
    value = entry["value"]
    if isinstance(expected, bool):
        return value is expected
    return type(value) in (int, float) and value == expected


@probe("bank.basic", data=shapes.History)
def basic_probe(ctx: ProbeContext) -> dict[str, Any]:
    return {"history": apply_steps(ctx.entry("account_class"), ctx.plan["steps"], ctx.filename)}


@planner("bank.basic")
def basic_plan(rng: random.Random, params: dict[str, Any]) -> dict[str, Any]:
    """A fresh account, then one with money: a deposit, a withdrawal that fits, one that does
    not, and one of the whole balance, with the balance read after each (amounts from the seed)."""
    initial, deposit = rng.randint(50, 150), rng.randint(10, 90)
    take = rng.randint(1, initial + deposit - 1)
    left = initial + deposit - take
    return {"steps": [["new"], ["balance"], ["new", initial], ["balance"], ["deposit", deposit],
                      ["balance"], ["withdraw", take], ["balance"],
                      ["withdraw", left + rng.randint(1, 500)], ["balance"], ["withdraw", left],
                      ["balance"]]}


def _judge_steps(obs: dict[str, Any], ctx: JudgeContext) -> Verdict | None:
    """The first step whose outcome differs from the specification, as a failure; a history
    that is not the plan's is a forged observation."""
    steps = (ctx.plan or {})["steps"]
    if (why := _replayed(obs.get("history"), steps)) is not None:
        return failed(f"the observation does not match the grader's plan: {why}", forged=why)
    done: list[str] = []
    for (label, expected), entry, step in zip(_model(steps), obs["history"], steps):
        if not _matches(expected, entry):
            before = f"after {'; '.join(done)}: " if done else ""
            want = "ValueError" if expected == "ValueError" else repr(expected)
            if label == "balance":
                return failed(f"{before}balance: expected {want}, got {_show(entry)}")
            how = _show(entry) if "error" in entry else f"returned {_show(entry)}"
            return failed(f"{before}{label}: expected {want}, but it {how}")
        done.append(label.replace(" returns", "").split(" with ")[0] if step[0] != "balance"
                    else f"balance {entry['value']!r}")
    return None


@check("bank.basic", probe="bank.basic")
def basic(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    return _judge_steps(obs, ctx) or passed(
        "deposit, withdraw and balance behave as specified in a single thread")


@probe("bank.validation", data=shapes.History)
def validation_probe(ctx: ProbeContext) -> dict[str, Any]:
    return {"history": apply_steps(ctx.entry("account_class"), ctx.plan["steps"], ctx.filename)}


@planner("bank.validation")
def validation_plan(rng: random.Random, params: dict[str, Any]) -> dict[str, Any]:
    """deposit and withdraw of 0 and of a negative amount, each on a fresh account."""
    initial = rng.randint(20, 200)
    steps: list[list[Any]] = []
    for op in ("deposit", "withdraw"):
        for amount in (0, -rng.randint(1, 50)):
            steps += [["new", initial], [op, amount], ["balance"]]
    return {"steps": steps}


@check("bank.validation", probe="bank.validation")
def validation(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    steps = (ctx.plan or {})["steps"]
    if (why := _replayed(obs.get("history"), steps)) is not None:
        return failed(f"the observation does not match the grader's plan: {why}", forged=why)
    history = obs["history"]
    for index in range(0, len(steps), 3):
        initial, (op, amount) = steps[index][1], steps[index + 1]
        call, outcome, balance = f"BankAccount({initial}).{op}({amount})", history[index + 1], \
            history[index + 2]
        raised = outcome.get("error", {}).get("type")
        if raised != "ValueError":
            return failed(f"{call}: expected ValueError, but it "
                          f"{_show(outcome) if raised else 'returned ' + _show(outcome)}")
        if balance.get("value") != initial:
            return failed(f"{call} raised ValueError but changed the balance to {_show(balance)}; "
                          "validate before touching the balance")
    return passed("amounts <= 0 are refused with ValueError")


@probe("bank.model", data=shapes.Histories)
def model_probe(ctx: ProbeContext) -> dict[str, Any]:
    cls = ctx.entry("account_class")
    return {"histories": apply_sequences(cls, ctx.plan["sequences"], ctx.filename)}


@planner("bank.model")
def model_plan(rng: random.Random, params: dict[str, Any]) -> dict[str, Any]:
    """Random sequences of deposits, withdrawals and balance reads on a fresh account, shortest
    first (so the failure shown is a short one), with amounts around the balance: zero and
    negative amounts, exact balances, overdrafts."""
    sequences = []
    for index in range(int(params.get("examples", 150))):
        balance = rng.randint(0, 200)
        steps: list[list[Any]] = [["new", balance]] if rng.random() < 0.9 else [["new"]]
        balance = steps[0][1] if len(steps[0]) > 1 else 0
        for _ in range(min(1 + index // 10, 15)):
            op = rng.choice(["deposit", "withdraw", "withdraw"])
            amount = rng.choice([rng.randint(-5, 0), balance, balance + 1, rng.randint(1, 150),
                                 rng.randint(1, 150)])
            steps += [[op, amount], ["balance"]]
            if amount > 0 and op == "deposit":
                balance += amount
            elif amount > 0 and amount <= balance:
                balance -= amount
        sequences.append(steps)
    return {"sequences": sequences}


@check("bank.model", probe="bank.model")
def model(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    sequences = (ctx.plan or {})["sequences"]
    histories = obs.get("histories")
    if not isinstance(histories, list) or len(histories) != len(sequences):
        return failed("the observation does not match the grader's plan: its sequences are not "
                      "the ones the grader sent", forged="its sequences are not the grader's")
    for steps, history in zip(sequences, histories):
        verdict = _judge_steps({"history": history}, JudgeContext(ctx.params, ctx.filename,
                                                                    ctx.seed, {"steps": steps}))
        if verdict is not None:
            return verdict if verdict.data.get("forged") else failed(
                verdict.message + " (the shortest failing random sequence the grader tried)")
    return passed(f"{len(sequences)} random sequences of deposits and withdrawals match the "
                  "specification")


@probe("bank.independent_accounts", data=shapes.Independent)
def independent_probe(ctx: ProbeContext) -> dict[str, Any]:
    cls, plan = ctx.entry("account_class"), ctx.plan

    def run() -> dict[str, Any]:
        a = cls(plan["a"])
        b = cls(plan["b"])
        a.deposit(plan["deposit"])
        b.withdraw(plan["withdraw"])
        c = cls()
        return {"a": balance_of(a), "b": balance_of(b), "c": balance_of(c)}

    return call_in_world(ctx, cls, run)


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
