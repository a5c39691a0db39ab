"""Threads that outlive a schedule of their world, parked until the next schedule adopts them.

A module-level actor waiting on its queue, or an executor's idle workers, live on between two
calls into a module in a real process. When a schedule of a world (the namespace of the module
whose code it runs, see Scheduler.world) ends with such threads alive, they are parked here,
holding nothing of the grader's, and the next schedule of the same world adopts them where they
stood (at most MAX_PARKED per world; the ones that ran longest ago are let go).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from grader.probes.preempt.active import identity
from grader.probes.preempt.tasks import BLOCKED, DONE, Task

if TYPE_CHECKING:  # for annotations only: the scheduler calls these functions
    from grader.probes.preempt.scheduler import Scheduler

PARKED: dict[int, tuple[dict[str, Any], list[Task]]] = {}  # identity(world) -> (world, parked threads)
MAX_PARKED = 64


def parked_in(world: dict[str, Any]) -> bool:
    """Threads of this module's world wait between two schedules (see Scheduler.world)."""
    entry = PARKED.get(identity(world))
    return entry is not None and entry[0] is world and bool(entry[1])


def park(sched: Scheduler, world: dict[str, Any]) -> None:
    """The schedule ends with threads of its world still alive: they wait for the next one."""
    table = sched.table
    parked = PARKED.setdefault(identity(world), (world, []))[1]
    for t in table.tasks:
        if t.state == DONE or t.root or t.parked:
            continue
        t.parked, t.parked_now = True, sched.now
        parked.append(t)
        table.exited += 1
        table.forget(t)
    if len(parked) > MAX_PARKED:
        # Too many: the ones that ran longest ago go (an earlier call's account worker,
        # waiting for messages nobody can send any more); they unwind in this schedule.
        parked.sort(key=lambda t: t.last_ran, reverse=True)
        for t in parked[MAX_PARKED:]:
            t.parked, t.sched = False, sched
            if t not in table.tasks:
                table.tasks.append(t)
            else:
                table.exited -= 1
        del parked[MAX_PARKED:]


def adopt(sched: Scheduler, world: dict[str, Any]) -> None:
    """Take over the threads the world's last schedule parked, where they stood."""
    entry = PARKED.pop(identity(world), None)
    if entry is None or entry[0] is not world:
        return
    table = sched.table
    for t in entry[1]:
        t.sched, t.parked, t.index = sched, False, len(table.tasks)
        table.tasks.append(t)
        table.by_ident[t.ident] = t  # type: ignore[index]
        sched.oracle.fork(None, t.index)  # what its world did before happened before
        if t.deadline is not None:
            t.deadline = max(0.0, t.deadline - t.parked_now) + sched.now
        if t.state == BLOCKED and t.waiting_on is not None:
            table.wait(t, t.waiting_on)
        if t.started:
            table.alive += 1
