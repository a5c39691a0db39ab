"""One child process, from its start to its end: `ChildSession`.

The session is a small state machine driven by the child's frames and by its limits:

    starting  --"ready"-->  importing  --"import"-->  probing  (a probe runs from "begin" to
                                                       "result": `current`)

and "done", from whichever state, marks it finished: its output is flushed for DONE_GRACE, and
no limit counts any more. "done" is a mark beside the state, not a state of its own: a "done"
forged during the import is still a child that never imported, and the frames that follow it
are read as before.

A limit that runs out ends the child early; what that means depends on the state (the import
did not finish, a probe timed out, the machine was too busy), and so does the child's deadlock
watchdog ("stuck"). When the result pipe closes the child is gone: its exit is read for what it
left undone (it never started, exited while importing or during a probe). Whatever the state,
the end is the same: the output drained, the child and everything it started killed
(grader/sandbox/ending.py, which also words every early end). Every limit is counted in the
child's own time (grader/sandbox/owntime.py), so that no verdict depends on how busy the machine is.
"""
from __future__ import annotations

import enum
import math
import os
import secrets
import selectors
import subprocess
import time
from dataclasses import dataclass
from typing import Any, Callable

from grader.probes.probing import arrived, exc_text
from grader.probes.protocol import ImportFailure, Job
from grader.sandbox import ending
from grader.sandbox.box import Box
from grader.sandbox.cgroups import TaskCgroup
from grader.sandbox.channel import CHANNEL_TAMPERED, FrameReader
from grader.sandbox.events import probe_begins
from grader.sandbox.limits import Limits
from grader.sandbox.owntime import Limit, Sample, cgroup_sampler, proc_sampler
from grader.sandbox.records import Output, ProbeRun, SandboxResult, crash, exit_text, flag
from grader.sandbox.sitepaths import site_dirs

DONE_GRACE = 1.0  # seconds to flush output after "done", should a daemon hold the pipes open
STOP, RESTART = "stop", "restart"  # what a session tells the runner: no restart can help, or one can


class State(enum.Enum):
    STARTING = "starting"  # spawned, not yet "ready" (bubblewrap, the interpreter, the engine)
    IMPORTING = "importing"  # "ready": the submission's import not yet reported
    PROBING = "probing"  # imported (or its import failed); a probe may be running (`current`)


@dataclass(frozen=True)
class ChildSpec:
    """What every child of one submission is told, whichever probes are left."""

    filename: str
    style: str
    entry_points: dict[str, str]
    seed: int
    limits: Limits


@dataclass
class Progress:
    """What the children of one submission share: the result so far, the probes still to run,
    the submission's whole time limit and its output."""

    result: SandboxResult
    remaining: list[ProbeRun]
    total: Limit
    stdout: Output
    stderr: Output


class ChildSession:
    """One child for the probes in `progress.remaining`; `run()` says whether a restart can help."""

    def __init__(self, box: Box, spec: ChildSpec, progress: Progress) -> None:
        self.box, self.spec, self.progress = box, spec, progress
        self.result, self.timings = progress.result, progress.result.timings
        self.state = State.STARTING
        self.done = False  # the child said "done": what still holds its pipes is not waited for
        self.ended: str | None = None  # set by a frame that ends the child at once ("stuck")
        self.current: ProbeRun | None = None
        self.grace_end = math.inf  # wall time: after "done", output is waited for this long
        self.outcome = RESTART
        self.findings = 0  # audit frames received (the "done" frame says how many were sent)
        self.by_key = {r.key: r for r in progress.remaining}

    def run(self) -> str:
        if self.progress.total.state() != "running":
            return STOP
        self._spawn()
        try:
            ended = self._loop()
            return ended if ended is not None else self._after_exit()
        finally:
            self._close()

    # -- starting ---------------------------------------------------------------------------

    def _spawn(self) -> None:
        """Start the child, read its own time from now on, send its job."""
        spec, progress = self.spec, self.progress
        self.token = secrets.token_hex(16)
        self.timings.children += 1
        self.spawned = self.ready_at = self.began = time.monotonic()
        child = self.box.start(spec.limits.processes)
        self.proc, self.tasks, self.read_fd, self.run_id = child.proc, child.tasks, child.read_fd, child.run_id
        job = Job(self.token, child.write_fd, self.box.workdir, spec.filename, spec.style,
                  spec.entry_points, spec.seed, dict(spec.limits.__dict__), tuple(progress.remaining),
                  site_dirs())
        proc = self.proc
        assert proc.stdin and proc.stdout and proc.stderr
        progress.total.clock.attach(_sampler(self.tasks, proc.pid))
        try:
            proc.stdin.write(job.encode())
            proc.stdin.close()
        except BrokenPipeError:
            pass
        self.reader = FrameReader(self.token)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.read_fd, selectors.EVENT_READ, "result")
        self.selector.register(proc.stdout, selectors.EVENT_READ, progress.stdout)
        self.selector.register(proc.stderr, selectors.EVENT_READ, progress.stderr)
        self.phase = Limit(progress.total.clock, spec.limits.import_seconds)  # then each probe's

    # -- reading the child ------------------------------------------------------------------

    def _loop(self) -> str | None:
        """Read until the result pipe closes, or "done" was followed by its grace (None), or
        the child is ended early (what the runner does next)."""
        total = self.progress.total
        while True:
            state, whole = self.phase.state(), total.state()
            if self.done and (state != "running" or time.monotonic() >= self.grace_end):
                return None
            if not self.done and (state != "running" or whole != "running"):
                return self._cut(ending.Cut.of(state, whole, self.phase, total))
            wait = min(self.phase.wait(), total.wait())
            if self.done:
                wait = min(wait, max(0.0, self.grace_end - time.monotonic()))
            closed = self._read(self.selector.select(wait))
            if self.ended is not None:
                return self.ended
            if closed:
                return None

    def _read(self, events: list[tuple[selectors.SelectorKey, int]]) -> bool:
        """Take what the child wrote; True when the result pipe closed. A frame that ends the
        child (`ended`) stops the reading there."""
        closed = False
        for key, _ in events:
            chunk = os.read(key.fd, 65536)
            if key.data == "result":
                if not chunk:
                    closed = True
                    continue
                for frame in self.reader.feed(chunk):
                    self._on_frame(frame)
                    if self.ended is not None:
                        return closed
            elif chunk:
                key.data.add(chunk)
            else:
                self.selector.unregister(key.fileobj)
        return closed

    def _on_frame(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "ready":
            self.ready_at = time.monotonic()
            self.timings.start += self.ready_at - self.spawned
            if self.state is State.STARTING:
                self.state = State.IMPORTING
        elif kind == "import":
            self.state = State.PROBING
            self.timings.submission_import += time.monotonic() - self.ready_at
            if not frame.get("ok"):
                self.result.import_failure = ImportFailure.RAISED
                self.result.import_error = (f"{self.spec.filename}: importing your module raised "
                                            f"{exc_text(frame['error'])}")
                self.outcome = STOP
        elif kind in ("begin", "result", "stuck"):
            self._on_probe_frame(kind, frame["key"], frame)
        elif kind == "audit":
            self.findings += 1
            if len(self.result.audit) < 200:
                self.result.audit.append(frame["finding"])
        elif kind == "done":
            self._on_done(frame["audit"])

    def _on_probe_frame(self, kind: str, key: str, frame: dict[str, Any]) -> None:
        """A probe begins, delivers its result, or its threads can never run again ("stuck",
        the child's deadlock watchdog: the child is ended now rather than at the limit)."""
        remaining, current = self.progress.remaining, self.current
        if kind == "begin" and self.by_key.get(key) in remaining:
            self.current = self.by_key[key]
            probe_begins(key)
            self.began = time.monotonic()
            self.phase = Limit(self.progress.total.clock, self.current.timeout)
        elif current is None or current not in remaining or key != current.key:
            return
        elif kind == "result":
            self.result.observations[key] = arrived(current.probe, frame["result"])
            remaining.remove(current)
            self.timings.probes[key] = time.monotonic() - self.began
            self.current = None
        elif kind == "stuck":
            self.result.observations[key] = ending.deadlocked()
            remaining.remove(current)
            self.ended = RESTART if self.progress.total.state() == "running" else STOP

    def _on_done(self, sent: int) -> None:
        if sent != self.findings:
            flag(self.result, f"its audit hook sent {sent} finding(s) and the grader received "
                              f"{self.findings}")
        self.outcome = STOP if not self.progress.remaining else RESTART
        self.done = True
        self.grace_end = time.monotonic() + DONE_GRACE

    # -- ended early: a limit ran out -------------------------------------------------------

    def _cut(self, cut: ending.Cut) -> str:
        """The phase's limit or the submission's ran out before the child finished."""
        result, total, limits = self.result, self.progress.total, self.spec.limits
        if self.state is not State.PROBING:
            if cut.busy:
                result.import_error = ending.busy_text(cut.backstop, f"importing {self.spec.filename}")
                result.grader_fault = result.busy_import = True
            else:
                result.import_failure = ImportFailure.TIMEOUT
                result.import_error = ending.import_timeout(self.spec.filename, limits.import_seconds)
            return STOP
        if self.current is not None:
            if cut.busy:
                result.busy.add(self.current.key)
            result.observations[self.current.key] = ending.probe_cut(
                cut, self.current.timeout, limits.submission_seconds)
            self.progress.remaining.remove(self.current)
        elif not self.progress.remaining and not cut.busy:
            flag(result, "delivered its results, never sent its end-of-run message and was stopped")
        return RESTART if total.state() == "running" else STOP

    # -- ended: the result pipe closed ------------------------------------------------------

    def _after_exit(self) -> str:
        """The child is gone (or closed its pipe on purpose, or lingers after "done"): what its
        exit says about what it left undone."""
        result = self.result
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            code = None
        if code == CHANNEL_TAMPERED and not self.done:
            flag(result, "the audit hook found the result channel replaced or closed (os.dup2 or "
                         "os.close on the grader's pipe) and ended the run")
        if self.outcome == STOP and result.import_error:
            return STOP
        if self.state is State.STARTING:
            tail = self.progress.stderr.text().strip().splitlines()[-1:] or ["no output"]
            result.import_error = (f"internal error: the grader's sandbox did not start ({exit_text(code)}: "
                                   f"{tail[0][:200]}); please report this to your instructor")
            result.import_failure = ImportFailure.SANDBOX
            result.grader_fault = True
            return STOP
        if self.state is State.IMPORTING:
            result.import_failure = ImportFailure.EXITED
            result.import_error = (f"{self.spec.filename}: your program exited while being imported "
                                   f"({exit_text(code)}); do not call exit() at top level")
            return STOP
        return self._exited_while_probing(code)

    def _exited_while_probing(self, code: int | None) -> str:
        remaining = self.progress.remaining
        if self.current is not None:
            self.result.observations[self.current.key] = crash(
                "exit", f"your program exited during this check ({exit_text(code)})")
            remaining.remove(self.current)
        elif not self.done and not remaining and code != CHANNEL_TAMPERED:
            flag(self.result, f"ended ({exit_text(code)}) without its end-of-run message")
        return self.outcome if not remaining else RESTART

    def _close(self) -> None:
        """Whatever the state: the output drained, the child and all it started ended."""
        closing = time.monotonic()
        if self.current is not None:  # a probe that hung or ended the child: its time too
            self.timings.probes.setdefault(self.current.key, closing - self.began)
        self.result.forged_frames += self.reader.forged
        _drain(self.selector, self.progress.stdout, self.progress.stderr)
        self.selector.close()
        os.close(self.read_fd)
        ending.kill_group(self.proc)
        ending.end_everything(self.box.level, self.box.slot, self.tasks, self.run_id)
        self.timings.cleanup += time.monotonic() - closing


def _sampler(tasks: TaskCgroup, pid: int) -> Callable[[], Sample] | None:
    """How the child's own time is read: its cgroup's CPU pressure where there is one, else
    the CPU time of its processes, else (None) wall time."""
    folder = tasks.v2_folder
    return (cgroup_sampler(folder) if folder is not None else None) or proc_sampler(pid)


def _drain(selector: selectors.BaseSelector, stdout: Output, stderr: Output) -> None:
    for key in list(selector.get_map().values()):
        if key.data in (stdout, stderr):
            try:
                os.set_blocking(key.fd, False)
                chunk = os.read(key.fd, 65536)
                if chunk:
                    key.data.add(chunk)
            except (BlockingIOError, OSError):
                pass
