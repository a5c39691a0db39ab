"""Rewrite a student's module so that every statement and every read of shared state is a point
where the scheduler may switch threads.

Since CPython 3.10 the interpreter switches threads only at calls and backward jumps, so
`self.balance += amount` never loses an update in a plain stress test although it is a race.
The rewrite splits a read-modify-write into read, scheduling point, write (evaluating the
target's object and key once, as Python does), records the values read and written for the
feedback, and keeps the student's file name and line numbers for every frame.
"""
from __future__ import annotations

import ast
import copy
import itertools
from dataclasses import dataclass, field

from grader.probes import syntax

POINT, READ, WRITE = "__grader_point__", "__grader_read__", "__grader_write__"
GETATTR, SETATTR = "__grader_getattr__", "__grader_setattr__"
GETITEM, SETITEM = "__grader_getitem__", "__grader_setitem__"
EXEC = "__grader_exec__"
METHOD = "__grader_method__"  # `x.update(...)`: a Counter's update is a read-modify-write per key
LEN, RESIZE = "__grader_len__", "__grader_resize__"  # `len(x)`, `x.append(...)`: a container's size
LOOKUP = "__grader_lookup__"  # `d.get(key, default)`: a read of d[key]
DUNDER = "__grader_dunder__"  # `object.__setattr__(x, "b", ...)`, `x.__getattribute__("b")`: an access
COMPOUND_METHODS = ("update", "subtract")
# Explicit calls of the access methods: the same reads and writes as `x.b`, `x.b = v`, `d[k]`,
# `d[k] = v` written another way, so they are the same locations (an evasion must never pay).
# name -> (a write?, an item rather than an attribute?, positional arguments when bound)
DUNDER_ACCESS = {"__getattribute__": (False, False, 1), "__getattr__": (False, False, 1),
                 "__setattr__": (True, False, 2), "__getitem__": (False, True, 1),
                 "__setitem__": (True, True, 2)}
# `operator.getitem(d, k)` / `operator.setitem(d, k, v)` (or imported bare): d[k] and d[k] = v
OPERATOR_ACCESS = {"getitem": 2, "setitem": 3}
# Container calls that change its size: the growing ones depend on nothing read before
GROWING_METHODS = frozenset({"append", "appendleft", "extend", "extendleft", "insert", "add"})
RESIZING_METHODS = GROWING_METHODS | {"pop", "popleft", "remove", "clear", "discard", "popitem"}
INSTRUMENTED: set[str] = set()  # file names compiled by `instrument`: the student's frames
STATE_ATTRS: set[str] = set()  # state attributes of everything instrumented (for exec strings)


def rechecked_lines(source: str) -> set[int]:
    """The lines whose innermost loop is a `while` with a condition: a wait there sees the
    predicate again (one in an `if`, alone, or in `while True` / `for` does not)."""
    innermost: dict[int, tuple[int, bool]] = {}  # line -> (span of its loop, a predicate loop)
    try:
        tree = syntax.parse(source)
    except (SyntaxError, ValueError):
        return set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.While, ast.For, ast.AsyncFor)):
            end = node.end_lineno or node.lineno
            checks = isinstance(node, ast.While) and not (
                isinstance(node.test, ast.Constant) and node.test.value)
            for n in range(node.lineno, end + 1):
                if n not in innermost or end - node.lineno < innermost[n][0]:
                    innermost[n] = (end - node.lineno, checks)
    return {n for n, (_, checks) in innermost.items() if checks}


@dataclass
class _Scope:
    globals_: set[str] = field(default_factory=set)


def _untouched(tree: ast.AST) -> dict[int, tuple[ast.AST, ast.AST]]:
    """id of each node of `tree` -> (the node, its copy taken now): what `_Rewriter._label`
    shows once the tree has been changed. The node is kept too, so that no id is reused."""
    return {id(a): (a, b) for a, b in zip(ast.walk(tree), ast.walk(copy.deepcopy(tree)))}


class _Rewriter(ast.NodeTransformer):
    def __init__(self, state_attrs: set[str], shared_names: set[str], module_level_points: bool,
                 written: dict[int, tuple[ast.AST, ast.AST]] | None = None) -> None:
        self.state_attrs = state_attrs
        self.shared_names = shared_names
        self.module_level_points = module_level_points
        self.counter = itertools.count()
        self.scopes: list[_Scope] = []
        self.testing = 0  # > 0 inside a condition: a read there is a check the code then acts on
        self.spinning = 0  # > 0 inside a `while` condition: a thread waiting for another's write
        self.len_shadowed = False  # the module binds its own `len`: its calls are left alone
        self.written = written or {}  # the tree as the student wrote it (`_untouched`)

    # -- helpers ---------------------------------------------------------------------------
    def _call(self, name: str, *args: ast.expr) -> ast.Call:
        return ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=list(args), keywords=[])

    def _point(self, line: int) -> ast.stmt:
        return ast.Expr(self._call(POINT, ast.Constant(line)))

    def _tmp(self) -> str:
        return f"__grader_t{next(self.counter)}__"

    def _is_shared_name(self, name: str) -> bool:
        if self.scopes:
            return name in self.scopes[-1].globals_
        return name in self.shared_names

    def _label(self, node: ast.expr) -> str:
        """The expression as the student wrote it: its twin in the copy taken before the rewrite
        (the rewrite replaces a node's parts, `self.a.b`'s `self.a`, before it labels the
        node, and renames private attributes)."""
        try:
            return ast.unparse(self.written.get(id(node), (node, node))[1])
        except Exception:  # pragma: no cover - unparse handles every expression node
            return "?"

    # -- statement lists -------------------------------------------------------------------
    def _body(self, stmts: list[ast.stmt], points: bool = True) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for stmt in stmts:
            new = self.visit(stmt)
            new_list = new if isinstance(new, list) else [new]
            skip = (isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__") or (
                isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
                and isinstance(stmt.value.value, str))
            if points and not skip:
                out.append(ast.copy_location(self._point(stmt.lineno), stmt))
            out.extend(new_list)
        return out

    def generic_visit(self, node: ast.AST) -> ast.AST:
        for name in ("body", "orelse", "finalbody"):
            value = getattr(node, name, None)
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                setattr(node, name, self._body(value))
        for field_name, value in ast.iter_fields(node):
            if field_name in ("body", "orelse", "finalbody") and isinstance(value, list) and value \
                    and isinstance(value[0], ast.stmt):
                continue
            if isinstance(value, list):
                new_items = []
                for item in value:
                    if isinstance(item, ast.AST):
                        item = self.visit(item)
                        if item is None:
                            continue
                        if isinstance(item, list):
                            new_items.extend(item)
                            continue
                    new_items.append(item)
                value[:] = new_items
            elif isinstance(value, ast.AST):
                setattr(node, field_name, self.visit(value))
        return node

    def visit_Module(self, node: ast.Module) -> ast.Module:
        node.body = self._body(node.body, points=self.module_level_points)
        return node

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> ast.AST:
        # `global` and `nonlocal` names are shared with other threads; plain locals are not
        declared = {n for stmt in ast.walk(node) if isinstance(stmt, (ast.Global, ast.Nonlocal))
                    for n in stmt.names}
        # a shared global the function only reads (`while not ready:`) is the global too
        scope = _Scope(declared | (self.shared_names - _bound_names(node)))
        self.scopes.append(scope)
        node.decorator_list = [self.visit(d) for d in node.decorator_list]
        node.body = self._body(node.body)
        self.scopes.pop()
        return node

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.ClassDef:
        node.decorator_list = [self.visit(d) for d in node.decorator_list]
        node.bases = [self.visit(b) for b in node.bases]
        node.body = self._body(node.body, points=False)
        return node

    def visit_Lambda(self, node: ast.Lambda) -> ast.Lambda:
        # expressions only: no statement to schedule, but its reads are reads of shared state
        self.scopes.append(_Scope())
        try:
            node.body = self.visit(node.body)
        finally:
            self.scopes.pop()
        return node

    # -- reads and writes of shared state --------------------------------------------------
    def _read(self, node: ast.expr) -> ast.expr:
        call = self._call(READ, node, ast.Constant(self._label(node)), ast.Constant(node.lineno),
                          ast.Constant(self._check_kind()))
        return ast.copy_location(call, node)

    def _access(self, hook: str, obj: ast.expr, key: ast.expr, node: ast.expr, *value: ast.expr) -> ast.Call:
        """`hook(obj, key, [value,] label, line[, check])`: the hook makes the access itself, so
        it knows the object and key (the location), not just the value."""
        extra = [ast.Constant(self._check_kind())] if hook in (GETATTR, GETITEM) else []
        call = self._call(hook, obj, key, *value, ast.Constant(self._label(node)),
                          ast.Constant(getattr(node, "lineno", 0)), *extra)
        return ast.copy_location(call, node)

    def visit_Attribute(self, node: ast.Attribute) -> ast.expr:
        node.value = self.visit(node.value)
        if isinstance(node.ctx, ast.Load) and node.attr in self.state_attrs:
            return self._access(GETATTR, node.value, ast.Constant(node.attr), node)
        return node

    def visit_Subscript(self, node: ast.Subscript) -> ast.expr:
        node.value = self.visit(node.value)
        node.slice = self.visit(node.slice)
        if isinstance(node.ctx, ast.Load) and not isinstance(node.slice, ast.Slice):
            return self._access(GETITEM, node.value, node.slice, node)
        return node

    def _check_kind(self) -> int:
        """0 a plain read, 1 a check (a condition the code acts on), 2 a `while` condition
        (a spin-wait: seeing another thread's write there orders what follows after it)."""
        return 2 if self.spinning else 1 if self.testing else 0

    def _condition(self, node: ast.AST, field_name: str = "test") -> None:
        self.testing += 1
        try:
            setattr(node, field_name, self.visit(getattr(node, field_name)))
        finally:
            self.testing -= 1

    def visit_If(self, node: ast.If) -> ast.If:
        self._condition(node)
        node.body = self._body(node.body)
        node.orelse = self._body(node.orelse) if node.orelse else []
        return node

    def visit_While(self, node: ast.While) -> ast.While:
        self.spinning += 1
        try:
            self._condition(node)
        finally:
            self.spinning -= 1
        node.body = self._body(node.body)
        node.orelse = self._body(node.orelse) if node.orelse else []
        return node

    def visit_IfExp(self, node: ast.IfExp) -> ast.IfExp:
        self._condition(node)
        node.body, node.orelse = self.visit(node.body), self.visit(node.orelse)
        return node

    def visit_Assert(self, node: ast.Assert) -> ast.Assert:
        self._condition(node)
        if node.msg is not None:
            node.msg = self.visit(node.msg)
        return node

    def visit_Compare(self, node: ast.Compare) -> ast.Compare:
        self.testing += 1
        try:
            node.left = self.visit(node.left)
            node.comparators = [self.visit(c) for c in node.comparators]
        finally:
            self.testing -= 1
        return node

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if isinstance(node.ctx, ast.Load) and self._is_shared_name(node.id):
            return self._read(node)
        return node

    def visit_Call(self, node: ast.Call) -> ast.expr:
        # `self.lock.acquire()` or `self.balance_of()` are calls, not reads of a number
        owner = self._label(node.func.value) if isinstance(node.func, ast.Attribute) else ""
        if isinstance(node.func, ast.Attribute):
            node.func.value = self.visit(node.func.value)
        elif not isinstance(node.func, ast.Name):
            node.func = self.visit(node.func)
        node.args = [self.visit(a) for a in node.args]
        node.keywords = [self.visit(k) for k in node.keywords]
        if isinstance(node.func, ast.Attribute) and node.func.attr in COMPOUND_METHODS:
            call = self._call(METHOD, node.func.value, ast.Constant(node.func.attr),
                              ast.Constant(owner), ast.Constant(node.lineno), *node.args)
            call.keywords = node.keywords  # `c.update(balance=5)` updates a key as `c.update({...})` does
            return ast.copy_location(call, node)
        if isinstance(node.func, ast.Attribute) and node.func.attr in DUNDER_ACCESS \
                and not node.keywords and not any(isinstance(a, ast.Starred) for a in node.args):
            dunder = self._dunder(node)
            if dunder is not None:
                return dunder
        called = node.func.attr if isinstance(node.func, ast.Attribute) else \
            node.func.id if isinstance(node.func, ast.Name) else None
        if called in OPERATOR_ACCESS and len(node.args) == OPERATOR_ACCESS[called] \
                and not node.keywords and not any(isinstance(a, ast.Starred) for a in node.args):
            write = called == "setitem"
            label = f"{self._label(node.args[0])}[{self._label(node.args[1])}]"
            return ast.copy_location(self._call(
                DUNDER, node.func, ast.Constant(1), ast.Constant(label), ast.Constant(node.lineno),
                ast.Constant(0 if write else self._check_kind()), *node.args), node)
        if isinstance(node.func, ast.Attribute) and node.func.attr in RESIZING_METHODS:
            call = self._call(RESIZE, node.func.value, ast.Constant(node.func.attr),
                              ast.Constant(owner), ast.Constant(node.lineno), *node.args)
            call.keywords = node.keywords
            return ast.copy_location(call, node)
        if isinstance(node.func, ast.Attribute) and node.func.attr == "get" and not node.keywords \
                and 1 <= len(node.args) <= 2 and not any(isinstance(a, ast.Starred) for a in node.args):
            return ast.copy_location(self._call(
                LOOKUP, node.func.value, ast.Constant(owner), ast.Constant(node.lineno),
                ast.Constant(self._check_kind()), *node.args), node)
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name == "len" and not self.len_shadowed and len(node.args) == 1 and not node.keywords \
                and not isinstance(node.args[0], ast.Starred):
            return ast.copy_location(self._call(
                LEN, node.args[0], ast.Constant(self._label(node.args[0])),
                ast.Constant(node.lineno), ast.Constant(self._check_kind())), node)
        if name in ("getattr", "setattr", "exec", "eval") and not node.keywords \
                and not any(isinstance(a, ast.Starred) for a in node.args):
            if name == "getattr" and len(node.args) == 2:
                return self._access(GETATTR, node.args[0], node.args[1], node)
            if name == "setattr" and len(node.args) == 3:
                return self._access(SETATTR, node.args[0], node.args[1], node, node.args[2])
            if name in ("exec", "eval") and 1 <= len(node.args) <= 3:
                return ast.copy_location(self._call(EXEC, ast.Constant(name), *node.args), node)
        return node

    def _dunder(self, node: ast.Call) -> ast.expr | None:
        """`x.__getattribute__("b")`, `object.__setattr__(x, "b", v)`, `d.__setitem__(k, v)`,
        `super().__getattr__(...)`: the call is made as written (a class's own `__getattribute__`
        stays in charge) and the hook notes the access it makes, with a point after a read."""
        assert isinstance(node.func, ast.Attribute)
        write, item, bound = DUNDER_ACCESS[node.func.attr]
        if len(node.args) not in (bound, bound + 1):
            return None
        unbound = len(node.args) == bound + 1  # `object.__setattr__(x, ...)`: the object comes first
        receiver = node.args[0] if unbound else node.func.value
        key = node.args[1] if unbound else node.args[0]
        shown = "self" if isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Name) \
            and receiver.func.id == "super" else self._label(receiver)
        if item:
            label = f"{shown}[{self._label(key)}]"
        elif isinstance(key, ast.Constant) and isinstance(key.value, str):
            label = f"{shown}.{key.value}"
        else:
            label = f"getattr({shown}, {self._label(key)})"
        call = self._call(DUNDER, node.func, ast.Constant(int(unbound)), ast.Constant(label),
                          ast.Constant(node.lineno), ast.Constant(0 if write else self._check_kind()),
                          *node.args)
        return ast.copy_location(call, node)

    def visit_withitem(self, node: ast.withitem) -> ast.withitem:
        if not isinstance(node.context_expr, (ast.Attribute, ast.Name)):
            node.context_expr = self.visit(node.context_expr)
        return node

    def visit_Assign(self, node: ast.Assign) -> ast.stmt | list[ast.stmt]:
        node.value = self.visit(node.value)
        if len(node.targets) == 1 and not isinstance(node.targets[0], (ast.Tuple, ast.List)):
            return self._assign(node.targets[0], node.value, node)
        if not any(self._hooked(t) for t in node.targets):
            node.targets = [self._visit_target(t) for t in node.targets]
            return node  # `x, y = ...` of locals: nothing another thread sees
        # `a.x, b.y = v` and `a.x = b.y = v`: the value once, whole, then each target left to
        # right as Python stores them, each through the hook of a plain assignment to it
        temps = [self._tmp()]
        out: list[ast.stmt] = [ast.Assign(targets=[ast.Name(id=temps[0], ctx=ast.Store())],
                                          value=node.value)]
        for target in node.targets:
            out.extend(self._store(target, temps[0], temps))
        out.append(ast.Delete(targets=[ast.Name(id=t, ctx=ast.Del()) for t in temps]))
        for stmt in out:
            ast.copy_location(stmt, node)
            ast.fix_missing_locations(stmt)
        return out

    def _assign(self, target: ast.expr, value: ast.expr, node: ast.AST) -> ast.stmt:
        """`target = value` with one target that is no tuple: a write through its hook when
        it is shared state (`value` is visited already)."""
        if isinstance(target, ast.Attribute) and target.attr in self.state_attrs:
            call = self._access(SETATTR, self.visit(target.value), ast.Constant(target.attr), target, value)
            return ast.copy_location(ast.Expr(call), node)
        if isinstance(target, ast.Subscript) and not isinstance(target.slice, ast.Slice):
            call = self._access(SETITEM, self.visit(target.value), self.visit(target.slice), target, value)
            return ast.copy_location(ast.Expr(call), node)
        if self._recorded_target(target):
            value = ast.copy_location(
                self._call(WRITE, value, ast.Constant(self._label(target)), ast.Constant(target.lineno)),
                value)
        return ast.copy_location(ast.Assign(targets=[self._visit_target(target)], value=value), node)

    def _store(self, target: ast.expr, source: str, temps: list[str]) -> list[ast.stmt]:
        """Assign the value held in `source` to `target`. A tuple (or list) target with shared
        state in it is unpacked into new names first, as Python unpacks it (the same errors, a
        starred element's list), then each element is assigned in turn, a nested tuple when
        its turn comes."""
        if not (isinstance(target, (ast.Tuple, ast.List)) and self._hooked(target)):
            return [self._assign(target, ast.Name(id=source, ctx=ast.Load()), target)]
        names = [self._tmp() for _ in target.elts]
        temps.extend(names)
        unpacked: list[ast.expr] = [
            ast.Starred(value=ast.Name(id=n, ctx=ast.Store()), ctx=ast.Store())
            if isinstance(e, ast.Starred) else ast.Name(id=n, ctx=ast.Store())
            for n, e in zip(names, target.elts)]
        out: list[ast.stmt] = [ast.copy_location(ast.Assign(
            targets=[ast.Tuple(elts=unpacked, ctx=ast.Store())],
            value=ast.Name(id=source, ctx=ast.Load())), target)]
        for name, element in zip(names, target.elts):
            out.extend(self._store(element.value if isinstance(element, ast.Starred) else element,
                                   name, temps))
        return out

    def _hooked(self, target: ast.expr) -> bool:
        """Is a write to `target` (or to an element of it) a write of shared state?"""
        if isinstance(target, (ast.Tuple, ast.List)):
            return any(self._hooked(e) for e in target.elts)
        if isinstance(target, ast.Starred):
            return self._hooked(target.value)
        return self._recorded_target(target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST | list[ast.stmt]:
        if node.value is None or not self._recorded_target(node.target):
            return self.generic_visit(node)
        node.value = self.visit(node.value)
        node.annotation = self.visit(node.annotation)
        if isinstance(node.target, ast.Name):  # `balance: int = 0` of a shared global
            node.value = ast.copy_location(self._call(
                WRITE, node.value, ast.Constant(self._label(node.target)), ast.Constant(node.lineno)),
                node.value)
            return node
        # `self.balance: int = v`: the write through its hook, then the annotation evaluated
        # where Python evaluates it for such a target (outside a function, and not under
        # `from __future__ import annotations`), as `(name): annotation` is
        note = ast.AnnAssign(target=ast.Name(id=self._tmp(), ctx=ast.Store()),
                             annotation=node.annotation, value=None, simple=0)
        return [self._assign(node.target, node.value, node), ast.copy_location(note, node)]

    def _recorded_target(self, target: ast.expr) -> bool:
        if isinstance(target, ast.Attribute):
            return target.attr in self.state_attrs
        if isinstance(target, ast.Subscript):
            return True
        return isinstance(target, ast.Name) and self._is_shared_name(target.id)

    def _visit_target(self, target: ast.expr) -> ast.expr:
        if isinstance(target, ast.Attribute):
            target.value = self.visit(target.value)
        elif isinstance(target, ast.Subscript):
            target.value = self.visit(target.value)
            target.slice = self.visit(target.slice)
        elif isinstance(target, (ast.Tuple, ast.List)):
            target.elts = [self._visit_target(e) for e in target.elts]
        elif isinstance(target, ast.Starred):
            target.value = self._visit_target(target.value)
        return target

    def visit_AugAssign(self, node: ast.AugAssign) -> list[ast.stmt]:
        """`t op= v` becomes: fix t's object (and key), read t, point, write t (op) v."""
        line, target = node.lineno, node.target
        out: list[ast.stmt] = []
        if isinstance(target, ast.Name) and not self._is_shared_name(target.id):
            node.value = self.visit(node.value)
            return [node]  # a local variable: no other thread can see it
        label = self._label(target)

        def assign(name: str, value: ast.expr) -> None:
            out.append(ast.Assign(targets=[ast.Name(id=name, ctx=ast.Store())], value=value))

        if isinstance(target, (ast.Attribute, ast.Subscript)) and not (
                isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Slice)):
            obj, key = self._tmp(), self._tmp()
            assign(obj, self.visit(target.value))
            if isinstance(target, ast.Attribute):
                assign(key, ast.Constant(target.attr))
                get, put = GETATTR, SETATTR
            else:
                assign(key, self.visit(target.slice))
                get, put = GETITEM, SETITEM
            old = self._tmp()
            objn, keyn = ast.Name(id=obj, ctx=ast.Load()), ast.Name(id=key, ctx=ast.Load())
            assign(old, self._call(get, objn, keyn, ast.Constant(label), ast.Constant(line), ast.Constant(False)))
            # `old op= value` keeps Python's in-place operator (`__iadd__`) for a list or a Counter
            out.append(ast.AugAssign(target=ast.Name(id=old, ctx=ast.Store()), op=node.op,
                                     value=self.visit(node.value)))
            out.append(ast.Expr(self._call(put, objn, keyn, ast.Name(id=old, ctx=ast.Load()),
                                           ast.Constant(label), ast.Constant(line))))
            for stmt in out:
                ast.copy_location(stmt, node)
                ast.fix_missing_locations(stmt)
            return out
        if isinstance(target, (ast.Attribute, ast.Subscript)):
            node.value = self.visit(node.value)
            return [node]  # a slice: not a single location
        else:
            assert isinstance(target, ast.Name)
            load = ast.Name(id=target.id, ctx=ast.Load())
            store = ast.Name(id=target.id, ctx=ast.Store())
        old = self._tmp()
        assign(old, self._call(READ, load, ast.Constant(label), ast.Constant(line), ast.Constant(False)))
        out.append(ast.AugAssign(target=ast.Name(id=old, ctx=ast.Store()), op=node.op,
                                 value=self.visit(node.value)))
        out.append(ast.Assign(targets=[store], value=self._call(WRITE, ast.Name(id=old, ctx=ast.Load()),
                                                                ast.Constant(label), ast.Constant(line))))
        for stmt in out:
            ast.copy_location(stmt, node)
            ast.fix_missing_locations(stmt)
        return out


def _bound_names(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Names a function binds locally (parameters, assignments, loop and import targets...)."""
    args = node.args
    bound = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    bound |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, (ast.Store, ast.Del)):
            bound.add(sub.id)
        elif isinstance(sub, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name).split(".")[0] for a in sub.names}
        elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and sub is not node:
            bound.add(sub.name)
        elif isinstance(sub, ast.ExceptHandler) and sub.name:
            bound.add(sub.name)
    return bound


def _binds(tree: ast.AST, name: str) -> bool:
    """Does the code bind `name` anywhere (assignment, def, argument, import)?"""
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id == name:
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return True
        if isinstance(node, ast.arg) and node.arg == name:
            return True
        if isinstance(node, ast.alias) and (node.asname or node.name) == name:
            return True
    return False


def _state_attrs(tree: ast.AST) -> set[str]:
    """Attributes the module assigns on objects (`self.balance = ...`, `setattr(o, "balance",
    ...)`): the shared state."""
    attrs: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id in ("setattr", "getattr") and len(node.args) >= 2 \
                and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str):
            attrs.add(node.args[1].value)
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for target in targets:
            for sub in ast.walk(target):
                if isinstance(sub, ast.Attribute) and isinstance(sub.ctx, ast.Store):
                    attrs.add(sub.attr)
    return attrs


def _shared_names(tree: ast.AST) -> set[str]:
    """Module globals that some function declares `global`: state shared by script threads."""
    return {n for node in ast.walk(tree) if isinstance(node, ast.Global) for n in node.names}


def state_attrs_of(sources: list[str]) -> set[str]:
    """The state attributes of several files (a submission and its helper modules) together."""
    attrs: set[str] = set()
    for source in sources:
        try:
            attrs |= _state_attrs(syntax.parse(source))
        except SyntaxError:
            continue
    return attrs


def mangled(name: str, class_name: str) -> str:
    """`name` as Python stores it when written inside class `class_name`: `__x` (two leading
    underscores, not two trailing) becomes `_Class__x` (the class's leading underscores
    dropped; a class named only `_` renames nothing)."""
    owner = class_name.lstrip("_")
    if not owner or not name.startswith("__") or name.endswith("__") or "." in name:
        return name
    return f"_{owner}{name}"


def mangle_private_names(tree: ast.AST) -> None:
    """Rename private attributes (`self.__balance` in class Account: `self._Account__balance`)
    in place, as the compiler would. The rewrite turns attribute names into strings for its
    hooks (`getattr(obj, "__balance")`), which the compiler never renames, so without this a
    class's own private attribute would be missing under the grader and not natively."""
    def visit(node: ast.AST, class_name: str | None) -> None:
        if isinstance(node, ast.ClassDef):
            for outer in [*node.decorator_list, *node.bases, *node.keywords]:
                visit(outer, class_name)  # evaluated where the class statement is
            for stmt in node.body:
                visit(stmt, node.name)
            return
        if class_name is not None and isinstance(node, ast.Attribute):
            node.attr = mangled(node.attr, class_name)
        for child in ast.iter_child_nodes(node):
            visit(child, class_name)

    visit(tree, None)


def instrument(source: str, filename: str, *, module_level_points: bool = False,
               attrs: set[str] | None = None, mode: str = "exec"):  # -> CodeType
    """Compile `source` with scheduling points and access hooks; `attrs` adds the state
    attributes of the submission's other files; `mode="eval"` for an `eval` string."""
    tree = syntax.parse(source, filename=filename, mode=mode)
    INSTRUMENTED.add(filename)
    written = _untouched(tree)
    mangle_private_names(tree)
    state = _state_attrs(tree) | (attrs or set())
    STATE_ATTRS.update(state)
    rewriter = _Rewriter(state | (STATE_ATTRS if filename.startswith("<") else set()),
                         _shared_names(tree), module_level_points, written)
    rewriter.len_shadowed = _binds(tree, "len")
    tree = rewriter.visit(tree)
    ast.fix_missing_locations(tree)
    return syntax.compile_tree(tree, filename, mode)
