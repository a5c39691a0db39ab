"""A progress line on stderr: done/total, grader errors, cached, ETA.

On a terminal it redraws one line in place; in a log (CI, `2> file`) it writes a line at each
tenth of the way, so a log is readable and not flooded. The ETA counts only gradings that ran
(cache hits take no time) and assumes the ones left run `jobs` at a time.
"""
from __future__ import annotations

import sys
import threading
import time
from typing import TextIO


def _clock(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60}:{seconds % 60:02d}"


class Progress:
    def __init__(self, total: int, jobs: int, stream: TextIO | None = None, enabled: bool = True) -> None:
        self.total, self.jobs = total, max(1, jobs)
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.tty = enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.done = self.failed = self.cached = 0
        self.ran = 0
        self.ran_seconds = 0.0
        self.started = time.monotonic()
        self._last_step = -1
        self._lock = threading.Lock()

    def advance(self, count: int, *, failed: bool = False, cached: bool = False, seconds: float = 0.0) -> None:
        """`count` submissions are done (a shared grading finishes several at once)."""
        with self._lock:
            self.done += count
            self.failed += count if failed else 0
            self.cached += count if cached else 0
            if not cached:
                self.ran += 1
                self.ran_seconds += seconds
            self._show()

    def line(self) -> str:
        width = 24
        filled = int(width * self.done / self.total) if self.total else width
        bar = "#" * filled + "." * (width - filled)
        left = self.total - self.done
        eta = "0:00"
        if left and self.ran:
            eta = _clock(self.ran_seconds / self.ran * left / self.jobs)
        elif left:
            eta = "?"
        # `failed` counts gradings the grader itself could not finish, never a student's
        # failed checks: said as the batch's summary says it
        return (f"[{bar}] {self.done}/{self.total} done, {self.failed} grader errors, "
                f"{self.cached} cached, elapsed {_clock(time.monotonic() - self.started)}, ETA {eta}")

    def _show(self) -> None:
        if not self.enabled:
            return
        if self.tty:
            self.stream.write("\r" + self.line())
            if self.done >= self.total:
                self.stream.write("\n")
        else:
            step = 10 * self.done // self.total if self.total else 10
            if step == self._last_step:
                return
            self._last_step = step
            self.stream.write(self.line() + "\n")
        self.stream.flush()

    def start(self) -> None:
        with self._lock:
            self._show()
