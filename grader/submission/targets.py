"""What `grader check` is asked to grade: which file, for which task.

A student types `grader check` in the folder holding their work, or `grader check bank.py`,
or (the older form, still accepted) `grader check bank path/to/file.py`. The task comes from
the rubric's file names, so nobody needs to know a task's name. Anything that cannot be graded
at all (a missing, empty, binary or non-Python path, a zip) is refused here with one line
naming the problem and the fix, before a sandbox starts: a report of 0 points for a typo in a
path would read as a verdict on the student's code.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.errors import GraderError
from grader.rubric import Rubric

SNIFF_BYTES = 8192


@dataclass(frozen=True)
class Target:
    task: str
    path: Path


def _files(rubric: Rubric) -> str:
    return " or ".join(sorted({t.file for t in rubric.tasks.values()}))


def check_source_file(path: Path) -> None:
    """Refuse what is not a Python source file, with the fix."""
    if not path.exists():
        raise GraderError(f"{path}: no such file; check the name and the folder you are in")
    if path.is_dir():
        return
    if not path.is_file():
        raise GraderError(f"{path}: not a regular file; give your .py file")
    suffix = path.suffix.lower()
    if suffix in (".zip", ".tar", ".gz", ".tgz", ".7z", ".rar"):
        raise GraderError(f"{path}: an archive; unpack it and give the .py file inside")
    if suffix == ".ipynb":
        raise GraderError(f"{path}: a notebook; export it as a .py file (File > Download as > Python) "
                          "and give that")
    if suffix != ".py":
        raise GraderError(f"{path}: not a Python file ({suffix or 'no extension'}); give your .py file")
    try:
        head = path.open("rb").read(SNIFF_BYTES)
    except OSError as exc:
        raise GraderError(f"{path}: cannot be read ({exc.strerror}); check its permissions") from None
    if not head.strip():
        raise GraderError(f"{path}: the file is empty; save your code into it first")
    if b"\0" in head:
        raise GraderError(f"{path}: binary data, not Python source; give the .py file you wrote")


def task_for_file(rubric: Rubric, path: Path) -> str:
    """The task whose rubric file name is this file's name."""
    matches = [name for name, spec in rubric.tasks.items() if spec.file == path.name]
    if len(matches) == 1:
        return matches[0]
    if len(rubric.tasks) == 1:
        return next(iter(rubric.tasks))
    raise GraderError(f"{path}: cannot tell which task this file is for; name it {_files(rubric)} "
                      f"or add --task ({', '.join(sorted(rubric.tasks))})")


# Folders a repository keeps that are never the student's work.
NOT_WORK = frozenset({"venv", ".venv", "env", "node_modules", "__pycache__", "site-packages", "build",
                      "dist", ".git", ".github", ".tox"})
SEARCH_DEPTH = 3


def _below(folder: Path, name: str) -> list[Path]:
    """`name` in the subfolders of `folder` (a repository keeping its code in `src/`), not in
    hidden or tool folders, at most SEARCH_DEPTH deep; the shallowest first."""
    found: list[Path] = []
    level = [folder]
    for _ in range(SEARCH_DEPTH):
        below = []
        for current in level:
            try:
                children = sorted(current.iterdir())
            except OSError:
                continue
            below += [c for c in children if c.is_dir() and not c.is_symlink()
                      and not c.name.startswith(".") and c.name not in NOT_WORK]
        found += [c / name for c in below if (c / name).is_file()]
        if found:
            return found
        level = below
    return found


def _in_folder(rubric: Rubric, folder: Path, tasks: list[str] | None) -> list[Target]:
    """Each task's file in `folder`, else in its subfolders when exactly one holds it."""
    names = tasks or list(rubric.tasks)
    where = "this folder" if folder == Path(".") else str(folder)
    found: list[Target] = []
    for name in names:
        file = rubric.task(name).file
        if (folder / file).is_file():
            found.append(Target(name, folder / file))
            continue
        below = _below(folder, file)
        if len(below) > 1:
            listed = ", ".join(str(p) for p in below[:5])
            raise GraderError(f"{where}: several {file} in its subfolders ({listed}); give the one "
                              "to grade as a path")
        if below:
            found.append(Target(name, below[0]))
    if not found:
        wanted = " or ".join(rubric.task(n).file for n in names)
        raise GraderError(f"{where}: no {wanted} here or in its subfolders (looked in "
                          f"{folder.resolve()}, {SEARCH_DEPTH} levels down); run grader check in "
                          "the folder holding your file, or give its path")
    return found


def resolve(rubric: Rubric, items: list[str], task: str | None = None) -> list[Target]:
    """Targets for the command line's positional arguments (task names and paths) and --task."""
    if task is not None:
        rubric.task(task)
    if not items:
        return _in_folder(rubric, Path("."), [task] if task else None)
    targets: list[Target] = []
    rest = list(items)
    while rest:
        item = rest.pop(0)
        path = Path(item)
        if not path.exists() and not item.endswith(".py") and "/" not in item:
            # a task name: `bank` alone (its file in this folder) or `bank PATH` (the older form)
            if item not in rubric.tasks:
                raise GraderError(f"{item}: no such file, and no task {item!r} in the rubric (tasks: "
                                  f"{', '.join(sorted(rubric.tasks))}); give the path of your .py file")
            if rest and not (rest[0] in rubric.tasks and not Path(rest[0]).exists()):
                given = Path(rest.pop(0))
                check_source_file(given)
                targets.append(Target(item, given))
            else:
                targets += _in_folder(rubric, Path("."), [item])
            continue
        check_source_file(path)
        if path.is_dir():
            targets += _in_folder(rubric, path, [task] if task else None)
        else:
            targets.append(Target(task or task_for_file(rubric, path), path))
    return targets
