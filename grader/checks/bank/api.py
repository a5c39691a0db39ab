"""The bank contract's names: a class with deposit and withdraw, and simulate (transfer, a
bonus, when defined), callable with the expected arguments."""
from __future__ import annotations

import inspect
from typing import Any

from grader.checks import observations as shapes
from grader.probes.probing import ProbeContext
from grader.probes.registry import JudgeContext, Verdict, check, failed, passed, probe


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
