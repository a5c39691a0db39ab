"""Is a recorded concurrent history explainable by some sequential order? (Wing & Gong search)

An operation may be placed before another only if it was called before the other returned;
the search tries each such order against the sequential specification, remembering states it
has already refuted, like Porcupine does. Histories here have a dozen operations, so the search
takes milliseconds. The verdict is sound: a correct implementation always has an order.
"""
from __future__ import annotations

from typing import Any, Callable, Hashable

Step = Callable[[Hashable, dict[str, Any]], tuple[Hashable, Any]]


def linearize(ops: list[dict[str, Any]], initial: Hashable, step: Step,
              matches: Callable[[dict[str, Any], Any], bool]) -> list[int] | None:
    """An order of `ops` (indexes) that the specification accepts, or None if there is none."""
    n = len(ops)
    refuted: set[tuple[frozenset[int], Hashable]] = set()
    order: list[int] = []

    def search(done: frozenset[int], state: Hashable) -> bool:
        if len(done) == n:
            return True
        if (done, state) in refuted:
            return False
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
    balances = list(state)  # type: ignore[arg-type]
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
