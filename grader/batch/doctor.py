"""`grader doctor`: what this machine lacks for grading a class, one line each.

An instructor setting up a grading machine (or a Dask worker image) should learn before the
deadline, not from a refused batch, that bubblewrap is missing, that the sandbox would fall back
to a level that mixes students, that a package the rubric allows students is not installed, or
that the rubric's pytest files import one the sandboxed child cannot see. Each line is
`name: ok|NO  what, and the fix`; the exit code is 0 when everything a class's grading needs is
there, 1 when something is not.
It lives with the batch code, so it is neither part of the engine's digest nor of the child's
boot copy.
"""
from __future__ import annotations

import argparse
import ast
import importlib.util
import os
import platform
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from grader.errors import GraderError
from grader.probes import syntax
from grader.rubric import Rubric
from grader.sandbox import sitepaths

# What the sandboxed child imports besides the standard library: the downloader's mocked HTTP
# (grader.checks.downloader.mock) and the rubric reader. Installed with the grader; a broken install lacks them.
CHILD_PACKAGES = {"requests": "requests", "urllib3": "urllib3", "yaml": "pyyaml"}


@dataclass(frozen=True)
class Line:
    name: str
    ok: bool
    text: str

    def render(self) -> str:
        return f"{self.name + ':':12} {'ok' if self.ok else 'NO'}  {self.text}"


def _root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def machine_lines() -> list[Line]:
    """Platform, bubblewrap, setpriv and the isolation level this machine offers."""
    from grader.sandbox.platform_support import WSL_HINT, grading_supported

    lines = [Line("platform", grading_supported(),
                  f"{sys.platform}, Python {platform.python_version()}" if grading_supported() else WSL_HINT)]
    if not grading_supported():
        return lines
    bwrap = shutil.which("bwrap")
    lines.append(Line("bubblewrap", bwrap is not None, bwrap or
                      "missing: apt-get install bubblewrap (./install.sh does it as root); without it "
                      "grader batch refuses to grade a class"))
    setpriv = shutil.which("setpriv")
    if _root():
        lines.append(Line("setpriv", setpriv is not None, setpriv or
                          "missing: apt-get install util-linux; as root the sandboxed child cannot drop "
                          "to an unprivileged uid without it"))
    else:
        lines.append(Line("setpriv", True, "not needed (not root: bubblewrap's user namespace drops privileges)"))
    lines.append(isolation_line())
    return lines


def isolation_line() -> Line:
    from grader.sandbox import available_levels, isolation_level, keeps_students_apart

    levels = available_levels()
    try:
        level = isolation_level()
    except GraderError as exc:
        return Line("isolation", False, str(exc))
    offered = f"this machine offers {', '.join(levels)}"
    if keeps_students_apart(level):
        return Line("isolation", True, f"{level} ({offered}): keeps students apart, grader batch can grade a class")
    fix = ("install bubblewrap (apt-get install bubblewrap) and allow unprivileged user namespaces"
           if "bubblewrap" not in levels else "unset GRADER_ISOLATION to use bubblewrap")
    return Line("isolation", False, f"too weak: {level} ({offered}) cannot keep students apart, so "
                                    f"grader batch refuses it (grader check still works); {fix}")


def _pytest_imports(rubric: Rubric) -> dict[str, str]:
    """Top-level modules the rubric's instructor pytest files import -> the file importing it;
    the students' own modules (the tasks' files) are not packages to install."""
    own = {Path(t.file).stem for t in rubric.tasks.values()}
    found: dict[str, str] = {}
    for task in rubric.tasks.values():
        for spec in task.checks:
            source = spec.params.get("source")
            if not spec.check.endswith(".pytest") or not isinstance(source, str):
                continue
            found.setdefault("pytest", str(spec.params.get("file", "a pytest check")))
            try:
                tree = syntax.parse(source)
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                         [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level
                         else [])
                for name in names:
                    top = name.split(".")[0]
                    if top not in own:
                        found.setdefault(top, str(spec.params.get("file", "a pytest check")))
    return found


def _unseen_by_child(module: str) -> bool:
    """True when `module` is found where the sandboxed child does not look
    (grader.sandbox.sitepaths): the user's site-packages, or an editable install's import hook."""
    spec = importlib.util.find_spec(module)
    if spec is None:
        return False
    origin = spec.origin if spec.has_location and spec.origin else \
        next(iter(spec.submodule_search_locations or ()), None)
    return origin is not None and os.path.isabs(origin) and not sitepaths.seen_by_child(origin)


@dataclass(frozen=True)
class Wanted:
    module: str
    fix: str  # how to install it
    why: str  # who needs it


def wanted_packages(rubric: Rubric) -> list[Wanted]:
    """The grader's own child-side packages, the rubric's `packages:` (what the course allows
    students to import) and the modules its pytest files import."""
    wanted = {m: Wanted(m, f"pip install {dist}", "the grader") for m, dist in CHILD_PACKAGES.items()}
    for task in rubric.tasks.values():
        for package in task.packages:
            wanted.setdefault(package.module, Wanted(package.module, f"pip install '{package.pip}'",
                                                     f"the rubric's packages ({task.name})"))
    for module, file in _pytest_imports(rubric).items():
        wanted.setdefault(module, Wanted(module, f"pip install {module}", f"{file} in the rubric"))
    return sorted(wanted.values(), key=lambda w: w.module)


def unusable_modules(modules: list[str]) -> tuple[list[str], list[str]]:
    """(missing, found where the sandboxed child does not look) among `modules`, on this
    machine (run on each Dask worker too)."""
    missing, hidden = [], []
    for module in modules:
        try:
            present = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):
            present = False
        if not present:
            missing.append(module)
        elif _unseen_by_child(module):
            hidden.append(module)
    return missing, hidden


def _package_problems(wanted: list[Wanted], missing: list[str], hidden: list[str]) -> list[str]:
    by_module = {w.module: w for w in wanted}
    problems = []
    if missing:
        problems.append("missing: " + "; ".join(f"{m} (needed by {by_module[m].why}: {by_module[m].fix})"
                                                for m in missing))
    if hidden:
        problems.append("found where the sandboxed child does not look (the user's site-packages, or "
                        "an editable install's import hook): " + ", ".join(hidden)
                        + "; install them into this Python's site-packages (pip install without "
                        "--user or -e)")
    return problems


def package_lines(rubric: Rubric) -> list[Line]:
    wanted = wanted_packages(rubric)
    problems = _package_problems(wanted, *unusable_modules([w.module for w in wanted]))
    if problems:
        return [Line("packages", False, p) for p in problems]
    extra = [w.module for w in wanted if w.module not in CHILD_PACKAGES]
    return [Line("packages", True, ", ".join(sorted(CHILD_PACKAGES))
                 + (f"; the rubric's: {', '.join(extra)}" if extra else ""))]


def cluster_lines(address: str, rubric: Rubric) -> list[Line]:
    """Dask installed here, the scheduler reachable, and every worker ready to grade (the same
    engine, an isolation level that keeps students apart, the packages)."""
    from grader.batch.cache import engine_version
    from grader.batch.cluster import INSTALL_HINT, worker_facts

    try:
        import distributed
    except ImportError:
        return [Line("dask", False, f"missing: Dask distributed is not installed: {INSTALL_HINT}")]
    lines = [Line("dask", True, f"distributed {distributed.__version__}")]
    if not address:  # a local cluster (--workers N) needs only the package
        return lines
    try:
        client = distributed.Client(address, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        return lines + [Line("scheduler", False, f"{address}: no Dask scheduler answered ({type(exc).__name__}); "
                                                 "start one (dask scheduler) and check the address")]
    try:
        engine = engine_version()
        facts = client.run(worker_facts)
        if not facts:
            return lines + [Line("scheduler", False, f"{address}: no worker has joined; start dask worker {address}")]
        lines.append(Line("scheduler", True, f"{address}: {len(facts)} worker(s), "
                                             f"{sum(client.nthreads().values())} thread(s)"))
        from grader.sandbox import keeps_students_apart

        wanted = wanted_packages(rubric)
        modules = client.run(unusable_modules, [w.module for w in wanted])
        for worker, info in sorted(facts.items()):
            problems = _package_problems(wanted, *modules.get(worker, ([], [])))
            if info["engine"] != engine:
                problems.append(f"runs grader engine {info['engine']}, this client {engine}: install the same grader")
            if not keeps_students_apart(info["isolation"]):
                problems.append(f"isolation {info['isolation']!r} cannot keep students apart: install "
                                "bubblewrap there (run grader doctor on it)")
            lines.append(Line("worker", not problems, f"{worker} ({info['host']}): "
                              + ("; ".join(problems) if problems else f"{info['isolation']}, same engine")))
    except Exception as exc:  # a worker without the grader cannot run worker_facts
        lines.append(Line("worker", False, f"the workers could not answer ({type(exc).__name__}: {exc}); "
                                           "install the grader on every worker (pip install 'grader[cluster]')"))
    finally:
        client.close()
    return lines


def add_parser(sub: argparse._SubParsersAction) -> None:
    doc = sub.add_parser(
        "doctor", help="say what this machine lacks for grading (bubblewrap, setpriv, packages, Dask)",
        description="Check what grading a class needs here: bubblewrap, setpriv (as root), the "
                    "isolation level the sandbox gets, the packages the grader, the rubric (packages:) and its "
                    "pytest files need, and with --cluster Dask and every worker of the scheduler. "
                    "One line each; exit 0 when ready, 1 when not.")
    doc.add_argument("--rubric", help="rubric file (default: the bundled rubric.yaml)")
    doc.add_argument("--cluster", nargs="?", const="", metavar="ADDRESS",
                     help="also check Dask: installed here (no ADDRESS, for --workers) or the scheduler "
                          "at ADDRESS and each of its workers")


def run(args: argparse.Namespace, stream: TextIO) -> int:
    from grader.rubric import load_rubric

    return doctor(load_rubric(args.rubric), args.cluster, stream)


def doctor(rubric: Rubric, cluster: str | None, stream: TextIO) -> int:
    lines = machine_lines()
    if lines[0].ok:
        lines += package_lines(rubric)
    if cluster is not None:
        lines += cluster_lines(cluster, rubric)
    for line in lines:
        stream.write(line.render() + "\n")
    ready = all(line.ok for line in lines)
    stream.write("ready to grade a class\n" if ready else "not ready: fix the lines marked NO\n")
    return 0 if ready else 1
