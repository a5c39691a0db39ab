"""Does a withdraw method check the funds itself, and would that check refuse? (static, no run)

A program's own account class is judged on its refusals only where it tries to refuse: a class
with no funds check is a design without overdraft refusal (a credit account, an
increment/decrement demo), not a broken one. So before the behaviour of a withdraw-like method
counts against it, its own source must show a *funds check*: a condition (`if`, `while`, a
conditional expression, an `assert`) comparing the balance attribute with the amount (directly,
`if self.saldo < self.saldo - cantidad`, or through locals taken from them,
`nuevo = self.balance - amount; if nuevo < 0`), which leads to a refusal: a branch that returns
or raises without taking the money, or an `if`/`else` where only one side takes it (the other
may print a refusal), a loop that waits while the funds are short, an assert. A condition that
only warns and then takes the money anyway is no refusal.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Iterator

from grader.probes import syntax

_Conditional = (ast.If, ast.While, ast.IfExp, ast.Assert)


@dataclass(frozen=True)
class FundsCheck:
    """Where a method checks the funds: the condition's line and its source text."""

    line: int
    text: str


def method_node(tree: ast.Module, first_line: int) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The function whose code starts at `first_line` (a code object's `co_firstlineno`: the
    first decorator's line for a decorated function)."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            if start == first_line or node.lineno == first_line:
                return node
    return None


def _own_nodes(nodes: list[ast.stmt] | list[ast.expr]) -> Iterator[ast.AST]:
    """Every node under `nodes`, without entering nested functions, classes or lambdas."""
    stack: list[ast.AST] = list(reversed(nodes))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _attr_names(attribute: str, class_name: str) -> set[str]:
    """The spellings in source of the instance attribute stored as `attribute` (a property over
    `_balance` is read as `balance`; `__saldo` is stored as `_Cuenta__saldo`)."""
    names = {attribute, attribute.lstrip("_")}
    mangled = f"_{class_name.lstrip('_')}__"
    if attribute.startswith(mangled):
        names.add(attribute[len(mangled):])
    return names


class _Roles:
    """Which expressions of one method stand for the balance and which for the amount."""

    def __init__(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, attribute: str, class_name: str,
                 amount: str) -> None:
        args = fn.args.posonlyargs + fn.args.args
        self.me = args[0].arg if args else "self"
        self.balance_attrs = _attr_names(attribute, class_name)
        self.balance: set[str] = set()  # locals holding the balance (or a value made from it)
        self.amount: set[str] = {amount}  # locals holding the amount (or a value made from it)
        assigns = [n for n in _own_nodes(fn.body) if isinstance(n, (ast.Assign, ast.AnnAssign))]
        for _ in range(3):  # aliases of aliases
            for node in assigns:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if node.value is None:
                    continue
                names = [t.id for t in targets if isinstance(t, ast.Name)]
                if self.mentions_balance(node.value):
                    self.balance.update(names)
                if self.mentions_amount(node.value):
                    self.amount.update(names)

    def is_balance(self, node: ast.AST) -> bool:
        return (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id == self.me and node.attr.lstrip("_") in
                {name.lstrip("_") for name in self.balance_attrs}) or \
            (isinstance(node, ast.Name) and node.id in self.balance)

    def mentions_balance(self, node: ast.AST) -> bool:
        return any(self.is_balance(n) for n in _own_nodes([node]))  # type: ignore[arg-type]

    def mentions_amount(self, node: ast.AST) -> bool:
        return any(isinstance(n, ast.Name) and n.id in self.amount
                   for n in _own_nodes([node]))  # type: ignore[arg-type]

    def compares_funds(self, test: ast.expr) -> bool:
        """A comparison in `test` that involves both the balance and the amount."""
        return any(isinstance(n, ast.Compare) and self.mentions_balance(n) and self.mentions_amount(n)
                   for n in _own_nodes([test]))

    def takes_money(self, body: list[ast.stmt]) -> bool:
        """`body` lowers the balance attribute by the amount (`self.x -= amount`,
        `self.x = self.x - amount`, `self.x = nuevo`)."""
        for node in _own_nodes(body):
            if isinstance(node, ast.AugAssign) and self.is_balance(node.target) \
                    and isinstance(node.target, ast.Attribute) and self.mentions_amount(node.value):
                return True
            if isinstance(node, ast.Assign) and node.value is not None and self.mentions_amount(node.value) \
                    and any(isinstance(t, ast.Attribute) and self.is_balance(t) for t in node.targets):
                return True
        return False


def _leaves(body: list[ast.stmt]) -> bool:
    """`body` returns or raises (the method stops there)."""
    return any(isinstance(n, (ast.Return, ast.Raise)) for n in _own_nodes(body))


def _refuses(node: ast.AST, roles: _Roles) -> bool:
    if isinstance(node, (ast.While, ast.Assert)):
        return True  # waits while the funds are short, or raises
    if isinstance(node, ast.IfExp):
        return roles.mentions_amount(node.body) != roles.mentions_amount(node.orelse)
    assert isinstance(node, ast.If)
    takes = roles.takes_money(node.body), roles.takes_money(node.orelse)
    return takes[0] != takes[1] or (_leaves(node.body) and not takes[0]) \
        or (_leaves(node.orelse) and not takes[1])


def funds_check(tree: ast.Module, lines: list[str], first_line: int, attribute: str,
                class_name: str, amount: str) -> FundsCheck | None:
    """The first funds check (see the module's docstring) of the method whose code starts at
    `first_line`, on the balance stored as `attribute`, for its parameter `amount`."""
    fn = method_node(tree, first_line)
    if fn is None:
        return None
    roles = _Roles(fn, attribute, class_name, amount)
    found = [n for n in _own_nodes(fn.body) if isinstance(n, _Conditional)
             and roles.compares_funds(n.test) and _refuses(n, roles)]
    if not found:
        return None
    first = min(found, key=lambda n: (n.lineno, n.col_offset))
    return FundsCheck(first.lineno, _line_text(lines, first.lineno))


def _line_text(lines: list[str], number: int) -> str:
    """Line `number` of the source as the feedback quotes it (stripped, 100 characters)."""
    return lines[number - 1].strip()[:100] if number <= len(lines) else ""


@dataclass(frozen=True)
class WaitOnce:
    """A funds check made once around a wait: `if balance < amount: cond.wait()`, then the
    withdrawal. Woken by a notify, the method takes the money without checking again."""

    line: int  # the `if`
    text: str
    take_line: int  # the withdrawal after it
    take_text: str


def _waits(body: list[ast.stmt]) -> bool:
    """`body` calls a `.wait(...)` (a Condition's or an Event's), not `.wait_for` (which
    re-checks its predicate itself)."""
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "wait"
               for n in _own_nodes(body))


def _in_predicate_loop(fn: ast.FunctionDef | ast.AsyncFunctionDef, node: ast.stmt) -> bool:
    """`node` is inside a `while` of the method (any loop but `for` may check again)."""
    return any(isinstance(loop, ast.While) and any(n is node for n in _own_nodes(loop.body))
               for loop in _own_nodes(fn.body))


def wait_once(tree: ast.Module, lines: list[str], first_line: int, attribute: str,
              class_name: str, amount: str) -> WaitOnce | None:
    """The method's `if` comparing the balance with the amount whose body waits (and neither
    takes the money nor leaves), outside any `while`, followed by a statement that takes the
    money: where a wait ends, the funds are not checked again. Only the lines to name; whether
    it overdraws is for a run to show."""
    fn = method_node(tree, first_line)
    if fn is None:
        return None
    roles = _Roles(fn, attribute, class_name, amount)
    for node in _own_nodes(fn.body):
        if not (isinstance(node, ast.If) and roles.compares_funds(node.test) and _waits(node.body)
                and not roles.takes_money(node.body) and not _leaves(node.body)
                and not _in_predicate_loop(fn, node)):
            continue
        end = node.end_lineno or node.lineno
        takes = [n for n in _own_nodes(fn.body) if isinstance(n, (ast.AugAssign, ast.Assign))
                 and n.lineno > end and roles.takes_money([n])]
        if not takes:
            continue
        take = min(takes, key=lambda n: (n.lineno, n.col_offset))
        return WaitOnce(node.lineno, _line_text(lines, node.lineno), take.lineno,
                        _line_text(lines, take.lineno))
    return None


def definitions(source: str) -> list[tuple[int, int]]:
    """The line spans (first, last) of the top-level statements that define, rather than do:
    imports, functions, classes, and assignments whose calls all go to imported names
    (`candado = threading.Lock()`, `SALDO = 1000`; not `cuenta = Cuenta()`, not `input()`).
    Running only these builds the program's classes without running the program."""
    tree = syntax.parse(source)
    imported: set[str] = set()
    spans: list[tuple[int, int]] = []
    for stmt in tree.body:
        keep = isinstance(stmt, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef,
                                 ast.ClassDef))
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            imported.update((alias.asname or alias.name).split(".")[0] for alias in stmt.names)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
            keep = all(_root(call.func) in imported for call in ast.walk(stmt.value)
                       if isinstance(call, ast.Call))
        if keep:
            first = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])
            spans.append((first, stmt.end_lineno or stmt.lineno))
    return spans


def _root(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def futures(source: str) -> list[tuple[int, int]]:
    """The line spans of the file's `from __future__ import ...` statements (they must come
    with every statement run on its own: `annotations` lets a method name its own class)."""
    return [(s.lineno, s.end_lineno or s.lineno) for s in syntax.parse(source).body
            if isinstance(s, ast.ImportFrom) and s.module == "__future__"]


def only(source: str, *spans: tuple[int, int]) -> str:
    """`source` with every line outside `spans` blanked: some statements, at their own lines."""
    lines = source.splitlines(keepends=True)
    return "".join(line if any(first <= number <= last for first, last in spans) else "\n"
                   for number, line in enumerate(lines, start=1))
