"""Threads that read their loop's variable late: `Thread(target=lambda: fetch(url))` in a
`for url in urls:` loop (or a comprehension) reads `url` when the thread runs, not when it was
made. By then the loop has usually moved on, so several threads fetch the last URL and the
others are never fetched; which ones depends on timing, so a run may not show it. The source
shows it every time (flake8-bugbear's B023, for what runs in another thread): a lambda or a
function defined in the loop, handed to a Thread or an executor, that reads a loop variable
it does not take as a parameter (`lambda url=url: ...` and `args=(url,)` bind it at once).

A loop that waits for each thread or future inside the same iteration (`.join()`,
`.result()`) runs the function before the variable moves on, and is not reported.

At a module's top level the loop's names are globals: a function defined in the module that
reads a global the loop binds (`current = url` in the loop, `url = current` in the function)
reads it late in the same way.
"""
from __future__ import annotations

import ast
from typing import TypedDict

from grader.probes import syntax

DEFERRING_METHODS = ("submit", "apply_async", "start_new_thread", "start_new")
WAITING_METHODS = ("join", "result")


class LateRead(TypedDict):
    """One function that reads a loop variable late, as the probe reports it."""

    line: int  # where the function is handed over
    name: str  # the loop variable it reads
    code: str  # the function's source (a lambda) or its name (a def)


def late_reads(source: str) -> list[LateRead]:
    """Every function handed to a thread or an executor inside a loop that reads the loop's
    variable late, in source order (at most ten)."""
    try:
        tree = syntax.parse(source)
    except (SyntaxError, ValueError):
        return []
    found: list[LateRead] = []
    top = _top_level_loops(tree)
    module_defs: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {
        n.name: n for n in getattr(tree, "body", [])
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    for node in ast.walk(tree):
        body: list[ast.AST]
        if isinstance(node, (ast.For, ast.AsyncFor)):
            names, body = _bound(node.target), list(node.body)
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
            names, body = {n for g in node.generators for n in _bound(g.target)}, [node.elt]
        else:
            continue
        outer: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        if node in top:  # its names are globals: the module's functions read them too
            names |= _stored(body)
            outer = module_defs
        if not names or _waits_in_the_loop(body):
            continue
        for line, function in _handed_over(body, outer):
            read = sorted(_free_loads(function) & names)
            if read:
                code = ast.unparse(function) if isinstance(function, ast.Lambda) else function.name
                found.append(LateRead(line=line, name=read[0], code=code[:80]))
    unique = {(f["line"], f["name"]): f for f in found}
    return sorted(unique.values(), key=lambda f: f["line"])[:10]


def _bound(target: ast.expr) -> set[str]:
    return {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}


def _waits_in_the_loop(body: list[ast.AST]) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
               and n.func.attr in WAITING_METHODS for part in body for n in ast.walk(part))


def _top_level_loops(tree: ast.AST) -> set[ast.AST]:
    """The `for` loops of the module's own code (not inside a function or a class)."""
    loops: set[ast.AST] = set()
    pending = list(getattr(tree, "body", []))
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, (ast.For, ast.AsyncFor)):
            loops.add(node)
        pending.extend(ast.iter_child_nodes(node))
    return loops


def _stored(body: list[ast.AST]) -> set[str]:
    """The names `body` binds itself (not inside a function it defines)."""
    names: set[str] = set()
    pending = list(body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        pending.extend(ast.iter_child_nodes(node))
    return names


def _handed_over(body: list[ast.AST],
                 outer: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] | None = None
                 ) -> list[tuple[int, ast.Lambda | ast.FunctionDef]]:
    """(line, function) for each lambda, or function defined in `body` (or among `outer`),
    given as a Thread's or Timer's target or as the function an executor (or _thread) runs."""
    defined = {**(outer or {}), **{n.name: n for part in body for n in ast.walk(part)
                                   if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}}
    out: list[tuple[int, ast.Lambda | ast.FunctionDef]] = []
    for part in body:
        for call in ast.walk(part):
            if not isinstance(call, ast.Call):
                continue
            callee = call.func.attr if isinstance(call.func, ast.Attribute) else \
                call.func.id if isinstance(call.func, ast.Name) else ""
            given: list[ast.expr] = []
            if callee.endswith("Thread") or callee == "Timer":
                given = [k.value for k in call.keywords if k.arg in ("target", "function")]
                if callee == "Timer" and len(call.args) >= 2:
                    given.append(call.args[1])
            elif callee in DEFERRING_METHODS and call.args:
                given = [call.args[0]]
            for expr in given:
                if isinstance(expr, ast.Lambda):
                    out.append((call.lineno, expr))
                elif isinstance(expr, ast.Name) and expr.id in defined:
                    out.append((call.lineno, defined[expr.id]))  # type: ignore[arg-type]
    return out


def _free_loads(function: ast.Lambda | ast.FunctionDef) -> set[str]:
    """The names `function` reads that are neither its parameters nor its own locals."""
    args = function.args
    params = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
    params |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    body = [function.body] if isinstance(function, ast.Lambda) else function.body
    loads: set[str] = set()
    stores: set[str] = set()
    for part in body:
        for n in ast.walk(part):
            if isinstance(n, ast.Name):
                (loads if isinstance(n.ctx, ast.Load) else stores).add(n.id)
    return loads - params - stores
