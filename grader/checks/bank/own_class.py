"""A bank program's own account class, tried on an overdraft: does its funds check refuse?

A program graded on what it does when run (no contract names) is judged by its run, and its run
may never ask for more money than there is: a withdraw method whose funds check can never be
true (`if self.saldo < self.saldo - cantidad`) then passes every `script_*` check. This probe
finds the program's own account classes by behaviour, not by name, and asks them directly.

* The classes: the file's top-level definitions (imports, functions, classes, and assignments
  that only call imported names, such as `candado = threading.Lock()`) are run without the rest
  of the program, instrumented and in a serial schedule with virtual time, as the contract
  checks call a class (grader/probes/preempt/runner.call_quietly).
* An account class: its instances, made with one numeric argument (START) or none, carry a
  numeric attribute that one-argument methods of the file's own raise (deposit-like) or lower
  (withdraw-like) by exactly the amount: a small one (SMALL) or one larger than the balance.
  An account that starts empty is first given FUND through its deposit-like method.
* The verdict: fails only a class that tries to refuse and cannot. Its withdraw-like method
  has a funds check of its own (grader/checks/bank/funds.py), and on a fresh instance a
  withdrawal of twice the balance still takes the balance below zero, as does one of HUGE (so an
  account with a credit limit, which refuses past it, is not failed). A withdraw method with no
  check at all is a design without overdraft refusal (a credit account, a counter demo): not
  judged. A class that cannot be made, or that does not fit, is left alone: the check passes
  and says what it tried.
* A wait in place of a refusal: a withdraw-like method that checks the funds once with an `if`
  whose body waits (`if self.balance < amount: self.cond.wait()`), then takes the money
  (funds.wait_once), is tried with two waiters: on a fresh instance two threads each withdraw
  SMALL more than the balance, and once both wait a deposit of SMALL covers one of them. Fails
  only when both then withdrew and the balance went below zero (a notify_all woke both and
  neither checked again); a deposit that wakes one waiter, or a second check after the wait,
  passes.
"""
from __future__ import annotations

import ast
import builtins
import contextlib
import inspect
import io
import math
import threading
import time
import types
from dataclasses import dataclass, field
from typing import Any, Callable

from grader.checks import observations as shapes
from grader.checks.bank.funds import definitions, funds_check, futures, method_node, only, wait_once
from grader.probes.preempt.access import student_globals
from grader.probes.preempt.engine import tampering
from grader.probes.preempt.instrument import instrument
from grader.probes.preempt.runner import CallOutcome, call_quietly
from grader.probes.preempt.siblings import siblings, submission_attrs
from grader.probes.preempt.tasks import Abort
from grader.probes.probing import ProbeContext, plain
from grader.probes.protocol import Tampered
from grader.probes.registry import JudgeContext, Verdict, check, failed, passed, probe
from grader.probes import syntax

START = 1000  # a constructor's one numeric argument: the opening balance
SMALL = 50  # a withdrawal any funded account allows, a deposit any account takes
FUND = 1000  # what an account that starts empty is given first, through its deposit-like method
HUGE = 10 ** 12  # past any credit limit
MAX_CLASSES, MAX_METHODS, MAX_ATTRS = 8, 12, 4
CALL_SECONDS = 30.0  # virtual seconds one trial may take (a sleep in a method costs nothing)
CALL_CPU = 2.0  # CPU seconds a trial may spin without sleeping


@dataclass
class _Program:
    """The program's definitions, run: its namespace, and what calls into it need."""

    namespace: dict[str, Any]
    path: str
    source: str
    tree: ast.Module

    def call(self, fn: Callable[[], Any]) -> CallOutcome:
        """`fn()` in a serial schedule with virtual time; what it prints is kept from the output."""
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            return call_quietly(fn, self.namespace, self.path, self.source,
                                time_limit=CALL_SECONDS, cpu_limit=CALL_CPU)


def _load(ctx: ProbeContext) -> _Program:
    """Run the program's top-level definitions (see the module's docstring), one statement at a
    time: a statement that fails (a name only the program's main part defines) is left out."""
    path = str(ctx.path)
    namespace: dict[str, Any] = student_globals()
    namespace.update(__name__=ctx.path.stem if ctx.path.stem.isidentifier() else "submission",
                     __file__=path, __builtins__=builtins)
    attrs = submission_attrs(ctx.path, ctx.source)
    codes = []
    first = futures(ctx.source)
    for span in definitions(ctx.source):
        try:
            codes.append(instrument(only(ctx.source, *first, span), path, attrs=attrs))
        except SyntaxError:
            continue

    def run() -> None:
        for code in codes:
            try:
                exec(code, namespace)
            except Abort:
                raise
            except BaseException:  # the student's: that statement is left out
                continue

    with siblings(ctx.path):
        call_quietly(run, namespace, path, ctx.source, time_limit=CALL_SECONDS, cpu_limit=CALL_CPU,
                     name="MainThread", environment=True)
    return _Program(namespace, path, ctx.source, syntax.parse(ctx.source))


def _numbers(obj: Any) -> dict[str, int | float]:
    """An instance's numeric attributes (its `__dict__` and slots), as the grader's own numbers."""
    items: list[tuple[Any, Any]] = []
    try:
        own = object.__getattribute__(obj, "__dict__")
    except Exception:
        own = None
    if type(own) is dict:
        items += list(own.items())
    for klass in type(obj).__mro__:
        for key, value in list(vars(klass).items()):
            if isinstance(value, types.MemberDescriptorType):
                try:
                    items.append((key, value.__get__(obj, type(obj))))
                except Exception:
                    continue
    found: dict[str, int | float] = {}
    for key, value in items[:50]:
        number = plain(value)
        if type(key) is str and type(number) in (int, float) and math.isfinite(number):
            found.setdefault(key, number)
    return found


@dataclass
class _Method:
    name: str
    amount: str  # its parameter's name
    first_line: int  # its code's first line (co_firstlineno)
    line: int  # its `def` line


def _methods(cls: type, path: str, tree: ast.Module) -> list[_Method]:
    """The class's one-argument methods defined in the student's file, in source order."""
    seen: set[str] = set()
    found: list[_Method] = []
    for klass in cls.__mro__:
        for name, value in list(vars(klass).items()):
            if name in seen or (name.startswith("__") and name.endswith("__")):
                continue
            seen.add(name)
            if not inspect.isfunction(value) or value.__code__.co_filename != path:
                continue
            try:
                params = list(inspect.signature(value).parameters.values())
            except (TypeError, ValueError):
                continue
            positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                          and p.default is p.empty]
            keywords = [p for p in params if p.kind is p.KEYWORD_ONLY and p.default is p.empty]
            if len(positional) == 2 and not keywords:
                node = method_node(tree, value.__code__.co_firstlineno)
                found.append(_Method(name, positional[1].name, value.__code__.co_firstlineno,
                                     node.lineno if node else value.__code__.co_firstlineno))
    return found[:MAX_METHODS]


@dataclass
class _Trial:
    """One call of a method on a fresh instance: the attributes before and after."""

    before: dict[str, int | float] = field(default_factory=dict)
    after: dict[str, int | float] | None = None
    returned: Any = None
    raised: str | None = None
    stuck: str | None = None

    def moved(self, attr: str, by: float) -> bool:
        """The call returned and changed `attr` by `by` (to a float's rounding)."""
        if self.stuck or self.after is None or attr not in self.before or attr not in self.after:
            return False
        return abs(self.after[attr] - self.before[attr] - by) <= 1e-9 * max(1.0, abs(by))


class _Account:
    """One class of the program, made and called the same way every time."""

    def __init__(self, program: _Program, cls: type, args: tuple[Any, ...]) -> None:
        self.program, self.cls, self.args = program, cls, args

    def trial(self, method: str, amount: int, fund: str | None = None) -> _Trial:
        """A fresh instance (given FUND through `fund` first), then `method(amount)`."""
        result = _Trial()

        def body() -> None:
            account = self.cls(*self.args)
            if fund is not None:
                getattr(account, fund)(FUND)
            result.before = _numbers(account)
            try:
                result.returned = plain(getattr(account, method)(amount))
            finally:
                result.after = _numbers(account)

        done = self.program.call(body)
        if done.error is not None:
            result.raised = type(done.error).__name__[:100]
        result.stuck = done.stuck
        return result

    def waiters(self, method: str, deposit: str, attr: str, fund: str | None) -> dict[str, Any]:
        """Two withdrawals that must wait, and one deposit that covers only one of them: on a
        fresh instance (given FUND through `fund` first), two threads each call `method(A)`, A
        being SMALL more than the balance; once both wait, `deposit(SMALL)`. What is left then
        (`left`), and how many of the two had withdrawn (`done`). Afterwards a deposit of A lets
        a waiter that checked again finish too. `waited`: both threads were still waiting, the
        balance untouched, before the deposit (else the trial says nothing)."""
        seen: dict[str, Any] = {"start": None, "amount": None, "waited": False, "left": None,
                                "done": None}
        taken: list[bool] = [False, False]

        def body() -> None:
            account = self.cls(*self.args)
            if fund is not None:
                getattr(account, fund)(FUND)
            start = _numbers(account).get(attr)
            if start is None or start < 0:
                return
            amount = math.ceil(start) + SMALL
            seen["start"], seen["amount"] = start, amount

            def customer(index: int) -> None:
                getattr(account, method)(amount)
                taken[index] = True

            threads = [threading.Thread(target=customer, args=(i,), daemon=True) for i in range(2)]
            for thread in threads:
                thread.start()
            time.sleep(1.0)  # virtual: every thread runs until it blocks
            seen["waited"] = (_numbers(account).get(attr) == start and not any(taken)
                              and all(thread.is_alive() for thread in threads))
            if not seen["waited"]:
                return
            getattr(account, deposit)(SMALL)
            time.sleep(1.0)
            seen["left"], seen["done"] = _numbers(account).get(attr), sum(taken)
            getattr(account, deposit)(amount)
            time.sleep(1.0)
            for thread in threads:
                thread.join(1.0)

        done = self.program.call(body)
        seen["stuck"] = done.stuck
        seen["raised"] = None if done.error is None else type(done.error).__name__[:100]
        return seen


def _make(program: _Program, cls: type) -> tuple[Any, ...] | None:
    """The constructor's arguments that work: one number, or none."""
    for args in ((START,), ()):
        done = program.call(lambda: cls(*args))
        if done.error is None and done.stuck is None and done.value is not None:
            return args
    return None


def _study(program: _Program, cls: type, node: ast.ClassDef) -> dict[str, Any]:
    """What the class is (an account or not) and what its withdraw-like methods do."""
    name = node.name
    report: dict[str, Any] = {"name": name, "line": node.lineno, "made": None, "withdrawals": []}
    args = _make(program, cls)
    if args is None:
        return report
    report["made"] = f"{name}({', '.join(map(str, args))})"
    made = program.call(lambda: _numbers(cls(*args)))
    start = made.value if isinstance(made.value, dict) and made.error is None else {}
    methods = _methods(cls, program.path, program.tree)
    if not start or not methods:
        return report
    account = _Account(program, cls, args)
    small = {m.name: account.trial(m.name, SMALL) for m in methods}
    deposits = {attr: [m.name for m in methods if small[m.name].moved(attr, SMALL)]
                for attr in start}
    lines = program.source.splitlines()
    for attr in list(start)[:MAX_ATTRS]:
        fund = deposits[attr][0] if start[attr] < SMALL and deposits[attr] else None
        if start[attr] < SMALL and fund is None:
            continue  # nothing to withdraw, and no way to put money in
        for method in methods:
            if method.name in deposits[attr]:
                continue
            first = small[method.name] if fund is None else account.trial(method.name, SMALL, fund)
            balance = first.before.get(attr)
            if balance is None or balance <= 0:
                continue
            amount = 2 * math.ceil(balance)
            large = account.trial(method.name, amount, fund)
            if not first.moved(attr, -SMALL) and not large.moved(attr, -amount):
                continue  # does not take money from this attribute
            record: dict[str, Any] = {
                "method": method.name, "line": method.line, "attr": attr, "funded_with": fund,
                "start": balance, "small_taken": first.moved(attr, -SMALL), "amount": amount,
                "left": None if large.stuck or large.after is None else large.after.get(attr),
                "returned": large.returned, "raised": large.raised, "stuck": large.stuck,
                "huge_left": None, "check": None}
            found = funds_check(program.tree, lines, method.first_line, attr, name, method.amount)
            if found is not None:
                record["check"] = {"line": found.line, "text": found.text}
            once = wait_once(program.tree, lines, method.first_line, attr, name, method.amount)
            if once is not None and deposits[attr]:
                record["wait_once"] = {"line": once.line, "text": once.text,
                                       "take_line": once.take_line, "take_text": once.take_text,
                                       "deposit": deposits[attr][0],
                                       **account.waiters(method.name, deposits[attr][0], attr, fund)}
            if isinstance(record["left"], (int, float)) and record["left"] < 0 and found is not None:
                huge = account.trial(method.name, HUGE, fund)
                record["huge_left"] = None if huge.stuck or huge.after is None else huge.after.get(attr)
            report["withdrawals"].append(record)
    return report


@probe("bank.own_class", data=shapes.OwnClass)
def own_class_probe(ctx: ProbeContext) -> dict[str, Any] | Tampered:
    try:
        program = _load(ctx)
    except SyntaxError:
        return {"classes": []}
    classes: list[dict[str, Any]] = []
    for node in [n for n in program.tree.body if isinstance(n, ast.ClassDef)][:MAX_CLASSES]:
        cls = program.namespace.get(node.name)
        if not isinstance(cls, type) or issubclass(cls, BaseException) \
                or cls.__dict__.get("__module__") != program.namespace["__name__"]:
            continue
        classes.append(_study(program, cls, node))
    if (why := tampering(program.namespace)) is not None:
        return Tampered(why)
    return {"classes": classes}


def _number(value: Any) -> bool:
    return type(value) in (int, float)


def _shown(value: Any) -> str:
    return f"{value:g}" if type(value) is float else str(value)


def _overdraft(cls: dict[str, Any], w: dict[str, Any], filename: str) -> str | None:
    """The failure message when this withdraw-like method's own funds check let an overdraft
    through (twice the balance, and HUGE too), else None."""
    check_ = w.get("check")
    if not (isinstance(check_, dict) and _number(w.get("left")) and w["left"] < 0
            and _number(w.get("huge_left")) and w["huge_left"] < 0 and _number(w.get("start"))
            and _number(w.get("amount")) and _number(check_.get("line"))):
        return None
    why = ("the check never refuses" if w.get("small_taken") else
           f"the check refuses the wrong withdrawals: it refused {SMALL}, which the balance "
           "covers, and lets this one through")
    said = " (and it returned True)" if w.get("returned") is True else (
        f" (and it raised {w['raised']})" if isinstance(w.get("raised"), str) else "")
    return (f"withdrawing {_shown(w['amount'])} from a balance of {_shown(w['start'])} left "
            f"{_shown(w['left'])}{said}, although {cls.get('name')}.{w.get('method')} at "
            f"{filename}:{check_['line']} checks the funds first (`{check_.get('text', '')}`): {why}; "
            "refuse a withdrawal larger than the balance")


def _woken_overdraft(cls: dict[str, Any], w: dict[str, Any], filename: str) -> tuple[str, str] | None:
    """The failure (message, details) when this withdraw-like method checks the funds once
    around a wait (`if ...: cond.wait()`) and, on a fresh account, two waiters both withdrew
    after a deposit that covered one of them; else None."""
    once = w.get("wait_once")
    if not (isinstance(once, dict) and once.get("waited") is True and once.get("done") == 2
            and _number(once.get("left")) and once["left"] < 0 and _number(once.get("start"))
            and _number(once.get("amount")) and _number(once.get("line"))
            and _number(once.get("take_line"))):
        return None
    what = f"{cls.get('name')}.{w.get('method')}"
    text = str(once.get("text") or "")
    test = text.split("#")[0].strip()
    loop = f" (`while {test[3:]}`)" if test.startswith("if ") and test.endswith(":") else ""
    amount, start = _shown(once["amount"]), _shown(once["start"])
    message = (f"{what} checks the funds once, at {filename}:{once['line']} (`{test or text}`), and "
               f"then waits; a thread woken from that wait withdraws at {filename}:"
               f"{once['take_line']} (`{once.get('take_text', '')}`) without checking again, so "
               f"one deposit woke two withdrawals of {amount} and both went through: the balance "
               f"became {_shown(once['left'])}. Check again after every wait: `while` instead of "
               f"`if` at line {once['line']}{loop}, or wait with wait_for(...)")
    details = (f"The grader made {_fresh(cls, w)} ({w.get('attr')} = {start}) and started two "
               f"threads, each calling {w.get('method')}({amount}); both waited. It then called "
               f"{once.get('deposit')}({SMALL}), enough for one of them ({w.get('attr')} = "
               f"{_shown(once['start'] + SMALL)}): both withdrew, and {w.get('attr')} became "
               f"{_shown(once['left'])}. A notify_all wakes every waiter, and another thread may "
               "take the money before a woken one runs: check the funds again when a wait ends.")
    return message, details


def _fresh(cls: dict[str, Any], w: dict[str, Any]) -> str:
    """How the grader made the account it tried (a fresh Konto, funded first with its deposit)."""
    made = cls.get("made") or cls.get("name")
    return (f"a fresh {made}, given {FUND} with {w['funded_with']}({FUND}) first"
            if w.get("funded_with") else f"a fresh {made}")


@check("bank.script_refuses_overdraft", probe="bank.own_class", style="program")
def script_refuses_overdraft(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    classes = [c for c in obs.get("classes") or [] if isinstance(c, dict)]
    withdrawals = [(c, w) for c in classes for w in c.get("withdrawals") or [] if isinstance(w, dict)]
    for cls, w in withdrawals:
        woken = _woken_overdraft(cls, w, ctx.filename)
        if woken is not None:
            return failed(*woken)
    for cls, w in withdrawals:
        message = _overdraft(cls, w, ctx.filename)
        if message is not None:
            details = (f"The grader made {_fresh(cls, w)} ({w.get('attr')} = "
                       f"{_shown(w['start'])}) and called {w.get('method')}"
                       f"({_shown(w['amount'])}): {w.get('attr')} became "
                       f"{_shown(w['left'])}. A withdrawal of {HUGE} from a fresh account went "
                       f"through too ({w.get('attr')} = {_shown(w['huge_left'])}), so no limit "
                       "stops it.")
            return failed(message, details)
    checked = [(c, w) for c, w in withdrawals if isinstance(w.get("check"), dict)]
    if checked:
        cls, w = checked[0]
        what = f"{cls.get('name')}.{w.get('method')}"
        where = f"its funds check at {ctx.filename}:{w['check'].get('line')}"
        asked = f"withdrawing {_shown(w.get('amount'))} from a balance of {_shown(w.get('start'))}"
        if _number(w.get("left")) and w["left"] < 0:
            return passed(f"{what} let {asked} go to {_shown(w['left'])}, but {where} refuses "
                          f"past a limit (withdrawing {HUGE} did not go through): a credit line, not an "
                          "overdraft")
        if w.get("stuck"):
            return passed(f"{what} waited instead of {asked} ({where}): it never overdraws")
        return passed(f"{what} refused {asked} ({where})")
    waited = [(c, w) for c, w in withdrawals
              if isinstance(w.get("wait_once"), dict) and w["wait_once"].get("waited") is True
              and w["wait_once"].get("done") in (0, 1)]
    if waited:
        cls, w = waited[0]
        once = w["wait_once"]
        return passed(f"{cls.get('name')}.{w.get('method')} checks the funds once, before its wait "
                      f"({ctx.filename}:{once.get('line')}), but a deposit covering one of two "
                      f"waiting withdrawals let only {once.get('done')} of them through: it did "
                      "not overdraw")
    if withdrawals:
        cls, w = withdrawals[0]
        return passed(f"{cls.get('name')}.{w.get('method')} has no funds check of its own: a "
                      "design without overdraft refusal is not judged here")
    return passed("no account class of the program's own with a withdraw-like method was found "
                  "to try (a class whose one-argument methods lower a numeric attribute); nothing "
                  "to judge here")
