"""What a program run under the scheduler reads from its user: a scripted session.

A menu or ATM program asks `int(input("amount? "))`, often while holding its lock. Given end
of file it raises EOFError there, the lock is never released and the other threads wait
forever: the grader's doing, not a deadlock of the student's. So `input()` returns the answers
of a scripted session instead (the rubric's `input:` for the task, or DEFAULT_ANSWERS: small
positive numbers, so that `int(input())` works for a count, an amount or a menu choice). When a
program asks for more than the session holds, the run is stopped there, like a simulation that
never ends, and judged on what it did: never given end of file, never left to hang.

The answers are handed out in the order the threads ask, which the seeded schedule decides, so
a run stays deterministic. `sys.stdin` read directly (`sys.stdin.read()`, `for line in
sys.stdin`) holds the same lines followed by end of file, as a file redirected to stdin would.
"""
from __future__ import annotations

import io
import sys
from typing import Any

from grader.preempt import scheduler as sched_mod

# A menu choice, a count, an amount...: small positive numbers that `int()` and `float()` accept
DEFAULT_ANSWERS: tuple[str, ...] = ("5", "2", "10", "1", "3")
INPUT_STOP = "input"  # the scheduler's status when a program asked for more than the session holds


def answers_of(param: Any) -> tuple[str, ...]:
    """The probe's `input` parameter (the rubric's scripted answers) as lines; the default when
    the rubric gives none."""
    if param is None:
        return DEFAULT_ANSWERS
    if isinstance(param, (str, int, float)):
        param = [param]
    return tuple(str(answer) for answer in param)


class Session:
    """One run's scripted session: `input()` for the program, and how many answers it took."""

    def __init__(self, answers: tuple[str, ...]) -> None:
        self.answers = answers
        self.read = 0  # answers handed out
        self.exhausted = False  # the program asked for one more than the session holds
        self.stdin = io.StringIO("".join(f"{answer}\n" for answer in answers))

    def input(self, prompt: Any = "") -> str:
        """`input()`: the prompt is printed as the program wrote it and, as a terminal echoes
        what the user typed, the answer after it (the session reads as a transcript). Past the
        last answer the prompt is not printed: the run stops there, and what it printed last
        stays the last line it is judged on."""
        if self.read < len(self.answers):
            answer = self.answers[self.read]
            self.read += 1
            if prompt != "":
                sys.stdout.write(f"{prompt}{answer}\n")
            return answer
        self.exhausted = True
        sched = sched_mod.ACTIVE
        if sched is None:
            raise EOFError("EOF when reading a line")
        sched.stop(INPUT_STOP)
        raise sched_mod.Abort(INPUT_STOP)

    def summary(self) -> str:
        """The answers given, for the feedback: `5, 2, 10`."""
        shown = ", ".join(repr(a) for a in self.answers[:8])
        return shown + (", ..." if len(self.answers) > 8 else "")
