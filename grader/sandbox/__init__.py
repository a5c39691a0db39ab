"""The sandbox: everything the student wrote runs here, in a separate, limited child process.

    runner.py    run(): the probes of one submission, a child at a time, within its time budget
    jail.py      bubblewrap's allow-list root and dropping to an unprivileged uid
    uidslots.py  the dedicated uids, one per grading at a time
    cgroups.py   the task cgroup: a cap on processes, and cgroup.kill at the end
    seccomp.py   the filter that refuses new user namespaces inside the jail
    bootcopy.py  the compiled copy of the engine the child imports (no rubric, no batch code)
    channel.py   the private result pipe and its frames (the one module the child also uses)
    limits.py    Limits: the resource limits of one submission's run (the rubric sets them)

The names other modules use (`run`, `isolation_level`, `available_levels`, `require_isolation`,
...) are importable from here. They load on first use, so the child, which imports
`grader.sandbox.channel`, does not import the grader's side of the sandbox.
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

_EXPORTS = {name: "grader.sandbox.runner" for name in (
    "run", "ProbeRun", "SandboxResult", "LEVELS", "available_levels", "isolation_level",
    "require_isolation", "keeps_students_apart", "guards_the_grader", "crash")}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """A name of the runner's, imported on first use; a submodule's name is left to the import
    system (`from grader.sandbox import channel` must not load the runner)."""
    if name.startswith("_") or (Path(__file__).parent / f"{name}.py").exists():
        raise AttributeError(f"module 'grader.sandbox' has no attribute {name!r}")
    try:
        value = getattr(importlib.import_module(_EXPORTS.get(name, "grader.sandbox.runner")), name)
    except AttributeError:
        raise AttributeError(f"module 'grader.sandbox' has no attribute {name!r}") from None
    globals()[name] = value
    return value
