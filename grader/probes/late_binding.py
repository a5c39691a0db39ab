"""Threads that read their loop's variable late: `Thread(target=lambda: fetch(url))` in a
`for url in urls:` loop (or a comprehension) reads `url` when the thread runs, not when it was
made. By then the loop has usually moved on, so several threads fetch the last URL and the
others are never fetched; which ones depends on timing, so a run may not show it. The source
shows it every time (flake8-bugbear's B023, for what runs in another thread): a lambda or a
function defined in the loop, handed to a Thread or an executor, that reads a loop variable
it does not take as a parameter (`lambda url=url: ...` and `args=(url,)` bind it at once).

A loop that waits for each thread or future inside the same iteration (`.join()`,
`.result()`) runs the function before the variable moves on, and is not reported.
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
    for node in ast.walk(tree):
        body: list[ast.AST]
        if isinstance(node, (ast.For, ast.AsyncFor)):
            names, body = _bound(node.target), list(node.body)
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
            names, body = {n for g in node.generators for n in _bound(g.target)}, [node.elt]
        else:
            continue
        if not names or _waits_in_the_loop(body):
            continue
        for line, function in _handed_over(body):
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


def _handed_over(body: list[ast.AST]) -> list[tuple[int, ast.Lambda | ast.FunctionDef]]:
    """(line, function) for each lambda, or function defined in `body`, given as a Thread's or
    Timer's target or as the function an executor (or _thread) runs."""
    defined = {n.name: n for part in body for n in ast.walk(part)
               if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
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
