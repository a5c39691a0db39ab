"""Who runs next: every choice of a schedule's next thread.

Choices come from one `random.Random` seeded by the caller (or, in a serial ordered run, the
first in line), so a schedule depends on nothing but the seed and the code. The scheduler asks
in the order the schedule unfolds; each method draws at most once, so the draws replay exactly
(the scheduler's point draws the coin of a forced switch from `rng` itself: it runs before every
statement of the sampled part).

Threads held back (`behind`: from a line of the student's file on, or from their start) run
only when nobody else can: the order in which a notify can come before the wait it was meant
for (a lost wake-up, see wakeups.py), or a mover kept in the gap between two lock holdings of a
call meant to be atomic (gaps.py: `keep_back` and `let_go`).
"""
from __future__ import annotations

import random

from grader.probes.preempt.tasks import Task

HOLD_CHOICES = 1_000  # a strict hold lapses after this many choices (a directed gap used at most 43)


class Chooser:
    def __init__(self, seed: int, in_line: bool, behind: dict[str, int | None] | None) -> None:
        self.rng = random.Random(seed)
        self.in_line = in_line  # every choice: the first in line (a serial, ordered run)
        self.behind = dict(behind or {})
        self.held: set[str] = set()  # threads of `behind` that reached their line
        self.strict: dict[str, int] = {}  # held threads a forced switch never picks (keep_back):
        # the choices left before their hold lapses

    def next_of(self, runnable: list[Task]) -> Task:
        """The next thread among those that can run (not empty)."""
        if self.strict:
            self._lapse()
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
        if self.strict:
            self._lapse()
        if self.held:
            free = [t for t in others if t.name not in self.held]
            if not free and me.name not in self.held and all(t.name in self.strict for t in others):
                return None  # only strictly held ones: `me` goes on
            others = free or others
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

    def keep_back(self, name: str) -> None:
        """Hold `name` back (gaps.py), strictly: unlike a thread of `behind`, a forced switch
        never hands it the turn; it runs only when nobody else can. The hold lapses after
        `HOLD_CHOICES` choices of the next thread: a thread that spins (a non-blocking acquire
        in a loop) while the held one has what it waits for would otherwise run forever."""
        self.held.add(name)
        self.strict[name] = HOLD_CHOICES

    def let_go(self, name: str) -> None:
        """`name` runs again with the others (the coin decides, as before it was held)."""
        self.held.discard(name)
        self.strict.pop(name, None)

    def _lapse(self) -> None:
        """One more choice made while strict holds last: let go those whose time is up."""
        for name, left in list(self.strict.items()):
            if left <= 1:
                self.let_go(name)
            else:
                self.strict[name] = left - 1
