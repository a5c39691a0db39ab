"""Is a recorded concurrent history explainable by some sequential order? (Wing & Gong search)

An operation may be placed before another only if it was called before the other returned;
the search tries each such order against the sequential specification, remembering states it
has already refuted, like Porcupine does. Histories here have a dozen operations, so the search
takes milliseconds. The verdict is sound: a correct implementation always has an order.

The search runs in the grader's own process on a history the child sent, so it is bounded: a
history longer than `MAX_OPS`, or one that needs more than `budget` search steps (only a made-up
history does: real ones are short and mostly ordered), raises `Undecided` instead of keeping
the grader busy; the caller says so honestly rather than passing or failing the student.
"""
from __future__ import annotations

from typing import Any, Callable, Hashable, cast

Step = Callable[[Hashable, dict[str, Any]], tuple[Hashable, Any]]

MAX_OPS = 64
BUDGET = 50_000


class Undecided(Exception):
    """The history is too long, or the search too large, to decide within the grader's bound."""


def linearize(ops: list[dict[str, Any]], initial: Hashable, step: Step,
              matches: Callable[[dict[str, Any], Any], bool],
              budget: int = BUDGET) -> list[int] | None:
    """An order of `ops` (indexes) that the specification accepts, or None if there is none;
    `Undecided` past `MAX_OPS` operations or `budget` search steps."""
    n = len(ops)
    if n > MAX_OPS:
        raise Undecided(f"{n} operations (the grader checks at most {MAX_OPS})")
    refuted: set[tuple[frozenset[int], Hashable]] = set()
    order: list[int] = []
    steps = [0]

    def search(done: frozenset[int], state: Hashable) -> bool:
        if len(done) == n:
            return True
        if (done, state) in refuted:
            return False
        steps[0] += 1
        if steps[0] > budget:
            raise Undecided(f"more than {budget} search steps")
        pending = [i for i in range(n) if i not in done]
        first_return = min(ops[i]["ret"] for i in pending)
        for i in pending:
            if ops[i]["call"] > first_return:
                continue  # some pending op returned before this one was called
            new_state, expected = step(state, ops[i])
            if not matches(ops[i], expected):
                continue
            order.append(i)
            if search(done | {i}, new_state):
                return True
            order.pop()
        refuted.add((done, state))
        return False

    return list(order) if search(frozenset(), initial) else None


def bank_step(state: Hashable, op: dict[str, Any]) -> tuple[Hashable, Any]:
    """The sequential specification of accounts: state is a tuple of balances."""
    balances = list(cast("tuple[int, ...]", state))  # state is what bank_step returns
    args = op["args"]
    kind = op["op"]
    if kind == "deposit":
        balances[args[0]] += args[1]
        return tuple(balances), None
    if kind == "withdraw":
        if args[1] <= balances[args[0]]:
            balances[args[0]] -= args[1]
            return tuple(balances), True
        return tuple(balances), False
    if kind == "balance":
        return tuple(balances), balances[args[0]]
    if kind == "transfer":
        src, dst, amount = args
        if amount <= balances[src]:
            balances[src] -= amount
            balances[dst] += amount
            return tuple(balances), True
        return tuple(balances), False
    raise ValueError(f"unknown operation {kind}")


def bank_matches(op: dict[str, Any], expected: Any) -> bool:
    if op["op"] == "deposit":
        return True  # any return value of deposit is accepted
    got = op.get("result")
    if isinstance(expected, bool):
        return got is expected
    return type(got) in (int, float) and got == expected


def show_op(op: dict[str, Any], names: str = "AB") -> str:
    args = list(op["args"])
    if op["op"] in ("deposit", "withdraw"):
        text = f"{names[args[0]]}.{op['op']}({args[1]})"
    elif op["op"] == "balance":
        text = f"{names[args[0]]}.balance"
    else:
        text = f"transfer({names[args[0]]}, {names[args[1]]}, {args[2]})"
    if "ret" not in op:
        return f"{op['thread']}: {text} never returned [time {op['call']}-]"
    result = "" if op["op"] == "deposit" else f" -> {op.get('result')!r}"
    return f"{op['thread']}: {text}{result} [time {op['call']}-{op['ret']}]"
