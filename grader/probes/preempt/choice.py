"""Who runs next: every choice of a schedule's next thread.

Choices come from one `random.Random` seeded by the caller (or, in a serial ordered run, the
first in line), so a schedule depends on nothing but the seed and the code. The scheduler asks
in the order the schedule unfolds; each method draws at most once, so the draws replay exactly
(the scheduler's point draws the coin of a forced switch from `rng` itself: it runs before every
statement of the sampled part).

Threads held back (`behind`: from a line of the student's file on, or from their start) run
only when nobody else can: the order in which a notify can come before the wait it was meant
for (a lost wake-up, see wakeups.py).
"""
from __future__ import annotations

import random

from grader.probes.preempt.tasks import Task


class Chooser:
    def __init__(self, seed: int, in_line: bool, behind: dict[str, int | None] | None) -> None:
        self.rng = random.Random(seed)
        self.in_line = in_line  # every choice: the first in line (a serial, ordered run)
        self.behind = dict(behind or {})
        self.held: set[str] = set()  # threads of `behind` that reached their line

    def next_of(self, runnable: list[Task]) -> Task:
        """The next thread among those that can run (not empty)."""
        if self.held:
            runnable = [t for t in runnable if t.name not in self.held] or runnable
        if self.in_line:
            return runnable[0]
        return self.rng.choice(runnable)

    def first_due(self, due: list[Task]) -> Task:
        """Nobody can run: which of the waits that end first ends now."""
        return due[0] if self.in_line else self.rng.choice(due)

    def other(self, me: Task, runnable: list[Task]) -> Task | None:
        """Someone other than `me` to hand the turn to, if anyone can run (the next one in
        order when in line)."""
        others = [t for t in runnable if t is not me]
        if self.held:
            others = [t for t in others if t.name not in self.held] or others
        if not others:
            return None
        if self.in_line:
            later = [t for t in others if t.index > me.index]
            return (later or others)[0]
        return self.rng.choice(others)

    def woken(self, waiting: list[Task], n: int) -> list[Task]:
        """`n` of the threads waiting on an object (fewer than all of them), taken out."""
        woken = []
        for _ in range(n):
            index = 0 if self.in_line else self.rng.randrange(len(waiting))
            woken.append(waiting.pop(index))
        return woken

    def hold(self, me: Task, line: int | None) -> None:
        """`me` is held back from here on if it reached its line of `behind`."""
        if me.name in self.behind and me.name not in self.held and self.behind[me.name] in (None, line):
            self.held.add(me.name)
