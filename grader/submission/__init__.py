"""Find a submission on disk and learn what can be learned without running it.

Reading, parsing and classifying happen in the grader's process because they execute nothing:
a syntax error or a missing file becomes a zero with a clear message before any sandbox starts.

    (here)           Submission, load_submission, classify: the contract's names or a program
    targets.py       what `grader check` is asked to grade: which file, for which task
    files.py         reading the student's files without following what they planted
    audit_static.py  the static audit: what the source does that no bank or downloader needs
    audit_policy.py  its allow-list
"""
from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass
from pathlib import Path

from grader.probes import syntax
from grader.rubric import TaskSpec

MAX_SOURCE_BYTES = 1_000_000


@dataclass(frozen=True)
class Submission:
    task: str
    path: Path  # the student's main file
    source: str
    digest: str  # sha256 of the source: the default seed and cache key derive from it
    style: str  # "contract" (defines the entry points) or "script" (top-level code)
    problem: str | None = None  # why it cannot run at all (missing, syntax error, ...)
    names: frozenset[str] = frozenset()  # what its top level binds (`defined_names`), parsed once

    @property
    def filename(self) -> str:
        return self.path.name


def _locate(task: TaskSpec, path: Path) -> Path | str:
    if path.is_dir():
        candidate = path / task.file
        if candidate.is_file():
            return candidate
        py = sorted(p.name for p in path.glob("*.py"))
        hint = f" (found: {', '.join(py[:5])})" if py else ""
        return f"{path}: no {task.file} in this folder{hint}; name your file {task.file}"
    if path.is_file():
        return path
    return f"{path}: no such file or folder; check the path"


def defined_names(tree: ast.Module) -> set[str]:
    """Top-level names a module binds by def, class, assignment or import."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def defined_callables(source: str) -> list[str]:
    """Top-level classes and functions, sorted: what a file offers instead of the contract."""
    try:
        tree = syntax.parse(source)
    except SyntaxError:
        return []
    return sorted(node.name for node in tree.body
                  if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)))


THREAD_STARTERS = {"Thread", "start", "ThreadPoolExecutor", "submit"}


def _top_level_starts_threads(tree: ast.Module) -> bool:
    """Does code outside any def or class (a `__main__` block included) start threads?"""
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in THREAD_STARTERS:
                    return True
    return False


def _is_main_guard(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.If) and "__main__" in ast.unparse(stmt.test)


def _does_work_at_top_level(tree: ast.Module) -> bool:
    """Loops, calls or with-blocks outside any def, class or `__main__` block."""
    work = (ast.Expr, ast.For, ast.While, ast.With, ast.Try, ast.If)
    return any(isinstance(stmt, work) and not _is_main_guard(stmt)
               and not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant))
               for stmt in tree.body)


def classify(names: set[str] | frozenset[str], tree: ast.Module, task: TaskSpec) -> str:
    """For a task graded as a program (see rubric.yaml), "contract" only says that the file
    defines some of the contract's names, so that its module is imported for the contract
    checks; every such submission also runs as a program.

    Otherwise: a module that defines an entry point follows the contract. One that defines none and
    does its work at top level, or starts threads there (a `__main__` block included), is a
    script (the textbook shape). Anything else is a contract attempt with other names, so that
    the API check can say which names are missing."""
    if names & set(task.entry_points.values()):
        return "contract"
    if task.program_graded:
        return "script"
    if _does_work_at_top_level(tree) or _top_level_starts_threads(tree):
        return "script"
    return "contract"


def load_submission(task: TaskSpec, path: str | Path) -> Submission:
    located = _locate(task, Path(path))
    if isinstance(located, str):
        return Submission(task.name, Path(path), "", "", "contract", located)
    raw = located.read_bytes()[: MAX_SOURCE_BYTES + 1]
    digest = hashlib.sha256(raw).hexdigest()
    if len(raw) > MAX_SOURCE_BYTES:
        return Submission(task.name, located, "", digest, "contract",
                          f"{located.name}: larger than 1 MB; submit only your source code")
    try:
        source = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return Submission(task.name, located, "", digest, "contract",
                          f"{located.name}: not UTF-8 text (byte {exc.start}); save the file as UTF-8")
    try:
        tree = syntax.parse(source, filename=located.name)
    except SyntaxError as exc:
        where = f"{located.name}:{exc.lineno}" if exc.lineno else located.name
        return Submission(task.name, located, source, digest, "contract",
                          f"{where}: SyntaxError: {exc.msg}; fix the syntax so that the file runs")
    names = frozenset(defined_names(tree))
    return Submission(task.name, located, source, digest, classify(names, tree, task), names=names)
