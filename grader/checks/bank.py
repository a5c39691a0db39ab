"""Bank checks that need no threads: the API and the sequential semantics of one account."""
from __future__ import annotations

import inspect
import random
import sys
from pathlib import Path
from typing import Any, Callable

from grader.probing import OPAQUE, ProbeContext, describe, exc_text, plain
from grader.checks import observations as shapes
from grader.registry import JudgeContext, Verdict, check, failed, passed, planner, probe


def _bind(fn: Any, *args: Any) -> str | None:
    try:
        inspect.signature(fn).bind(*args)
    except TypeError as exc:
        return str(exc)
    except ValueError:  # builtins without a signature: accept
        return None
    return None


@probe("bank.api", data=shapes.Problems)
def api_probe(ctx: ProbeContext) -> dict[str, Any]:
    names = {role: ctx.entry_points.get(role, role) for role in ("account_class", "simulate", "transfer")}
    problems: list[str] = []
    if not ctx.has("account_class"):
        problems.append(f"no class {names['account_class']} is defined")
    else:
        cls = ctx.entry("account_class")
        if not inspect.isclass(cls):
            problems.append(f"{names['account_class']} is not a class")
        else:
            for args, call in (((), f"{names['account_class']}()"), ((100,), f"{names['account_class']}(100)")):
                if (why := _bind(cls, *args)) is not None:
                    problems.append(f"{call} cannot be called: {why}")
            for method in ("deposit", "withdraw"):
                fn = getattr(cls, method, None)
                if not callable(fn):
                    problems.append(f"{names['account_class']} has no method {method}(amount)")
                elif (why := _bind(fn, object(), 10)) is not None:
                    problems.append(f"{names['account_class']}.{method}(amount) cannot be called: {why}")
    if not ctx.has("simulate"):
        problems.append(f"no function {names['simulate']}(account, customers, deposits_each, amount)")
    elif (why := _bind(ctx.entry("simulate"), object(), 2, 3, 4)) is not None:
        problems.append(f"{names['simulate']}(account, customers, deposits_each, amount) cannot be called: {why}")
    if ctx.has("transfer") and (why := _bind(ctx.entry("transfer"), object(), object(), 1)) is not None:
        problems.append(f"{names['transfer']}(src, dst, amount) cannot be called: {why}")
    if problems:
        found = sorted(n for n, v in vars(ctx.module).items()
                       if not n.startswith("_") and (inspect.isclass(v) or inspect.isfunction(v))
                       and getattr(v, "__module__", None) == ctx.module.__name__)  # type: ignore[union-attr]
        problems.append(f"{ctx.filename} defines: {', '.join(found) or 'nothing'}")
    return {"problems": problems}


@check("bank.api", probe="bank.api")
def api(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    if obs["problems"]:
        return failed("; ".join(obs["problems"]))
    return passed("BankAccount and simulate have the expected signatures")


STUCK = {"time": "it was still running after a minute of (virtual) time",
         "steps": "it was still running after the grader's step limit",
         "stall": "it blocked in something the grader cannot schedule"}


def _stuck(kind: str, waits: list[str]) -> dict[str, Any]:
    what = STUCK.get(kind) or "it waits forever: " + ("; ".join(waits[:2]) or "a lock nobody releases")
    return {"error": {"type": "NeverReturned", "message": what, "where": None}}


def _show(outcome: dict[str, Any]) -> str:
    if "error" in outcome and outcome["error"].get("type") == "NeverReturned":
        return f"never returned ({outcome['error'].get('message')})"
    if "error" in outcome:
        return f"raised {exc_text(outcome['error'])}"
    value = outcome["value"]
    if isinstance(value, dict) and OPAQUE in value:
        return f"a {value[OPAQUE]} object"
    return repr(value)


def _apply(cls: Any, steps: list[list[Any]], filename: str) -> list[dict[str, Any]]:
    """Run the grader's steps on one account: `["new", initial?]`, `["balance"]`,
    `["deposit", amount]`, `["withdraw", amount]`; one outcome per step, in order."""
    box: dict[str, Any] = {}
    history: list[dict[str, Any]] = []

    def run(step: list[Any]) -> Any:
        op = step[0]
        if op == "new":
            box["account"] = cls(*step[1:])
            return None
        if op == "balance":
            return box["account"].balance
        result = getattr(box["account"], op)(step[1])
        return None if op == "deposit" and result is None else result

    module = sys.modules.get(getattr(cls, "__module__", None) or "")
    namespace = vars(module) if module is not None else {}
    path = str(namespace.get("__file__") or filename)
    try:
        source = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, ValueError):
        source = ""

    def entry() -> dict[str, Any]:
        """The record of the next step not yet run."""
        step = steps[len(history)]
        return {"step": len(history), "op": str(step[0]), "args": list(step[1:])}

    def remaining() -> None:
        """The steps not yet run, one after another, in one serial schedule."""
        while len(history) < len(steps):
            step, record = steps[len(history)], entry()
            try:
                record["value"] = plain(run(step))
            except Exception as exc:
                record["error"] = describe(exc, filename)
            history.append(record)

    # The student's methods run with virtual time (a sleep in them costs nothing); a step that
    # never returns (a lock it already holds) is recorded as such, and the rest run afresh.
    from grader.preempt.runner import CALL_TIME_LIMIT, call_quietly

    while len(history) < len(steps):
        left = len(steps) - len(history)
        done = call_quietly(remaining, namespace, path, source, time_limit=CALL_TIME_LIMIT * left)
        if done.error is not None:
            raise done.error  # SystemExit, KeyboardInterrupt: the child's protocol handles them
        if done.stuck is not None and len(history) < len(steps):
            history.append({**entry(), **_stuck(done.stuck, done.waits)})
    return history


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
    return {"history": _apply(ctx.entry("account_class"), ctx.plan["steps"], ctx.filename)}


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
    return {"history": _apply(ctx.entry("account_class"), ctx.plan["steps"], ctx.filename)}


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
    return {"histories": [_apply(cls, steps, ctx.filename) for steps in ctx.plan["sequences"]]}


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
