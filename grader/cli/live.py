"""The progress line `grader check` keeps on a terminal while it grades.

A check can take a while (a deposit that never returns waits for its time limit), and silence
reads as a hang. On a terminal, stderr shows which check is running and for how long, redrawn
in place and erased before the report prints; piped or redirected, nothing is written, so logs
and `--format json` stay clean.
"""
from __future__ import annotations

import os
import threading
import time
from typing import IO

from grader.rubric import TaskSpec

REDRAW_SECONDS = 0.5


def wants_progress(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class CheckProgress:
    """`with CheckProgress(task, "sub/bank.py", sys.stderr) as progress:` around one grading;
    `progress.begin(key)` is the sandbox's event listener (`grader.sandbox.events`)."""

    def __init__(self, task: TaskSpec, shown: str, stream: IO[str]) -> None:
        from grader.grading import probe_key

        self.names: dict[str, str] = {}
        for spec in task.checks:
            try:
                self.names.setdefault(probe_key(spec), spec.id)
            except KeyError:  # a check the registry lacks: the grading reports it
                continue
        from grader.reports.clean import line

        self.shown, self.stream = line(shown), stream  # a file's name, as typed: cleaned for the terminal
        self.current, self.done = "starting", 0
        self.started = self.since = time.monotonic()
        self._lock = threading.Lock()  # the state
        self._writing = threading.Lock()  # the line on the terminal (both threads draw)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._redraw, name="grader-progress", daemon=True)
        # NO_COLOR (or a dumb terminal): no escape codes at all; a shorter line is padded instead
        self.plain = bool(os.environ.get("NO_COLOR")) or os.environ.get("TERM") == "dumb"
        self.width = 0

    def begin(self, key: str) -> None:
        with self._lock:
            if self.current != "starting":
                self.done += 1
            self.current, self.since = self.names.get(key, "a check"), time.monotonic()
        self._draw()

    def _line(self) -> str:
        now = time.monotonic()
        with self._lock:
            done = f", {self.done} done" if self.done else ""
            return (f"grading {self.shown}: {self.current} {now - self.since:.0f} s{done} "
                    f"({now - self.started:.0f} s in all)")

    def _erase(self, line: str = "") -> str:
        if not self.plain:
            return "\r\x1b[K" + line
        pad = " " * max(0, self.width - len(line))
        self.width = len(line)
        return "\r" + line + pad + ("\r" if not line else "")

    def _draw(self) -> None:
        line = self._line()
        try:
            with self._writing:
                self.stream.write(self._erase(line))
                self.stream.flush()
        except (OSError, ValueError):
            self._stop.set()

    def _redraw(self) -> None:
        while not self._stop.wait(REDRAW_SECONDS):
            self._draw()

    def __enter__(self) -> "CheckProgress":
        self._draw()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        try:
            with self._writing:
                self.stream.write(self._erase())
                self.stream.flush()
        except (OSError, ValueError):
            pass
