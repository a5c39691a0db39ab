"""Bank checks that need no threads: the API and the sequential semantics of one account."""
from __future__ import annotations

import inspect
from typing import Any, Callable

from grader.probing import ProbeContext, describe, exc_text, plain
from grader.registry import JudgeContext, Verdict, check, failed, passed, probe


def _bind(fn: Any, *args: Any) -> str | None:
    try:
        inspect.signature(fn).bind(*args)
    except TypeError as exc:
        return str(exc)
    except ValueError:  # builtins without a signature: accept
        return None
    return None


@probe("bank.api")
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
                       and getattr(v, "__module__", None) == ctx.module.__name__)
        problems.append(f"{ctx.filename} defines: {', '.join(found) or 'nothing'}")
    return {"problems": problems}


@check("bank.api", probe="bank.api")
def api(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    if obs["problems"]:
        return failed("; ".join(obs["problems"]))
    return passed("BankAccount and simulate have the expected signatures")


def _outcome(fn: Callable[[], Any], filename: str) -> dict[str, Any]:
    try:
        return {"value": plain(fn())}
    except Exception as exc:
        return {"error": describe(exc, filename)}


def _show(outcome: dict[str, Any]) -> str:
    if "error" in outcome:
        return f"raised {exc_text(outcome['error'])}"
    value = outcome["value"]
    if isinstance(value, dict) and "__type__" in value:
        return f"a {value['__type__']} object"
    return repr(value)


@probe("bank.basic")
def basic_probe(ctx: ProbeContext) -> dict[str, Any]:
    cls, f = ctx.entry("account_class"), ctx.filename
    steps: list[dict[str, Any]] = []

    def step(label: str, fn: Callable[[], Any]) -> None:
        steps.append({"step": label, **_outcome(fn, f)})

    fresh = cls()
    step("BankAccount().balance", lambda: fresh.balance)
    acct = cls(100)
    step("BankAccount(100).balance", lambda: acct.balance)
    step("deposit(50) returns", lambda: None if acct.deposit(50) is None else "ignored")
    step("balance after deposit(50)", lambda: acct.balance)
    step("withdraw(30) returns", lambda: acct.withdraw(30))
    step("balance after withdraw(30)", lambda: acct.balance)
    step("withdraw(1000) with 120 in the account returns", lambda: acct.withdraw(1000))
    step("balance after the refused withdraw(1000)", lambda: acct.balance)
    step("withdraw(120) (the whole balance) returns", lambda: acct.withdraw(120))
    step("balance after withdraw(120)", lambda: acct.balance)
    return {"steps": steps}


BASIC_EXPECTED = {
    "BankAccount().balance": 0,
    "BankAccount(100).balance": 100,
    "deposit(50) returns": None,  # any return value is fine; see the "ignored" marker above
    "balance after deposit(50)": 150,
    "withdraw(30) returns": True,
    "balance after withdraw(30)": 120,
    "withdraw(1000) with 120 in the account returns": False,
    "balance after the refused withdraw(1000)": 120,
    "withdraw(120) (the whole balance) returns": True,
    "balance after withdraw(120)": 0,
}


@check("bank.basic", probe="bank.basic")
def basic(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    for step in obs["steps"]:
        label, expected = step["step"], BASIC_EXPECTED[step["step"]]
        if "error" in step:
            return failed(f"{label}: expected {expected!r}, but it {_show(step)}")
        value = step["value"]
        if label == "deposit(50) returns":
            continue
        ok = (value is expected) if isinstance(expected, bool) else (
            type(value) in (int, float) and value == expected)
        if not ok:
            return failed(f"{label}: expected {expected!r}, got {_show(step)}")
    return passed("deposit, withdraw and balance behave as specified in a single thread")


@probe("bank.validation")
def validation_probe(ctx: ProbeContext) -> dict[str, Any]:
    cls, f = ctx.entry("account_class"), ctx.filename
    cases = []
    for method in ("deposit", "withdraw"):
        for amount in (0, -10):
            acct = cls(100)
            outcome = _outcome(lambda: getattr(acct, method)(amount), f)
            after = _outcome(lambda: acct.balance, f)
            cases.append({"call": f"{method}({amount})", "outcome": outcome, "balance": after})
    return {"cases": cases}


@check("bank.validation", probe="bank.validation")
def validation(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    for case in obs["cases"]:
        outcome, balance = case["outcome"], case["balance"]
        raised = outcome.get("error", {}).get("type")
        if raised != "ValueError":
            return failed(f"BankAccount(100).{case['call']}: expected ValueError, but it "
                          f"{_show(outcome) if raised else 'returned ' + _show(outcome)}")
        if balance.get("value") != 100:
            return failed(f"BankAccount(100).{case['call']} raised ValueError but changed the balance "
                          f"to {_show(balance)}; validate before touching the balance")
    return passed("amounts <= 0 are refused with ValueError")


@probe("bank.model")
def model_probe(ctx: ProbeContext) -> dict[str, Any]:
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    cls, f = ctx.entry("account_class"), ctx.filename
    found: dict[str, Any] = {}
    ops = st.lists(st.tuples(st.sampled_from(["deposit", "withdraw"]), st.integers(-5, 150)), max_size=15)

    @settings(max_examples=int(ctx.param("examples", 150)), derandomize=True, database=None,
              deadline=None, phases=[Phase.generate, Phase.shrink],
              suppress_health_check=list(HealthCheck))
    @given(st.integers(0, 200), ops)
    def run(initial: int, sequence: list[tuple[str, int]]) -> None:
        history = [f"BankAccount({initial})"]
        acct, model = cls(initial), initial
        for op, amount in sequence:
            call = f"{op}({amount})"
            if amount <= 0:
                want: Any = "ValueError"
            elif op == "deposit":
                want, model = None, model + amount
            elif amount <= model:
                want, model = True, model - amount
            else:
                want = False
            try:
                got: Any = getattr(acct, op)(amount)
                got = None if op == "deposit" else plain(got)
            except ValueError:
                got = "ValueError"
            except Exception as exc:
                got = f"raised {type(exc).__name__}"
            balance = plain(acct.balance)
            history.append(f"{call} -> {got!r}, balance {balance!r}")
            if got != want or type(balance) not in (int, float) or balance != model:
                found.update(history=history, call=call, expected=want, got=got,
                             expected_balance=model, balance=balance)
                raise AssertionError

    try:
        run()
    except AssertionError:
        return {"ok": False, **found}
    return {"ok": True}


@check("bank.model", probe="bank.model")
def model(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    if obs["ok"]:
        return passed("random sequences of deposits and withdrawals match the specification")
    expected = "ValueError" if obs["expected"] == "ValueError" else repr(obs["expected"])
    return failed(f"after {' ; '.join(obs['history'][:-1])} ; {obs['call']}: expected {expected} "
                  f"and balance {obs['expected_balance']}, got {obs['got']!r} and balance "
                  f"{obs['balance']!r} (shortest failing sequence found by Hypothesis)")
