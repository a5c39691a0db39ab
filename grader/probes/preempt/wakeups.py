"""Lost wake-ups: Condition waits that no loop re-checks, and the notify that ended each.

In another order that notify can come first and be lost, and the wait then never ends:
bank.script tries each one found again with the waiter held back (the scheduler's `behind`,
grader/probes/preempt/choice.py) from where it took the lock. A wait is unchecked when it is the
student's own `wait()` call (not `wait_for`'s, not a queue's) on a line whose innermost loop is
not a `while` with a condition: alone, in an `if`, in `while True` or in a `for`.
"""
from __future__ import annotations

from typing import Any

from grader.probes.preempt.instrument import rechecked_lines

MAX_WAKEUPS = 10  # per schedule: a few are enough to try


class Wakeups:
    def __init__(self, source_lines: list[str]) -> None:
        self.found: list[dict[str, Any]] = []  # waiter, wait_line, lock_line, notifier, notify_line
        self._source_lines = source_lines
        self._loop_lines: set[int] | None = None

    def room(self) -> bool:
        return len(self.found) < MAX_WAKEUPS

    def in_loop(self, line: int | None) -> bool:
        """Whether a line of the student's file is re-checked by a loop: its innermost loop is a
        `while` with a condition (a wait there sees the predicate again)."""
        if self._loop_lines is None:
            self._loop_lines = rechecked_lines("\n".join(self._source_lines))
        return line is not None and line in self._loop_lines

    def note(self, waiter: str, wait_line: int, lock_line: int | None, notifier: str,
             notify_line: int | None) -> None:
        """`notifier` ended `waiter`'s unchecked wait."""
        if self.room():
            self.found.append({"waiter": waiter, "wait_line": wait_line, "lock_line": lock_line,
                               "notifier": notifier, "notify_line": notify_line})
