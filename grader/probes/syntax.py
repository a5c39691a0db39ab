"""`ast.parse` (and `compile` of a tree) one at a time, in the grader's process and the child's.

CPython builds an AST's Python objects with a recursion counter kept per interpreter, not per
thread (gh-106905): two threads parsing at once can fail with `SystemError: AST constructor
recursion depth mismatch`. The grader parses in several threads of one process: `grader batch`
grades in a thread pool (and a Dask worker beside its own threads), and `grade()` runs the
static audit on a thread beside the child's start. A grading that failed so was an internal
error on a correct submission (seen in the cluster test on a loaded machine; in a stress test
the same race once crashed the interpreter). So every parse of a student's file, or an
instructor's, goes through `parse` here, and the child's compile of an instrumented tree through
`compile_tree` (a student's thread may import a module the child instruments meanwhile). Both
run only the grader's code while they hold the lock: no scheduling point, no student code.
"""
from __future__ import annotations

import ast
import threading
from types import CodeType

_ONE_AT_A_TIME = threading.Lock()


def parse(source: str | bytes, filename: str = "<unknown>", mode: str = "exec") -> ast.Module:
    """`ast.parse(source, filename, mode)`, never beside another parse of this process."""
    with _ONE_AT_A_TIME:
        return ast.parse(source, filename=filename, mode=mode)  # type: ignore[return-value]


Tree = ast.Module | ast.Expression | ast.Interactive  # what compile() turns into code


def compile_tree(tree: Tree, filename: str, mode: str = "exec") -> CodeType:
    """`compile(tree, filename, mode)`: reading the tree's objects back counts the same depth; the
    student's code keeps its own `__future__` imports, not this module's (annotations)."""
    with _ONE_AT_A_TIME:
        return compile(tree, filename, mode, dont_inherit=True)
