"""Waiting for a schedule to end, and telling a stalled one from a busy one.

The grader's thread waits while the schedule's threads take turns. A thread holding the turn
that makes no step for `stall_seconds` is blocked outside the grader's control ("stall"), but
only if it is not computing: a long call in C, or a thread waiting for a CPU on a busy machine,
is not a stall (whether it is one must not depend on the machine's load; one that never ends
is cut by the sandbox's CPU-counted limit). A handed-over turn is a step too (the cheap modes
count points only every `spin` of them).
"""
from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING

from grader.probes.preempt.tasks import DONE, student_stack

if TYPE_CHECKING:  # for annotations only: the scheduler calls `wait_for_end`
    from grader.probes.preempt.scheduler import Scheduler

IDLE_SHARE = 0.05  # CPU below this share of the wall time: the process was blocked, not computing


def wait_for_end(sched: Scheduler) -> None:
    """Wait for the schedule to end, or stop it as stalled."""
    last, since, cpu_at = (-1, -1), time.monotonic(), time.process_time()
    while not sched.finished.acquire(timeout=0.05):
        if (sched.steps, sched.turns) != last:
            last, since, cpu_at = (sched.steps, sched.turns), time.monotonic(), time.process_time()
        elif time.monotonic() - since > sched.stall_seconds and _computing(sched, since, cpu_at):
            since, cpu_at = time.monotonic(), time.process_time()  # judged afresh from here
        elif time.monotonic() - since > sched.stall_seconds:
            _stalled(sched)
            return
        if sched.aborted and sched.table.exited == len(sched.tasks):
            return


def _stalled(sched: Scheduler) -> None:
    """The thread holding the turn is blocked outside the grader's control: every live
    thread's stack is the story."""
    frames = sys._current_frames()
    for t in sched.tasks:
        if t.state != DONE and t.ident in frames:
            stack = student_stack(frames[t.ident], sched.filename, sched.source_lines)
            sched.deadlock.append({"thread": t.name, "waits": "is blocked outside the "
                                   "grader's control", "stack": stack})
    sched.stop("stall")
    sched.finished.acquire(timeout=1.0)


def _computing(sched: Scheduler, since: float, cpu_at: float) -> bool:
    """Since `since`, did this process compute (CPU time at least IDLE_SHARE of the wall
    time), or is a thread of the schedule runnable now (state R: running, or ready and
    waiting for a CPU)?"""
    if time.process_time() - cpu_at >= IDLE_SHARE * (time.monotonic() - since):
        return True
    for t in sched.tasks:
        if t.state != DONE and t.native is not None:
            try:
                with open(f"/proc/self/task/{t.native}/stat", "rb") as f:
                    if f.read().rsplit(b")", 1)[1].split()[0] == b"R":
                        return True
            except (OSError, IndexError):
                continue
    return False
