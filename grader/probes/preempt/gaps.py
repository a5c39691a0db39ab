"""Directed schedules: a mover kept waiting in the gap of a call meant to be atomic.

A transfer written as two locked steps (withdraw under the source's lock, release it, deposit
under the destination's lock) is wrong only in its gap: between the two holdings the money is
in neither account (or, deposit first, in both). A coin at every point rarely keeps the mover
out long enough for an auditor to make two operations in that gap: 4 to 10 schedules in 100
for the shapes of tests/programs/bank_transfer. Worse, an auditor that has just taken a unit
to look makes the transfer of the whole balance a refusal, which has no gap at all. Active
testing (RaceFuzzer, Sen, PLDI 2008) directs the schedule at the suspected spot instead. A
directed call (a coin of `chance` per call, from the schedule's own generator: the same seed
directs the same calls) goes through these phases:

* `drain`: each auditor is held once it is between two looks (`idle`), the mover until all are;
* `alone`: the mover makes its call while the auditors are held, so nothing of theirs makes it
  a refusal and its first step completes;
* `gap`: at its first release of a lock after it changed something (a write the event log
  recorded, or an object of `state()` replaced: a Decimal balance), the mover is held and the
  auditors run until they made `ops` operations (or nobody else can run);
* `off`: everybody runs on the coin again, as in a call that is not directed.

A release before any change (a balance check in a holding of its own) does not open the gap: a
transfer that checks, then debits, then credits is held after the debit. The undirected calls
keep the coin's own interleavings. With `chance` 1/2 the lowest rate over the shapes is 0.585
per schedule (grader/probes/preempt/coverage.py); with every call directed it is 0.99.

Why this never fails a correct program: holding only chooses who runs next among the threads
that can run, which a schedule may always do, and a held thread still runs when nobody else
can (the others wait for a lock it has). So a verdict still rests on an observed history with
no sequential explanation, whatever was held; a correct transfer changes both accounts inside
one holding, so its gap shows nothing. Held threads are held strictly (`Chooser.keep_back`): a
forced switch never hands them the turn, or the auditors would creep on while the mover is
alone.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from grader.probes.preempt.frames import code_of, getframe
from grader.probes.preempt.tasks import Task


@dataclass(frozen=True)
class Gap:
    """Where a gap began: the call, the event log's indexes of its start and of the release,
    and the student's frames (function, line) at the release, outermost first."""

    call: str  # the watched call, as the caller named it (`transfer(A, B, 100)`)
    start: int
    at: int
    frames: tuple[tuple[str, int], ...]


def _student_frames(filename: str) -> tuple[tuple[str, int], ...]:
    """The calling thread's frames in the student's file, outermost first."""
    frames = []
    frame = getframe(1)
    while frame is not None:
        code = code_of(frame)
        if code.co_filename == filename:
            frames.append((code.co_name, frame.f_lineno))
        frame = frame.f_back  # type: ignore[assignment]
    return tuple(reversed(frames))


class GapHold:
    """Directs `mover`'s watched calls (see the module's docstring). `others` are the threads
    that look at what it does; `idle(name)` says whether one is between two looks (or done).
    A directed call goes through phases: `drain` (each other thread is held once it is idle,
    the mover until all are), `alone` (the mover runs its call alone), `gap` (from its first
    release after a write: the mover is held until the others finished `ops` operations),
    then `off` (everybody runs on the coin again)."""

    def __init__(self, sched: Any, mover: str, others: list[str], idle: Callable[[str], bool],
                 state: Callable[[], list[Any]], *, chance: float, ops: int) -> None:
        self.sched, self.mover, self.others, self.idle = sched, mover, others, idle
        self.state = state  # the objects the watched call may change (compared by identity)
        self.chance, self.ops = chance, ops
        self.phase = "off"
        self.start = 0  # the event log's length when the watched call began
        self.before: list[Any] = []  # `state()` when the watched call began
        self.seen = 0  # operations the others finished in the gap
        self.gaps: list[Gap] = []  # where the gaps began (the story)
        self.call = ""  # the watched call running
        sched.on_release = self.released

    def settle(self) -> None:
        """Before a watched call: whether to direct it (a coin of `chance`)."""
        if self.phase == "off" and self.chance > 0 and self.sched.choice.rng.random() < self.chance:
            self._drain()

    def within(self, call: str, fn: Callable[[], Any]) -> Any:
        """Run the watched call `fn` (in the mover), named `call` in the story."""
        self.start, self.call = len(self.sched.log.events), call
        self.before = self.state() if self.phase != "off" else []
        try:
            return fn()
        finally:
            if self.phase in ("drain", "alone"):
                self._to("off")

    def released(self, me: Task, lock: Any) -> None:
        """The scheduler's hook: `me` released `lock`."""
        if self.phase != "alone" or me.name != self.mover:
            return
        if not self._wrote():
            return
        self.gaps.append(Gap(self.call, self.start, len(self.sched.log.events),
                             _student_frames(self.sched.filename)))
        self.seen = 0
        self._to("gap")

    def finished(self, thread: str) -> None:
        """Another thread finished an operation (or a look)."""
        if thread == self.mover:
            return
        if self.phase == "drain":
            self._drain()
        elif self.phase == "gap":
            self.seen += 1
            if self.seen >= self.ops:
                self._to("off")

    def _wrote(self) -> bool:
        """Has the mover changed anything since its call began? A write the log recorded (an
        int or float), or an object of `state()` replaced (a Decimal balance, a dict's value)."""
        if any(e.kind == "write" and e.thread == self.mover for e in self.sched.log.events[self.start:]):
            return True
        now = self.state()
        return len(now) != len(self.before) or any(a is not b for a, b in zip(now, self.before))

    def _drain(self) -> None:
        idle = [name for name in self.others if self.idle(name)]
        if len(idle) == len(self.others):
            self._to("alone")
            return
        self.phase = "drain"
        self.sched.choice.keep_back(self.mover)
        for name in idle:
            self.sched.choice.keep_back(name)

    def _to(self, phase: str) -> None:
        """Hold back whom `phase` holds back: the mover in `gap`, the others in `alone`."""
        choice = self.sched.choice
        for name in [self.mover] + self.others:
            if name == self.mover and phase == "gap" or name != self.mover and phase == "alone":
                choice.keep_back(name)
            else:
                choice.let_go(name)
        self.phase = phase
