"""What a program run under the scheduler reads from its user: a scripted session.

A menu or ATM program asks `int(input("amount? "))`, often while holding its lock. Given end
of file it raises EOFError there, the lock is never released and the other threads wait
forever: the grader's doing, not a deadlock of the student's. So `input()` returns the answers
of a scripted session instead (the rubric's `input:` for the task, or DEFAULT_ANSWERS: small
positive numbers, so that `int(input())` works for a count, an amount or a menu choice, given
again and again up to DEFAULT_LENGTH answers, so that a program with one thread per answer gets
them all). When a program asks for more than the session holds, the run is stopped there, like a simulation that
never ends, and judged on what it did: never given end of file, never left to hang.

The answers are handed out in the order the threads ask, which the seeded schedule decides, so
a run stays deterministic. `sys.stdin` read directly holds the same lines: `sys.stdin.read()`
and `for line in sys.stdin` then see end of file, as with a file redirected to stdin, while
`sys.stdin.readline()` past the last line (`int(sys.stdin.readline())`, input() spelled
another way) stops the run as input() does.
"""
from __future__ import annotations

import io
import sys
from typing import Any

from grader.probes.preempt import active
from grader.probes.preempt.tasks import Abort

# A menu choice, a count, an amount...: small positive numbers that `int()` and `float()` accept
DEFAULT_ANSWERS: tuple[str, ...] = ("5", "2", "10", "1", "3")
DEFAULT_LENGTH = 100  # answers in the default session (DEFAULT_ANSWERS over and over)
INPUT_STOP = "input"  # the scheduler's status when a program asked for more than the session holds


def answers_of(param: Any) -> tuple[str, ...]:
    """The probe's `input` parameter (the rubric's scripted answers) as lines; the default when
    the rubric gives none."""
    if param is None:
        return DEFAULT_ANSWERS * (DEFAULT_LENGTH // len(DEFAULT_ANSWERS))
    if isinstance(param, (str, int, float)):
        param = [param]
    return tuple(str(answer) for answer in param)


class Session:
    """One run's scripted session: `input()` for the program, and how many answers it took."""

    def __init__(self, answers: tuple[str, ...]) -> None:
        self.answers = answers
        self.read = 0  # answers handed out
        self.stdin = _Stdin("".join(f"{answer}\n" for answer in answers), self)

    def input(self, prompt: Any = "") -> str:
        """`input()`: the prompt is printed as the program wrote it and, as a terminal echoes
        what the user typed, the answer after it (the session reads as a transcript). Past the
        last answer the prompt is not printed: the run stops there, and what it printed last
        stays the last line it is judged on."""
        line = io.StringIO.readline(self.stdin)  # one cursor for input() and sys.stdin
        if line:
            answer = line[:-1] if line.endswith("\n") else line
            self.read += 1
            if prompt != "":
                sys.stdout.write(f"{prompt}{answer}\n")
            return answer
        self.stop()
        raise EOFError("EOF when reading a line")  # outside a schedule: as a plain run would

    def stop(self) -> None:
        """The program asked for more than the session holds: the run stops here (in a schedule)."""
        sched = active.ACTIVE
        if sched is not None:
            sched.stop(INPUT_STOP)
            raise Abort(INPUT_STOP)

    def summary(self) -> str:
        """The answers given, for the feedback: `'5', '2', '10'`, or the default's cycle."""
        cycle = len(DEFAULT_ANSWERS)
        if len(self.answers) > cycle and self.answers == DEFAULT_ANSWERS * (len(self.answers) // cycle):
            return ", ".join(repr(a) for a in DEFAULT_ANSWERS) + f" over and over, {len(self.answers)} in all"
        shown = ", ".join(repr(a) for a in self.answers[:8])
        return shown + (f", ... ({len(self.answers)} in all)" if len(self.answers) > 8 else "")


class _Stdin(io.StringIO):
    """`sys.stdin`: the session's lines; `readline()` past them stops the run, iteration ends."""

    def __init__(self, text: str, session: Session) -> None:
        super().__init__(text)
        self.session = session

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        line = super().readline(-1 if size is None else size)
        if line == "" and size != 0:
            self.session.stop()
        elif line.endswith("\n"):
            self.session.read += 1
        return line

    def __next__(self) -> str:  # type: ignore[override]  # a text stream's lines
        line = super().readline()
        if not line:
            raise StopIteration
        return line
