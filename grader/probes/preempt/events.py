"""The event log of a schedule: what its sampled part did, for the story shown to students.

Only the sampled part is recorded (the cheap modes past the budget record nothing), and at most
MAX_EVENTS events: the interleaving that explains a failure lies in what was recorded.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grader.probes.preempt.tasks import Task, student_line

MAX_EVENTS = 20_000


@dataclass
class Event:
    step: int
    thread: str
    kind: str  # line | read | write | acquire | release | call | return | block | start | end
    line: int | None
    label: str = ""
    value: Any = None


class EventLog:
    """The events of one schedule. `on` is False in the cheap modes (the scheduler sets it with
    its mode); `steps` reads the scheduler's step count, the time stamp of an event."""

    def __init__(self, filename: str, sched: Any) -> None:
        self.events: list[Event] = []
        self.filename = filename
        self.on = True
        self._sched = sched  # anything with a `steps` count: the scheduler

    def record(self, task: Task, kind: str, line: int | None, label: str = "", value: Any = None) -> None:
        if self.on and len(self.events) < MAX_EVENTS:
            self.events.append(Event(self._sched.steps, task.name, kind, line, label, value))

    @property
    def recording(self) -> bool:
        return self.on and len(self.events) < MAX_EVENTS

    def where(self, depth: int = 2) -> int | None:
        """The student's line `depth` frames up (None once nothing is recorded: nobody reads it)."""
        if not self.on or len(self.events) >= MAX_EVENTS:
            return None
        return student_line(self.filename, depth + 1)
