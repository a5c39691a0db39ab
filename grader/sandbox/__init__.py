"""The sandbox: everything the student wrote runs here, in a separate, limited child process.

    runner.py    run(): the probes of one submission, a child at a time, within its time budget
    levels.py    the isolation levels: which this machine offers, which one is used
    box.py       the run's folder, the submission's copy and companions, how a child starts
    session.py   ChildSession: one child from its start to its end, driven by its frames
    ending.py    every way a child ends: its processes killed (group, cgroup, uid, subreaper),
                 and why one is ended early (deadlock watchdog, own-time limits, busy machine)
    records.py   SandboxResult, Timings and the sandbox's own crash records and review reasons
    limits.py    Limits: the resource limits of one submission's run (the rubric sets them)
    jail.py      bubblewrap's allow-list root and dropping to an unprivileged uid
    uidslots.py  the dedicated uids, one per grading at a time
    cgroups.py   the task cgroup: a cap on processes, and cgroup.kill at the end
    seccomp.py   the filter that refuses new user namespaces inside the jail
    bootcopy.py  the compiled copy of the engine the child imports (no rubric, no batch code)
    channel.py   the private result pipe and its frames (both sides)

In the child (`python -m grader.sandbox.child`, from the boot copy):

    child.py          imports the submission and runs the probes asked for; decides nothing
    audit_hook.py     the PEP 578 hook: what a forger needs, reported as it happens
    netguard.py       every network connection refused, and recorded for the check
    stuck.py          the deadlock watchdog: every thread waits on what none can release

On both sides: `owntime.py` (the child's own time, in which every limit counts),
`untrusted.py` (whatever the child sends, cleaned once where it enters the grader),
`platform_support.py` (whether this system can run a child at all); in the grader only,
`events.py` (a probe begins: for `grader check`'s progress line).

The names other modules use (`run`, `isolation_level`, `available_levels`, `require_isolation`,
...) are importable from here. They load on first use, so the child, which imports its own
modules here, does not import the grader's side of the sandbox.
"""
from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

_EXPORTS = {"run": "grader.sandbox.runner",
            **{name: "grader.sandbox.records" for name in (
                "ProbeRun", "SandboxResult", "Timings", "crash")},
            **{name: "grader.sandbox.levels" for name in (
                "LEVELS", "available_levels", "isolation_level", "require_isolation",
                "keeps_students_apart", "guards_the_grader")}}
# where any other public name of the grader's side is looked for, in this order
_SEARCHED = ("grader.sandbox.runner", "grader.sandbox.records", "grader.sandbox.levels",
             "grader.sandbox.session", "grader.sandbox.box", "grader.sandbox.ending")

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """A name of the grader's side, imported on first use; a submodule's name is left to the
    import system (`from grader.sandbox import channel` must not load the runner)."""
    if name.startswith("_") or (Path(__file__).parent / f"{name}.py").exists():
        raise AttributeError(f"module 'grader.sandbox' has no attribute {name!r}")
    for module in (_EXPORTS[name],) if name in _EXPORTS else _SEARCHED:
        value = getattr(importlib.import_module(module), name, _SEARCHED)
        if value is not _SEARCHED:
            globals()[name] = value
            return value
    raise AttributeError(f"module 'grader.sandbox' has no attribute {name!r}")
