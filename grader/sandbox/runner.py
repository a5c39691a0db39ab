"""Run probes against one submission in a separate, limited child process.

Everything the student wrote runs here and only here, at the strongest isolation level the
machine offers (see `isolation_level`): its own copy of the submission, an environment of our
making, resource limits, its own process group and, where possible, its own root file system,
uid, PID and network namespaces and cgroup. A probe that hangs or kills the child costs only
that probe: the child is restarted for the probes still to run, within the submission's overall
time budget. When a child ends, everything it started is killed (cgroup, PID namespace, or every
process of its dedicated uid), before the grader looks at the result or writes anything.
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

from grader.sandbox.box import stage
from grader.sandbox.ending import busy_text
from grader.sandbox.levels import isolation_level
from grader.sandbox.limits import Limits
from grader.sandbox.owntime import Limit, OwnClock
from grader.sandbox.records import Output, ProbeRun, SandboxResult, crash
from grader.sandbox.session import STOP, ChildSession, ChildSpec, Progress


def run(submission_path: Path, style: str, entry_points: dict[str, str], runs: list[ProbeRun],
        seed: int, limits: Limits) -> SandboxResult:
    """Run every probe in `runs`; each gets an observation or a crash record saying why not."""
    level = isolation_level()
    result = SandboxResult(isolation=level)
    started = time.monotonic()
    total = Limit(OwnClock(), limits.submission_seconds)  # own time: see grader/sandbox/owntime.py
    progress = Progress(result, list(runs), total, Output(limits.output_kb * 1024),
                        Output(limits.output_kb * 1024))
    spec = ChildSpec(submission_path.name, style, entry_points, seed, limits)
    timings = result.timings
    with tempfile.TemporaryDirectory(prefix="grader-") as tmp:
        box = stage(level, Path(tmp), submission_path, limits)
        result.isolation = box.isolation
        timings.setup = time.monotonic() - started
        try:
            first = True
            while first or progress.remaining:
                first = False
                if ChildSession(box, spec, progress).run() == STOP:
                    break
        finally:
            ended = time.monotonic()
            if box.slot is not None:
                box.slot.release()
        _not_run(progress, limits)
    timings.cleanup += time.monotonic() - ended
    result.stdout, result.stderr = progress.stdout.text(), progress.stderr.text()
    result.seconds = time.monotonic() - started
    return result


def _not_run(progress: Progress, limits: Limits) -> None:
    """The probes no child got to: the machine was too busy (the grader's error), or the
    submission used up its time budget."""
    result, busy = progress.result, progress.total.state() == "busy"
    for left in progress.remaining:
        if busy and left.key not in result.observations:
            result.busy.add(left.key)
            result.observations[left.key] = crash("busy", busy_text(progress.total, "the submission's checks"))
        result.observations.setdefault(
            left.key, crash("budget", "not run: the submission used up its time budget "
                                      f"of {limits.submission_seconds:g} s"))
