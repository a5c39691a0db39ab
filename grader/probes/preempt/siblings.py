"""Instrument the helper modules a submission ships next to its main file.

Splitting a program into `bank.py` and `account.py` is the most natural thing a student does;
a race in `account.py` must be seen like one in `bank.py`, and a lock it creates with
`from threading import Lock` must be the scheduler's. While `siblings(main)` is active, an
import of a module whose `.py` lies in the submission's folder loads that file instrumented
(with the state attributes of all the submission's files, so `acct.balance` read in one file
and assigned in another is shared state in both), with fresh module objects each time: one
run's helper state never leaks into the next run.

Every route to the submission's own code loads it instrumented: a helper imported by a name
computed at run time (`importlib.import_module(name)`, `__import__(name)`) is found among all the
folder's files, not only those named in an import statement; and the main file importing itself
(`import bank` inside bank.py) gets the instrumented module (its own, in the contract's runs; a
twin loaded afresh, as CPython makes one for a file run as `__main__`), never the plain copy the
child imported first, whose unscheduled code would hide every race.
"""
from __future__ import annotations

import ast
import contextlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from pathlib import Path
from typing import Any, Iterator

from grader.probes.preempt.access import student_globals
from grader.probes.preempt.instrument import instrument, state_attrs_of
from grader.probes import syntax


LOADED: list[tuple[str, dict[str, Any]]] = []  # (file name, namespace) of every helper loaded


def loaded() -> list[tuple[str, dict[str, Any]]]:
    """Helper modules loaded instrumented so far: their hooks are checked for tampering too."""
    return list(LOADED)


class _Loader(importlib.abc.Loader):
    def __init__(self, path: Path, source: str, attrs: set[str]) -> None:
        self.path, self.source, self.attrs = path, source, attrs

    def create_module(self, spec: Any) -> None:
        return None

    def exec_module(self, module: Any) -> None:
        code = instrument(self.source, str(self.path), attrs=self.attrs | state_attrs_of([self.source]))
        module.__dict__.update(student_globals())
        del LOADED[:-15]  # the latest runs' helpers are enough; older ones may be collected
        LOADED.append((self.path.name, module.__dict__))
        exec(code, module.__dict__)


class _Finder(importlib.abc.MetaPathFinder):
    def __init__(self, files: dict[str, tuple[Path, str]], attrs: set[str]) -> None:
        self.files, self.attrs = files, attrs

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        found = self.files.get(fullname)
        if found is None:
            return None
        file, source = found
        return importlib.util.spec_from_loader(fullname, _Loader(file, source, self.attrs),
                                               origin=str(file))


def _imported_names(source: str) -> set[str]:
    try:
        tree = syntax.parse(source)
    except SyntaxError:
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level == 1:
            names |= {node.module.split(".")[0]} if node.module else {a.name for a in node.names}
    return names


def _found_elsewhere(name: str, folder: Path) -> bool:
    """Would `import name` load something other than the submission's file? The submission's
    folder comes last on the child's sys.path, so a student's `threading.py` or `random.py`
    never shadows the standard library (nor the grader's dependencies) and is not a helper."""
    if name in sys.builtin_module_names or name in sys.stdlib_module_names:
        return True
    own = folder.resolve()  # once, not once per entry of sys.path (a few lstat calls each)
    path = [p for p in sys.path if p and Path(p).resolve() != own]
    try:
        return importlib.machinery.PathFinder.find_spec(name, path) is not None
    except (ImportError, ValueError, OSError):
        return False


def _helper_files(main: Path, main_source: str | None = None) -> dict[str, tuple[Path, str]]:
    """The `.py` files next to `main` that it imports, directly or through each other."""
    files: dict[str, tuple[Path, str]] = {}
    try:
        source = main.read_text(encoding="utf-8-sig") if main_source is None else main_source
    except (OSError, UnicodeDecodeError):
        return files
    todo = sorted(_imported_names(source))
    while todo:
        name = todo.pop()
        file = main.parent / f"{name}.py"
        if name in files or not name.isidentifier() or file == main or not file.is_file() \
                or _found_elsewhere(name, main.parent):
            continue
        try:
            text = file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            continue
        files[name] = (file, text)
        todo += sorted(_imported_names(text) - set(files))
    return files


def _other_files(main: Path, known: dict[str, tuple[Path, str]]) -> dict[str, tuple[Path, str]]:
    """The folder's other `.py` files: reachable by a name computed at run time."""
    files: dict[str, tuple[Path, str]] = {}
    try:
        candidates = sorted(main.parent.glob("*.py"))
    except OSError:
        return files
    for file in candidates:
        name = file.stem
        if name in known or file == main or not name.isidentifier() or _found_elsewhere(name, main.parent):
            continue
        try:
            files[name] = (file, file.read_text(encoding="utf-8-sig"))
        except (OSError, UnicodeDecodeError):
            continue
    return files


def submission_attrs(main: Path, main_source: str) -> set[str]:
    """State attributes assigned anywhere in the submission (main file and helpers)."""
    return state_attrs_of([main_source] + [source for _, source in _helper_files(main, main_source).values()])


@contextlib.contextmanager
def siblings(main: Path, own: Any = None) -> Iterator[None]:
    """Helper modules imported meanwhile are the instrumented copies, loaded afresh; `import`
    of the main file's own name gives `own` (the instrumented module being run), or without it
    an instrumented twin."""
    files = _helper_files(main)
    try:
        main_source = main.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        main_source = None
    attrs = state_attrs_of([source for _, source in files.values()])
    if main_source is not None:
        attrs |= state_attrs_of([main_source])
    files.update(_other_files(main, files))
    name = main.stem
    own_name = name.isidentifier() and not _found_elsewhere(name, main.parent)
    if own_name and own is None and main_source is not None:
        files[name] = (main, main_source)
    names = list(files) + ([name] if own_name else [])
    saved = {n: sys.modules.pop(n) for n in names if n in sys.modules}
    if own_name and own is not None:
        sys.modules[name] = own
    finder = _Finder(files, attrs)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        if finder in sys.meta_path:
            sys.meta_path.remove(finder)
        for n in names:
            sys.modules.pop(n, None)
        sys.modules.update(saved)


@contextlib.contextmanager
def own_module(module: Any) -> Iterator[None]:
    """While the contract's schedules run, `import bank` inside the student's functions gives
    the instrumented module they belong to, not the plain copy the child imported first."""
    name = getattr(module, "__name__", None)
    if not isinstance(name, str) or not name.isidentifier():
        yield
        return
    saved = sys.modules.get(name)
    sys.modules[name] = module
    try:
        yield
    finally:
        if saved is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = saved
