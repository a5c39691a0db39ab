"""The student's output, timestamped: stdout, stderr and `logging`, line by line, per thread.

What a status line is judged on (when it was printed, relative to the grader's answers), so every
line keeps the time of its first write on the server's clock.
"""
from __future__ import annotations

import contextlib
import io
import threading
from typing import Any, Callable, Iterator


class _TextSink(io.TextIOBase):
    """A writable UTF-8 text stream that is never a terminal: what print and logging need."""

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False


class StdoutRecorder(_TextSink):
    """Stands in for sys.stdout and keeps each line with the time its first write happened.

    Lines are assembled per thread, so `print(url, code)` from two threads at once (four
    writes each, interleaved) still gives the two lines each thread meant to print.
    `stderr` is a second stream feeding the same recorder (lines there carry "stream":
    "stderr"), so a status reported through `logging` or to sys.stderr counts as printed.
    `on_line()` is called after each completed line, outside the recorder's lock: the grader's
    server waits for a status line, and is woken by it instead of looking again and again.
    """

    MAX_LINES = 5000
    MAX_CHARS = 500

    def __init__(self, clock: Callable[[], float],
                 on_line: Callable[[], None] | None = None,
                 number: Callable[[int], int] | None = None) -> None:
        super().__init__()
        self._clock = clock
        self._on_line = on_line
        self._number = number  # the server's thread numbers (taken outside this lock)
        self._lock = threading.Lock()
        self._partial: dict[tuple[int, str], tuple[float, str]] = {}
        self._threads: dict[int, int] = {}
        self.lines: list[dict[str, Any]] = []
        self.dropped = 0
        self.stderr = _StreamView(self, "stderr")

    def _emit(self, t: float, text: str, ident: int, stream: str) -> None:
        if len(self.lines) >= self.MAX_LINES:
            self.dropped += 1
            return
        # numbered by `write` already when the server numbers threads (`number`)
        thread = self._threads.setdefault(ident, len(self._threads) + 1)
        self.lines.append({"t": round(t, 4), "text": text[: self.MAX_CHARS], "thread": thread,
                           "stream": stream})

    def write(self, text: Any, stream: str = "stdout") -> int:  # type: ignore[override]
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        now = self._clock()
        ident = threading.get_ident()
        if self._number is not None and ident not in self._threads:
            number = self._number(ident)
            with self._lock:
                self._threads[ident] = number
        with self._lock:
            start, pending = self._partial.pop((ident, stream), (now, ""))
            pending += text
            ended = "\n" in pending
            while "\n" in pending:
                line, pending = pending.split("\n", 1)
                self._emit(start, line, ident, stream)
                start = now
            if pending:
                self._partial[(ident, stream)] = (start, pending[-10 * self.MAX_CHARS:])
        if ended and self._on_line is not None:
            self._on_line()
        return len(text)

    def flush(self) -> None:
        pass

    def since(self, index: int) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.lines[index:])

    def finish(self) -> list[dict[str, Any]]:
        """Every line, including unterminated ones, in the order they were started."""
        with self._lock:
            for (ident, stream), (start, pending) in list(self._partial.items()):
                self._emit(start, pending, ident, stream)
            self._partial.clear()
            return sorted(self.lines, key=lambda line: line["t"])


class _StreamView(_TextSink):
    """A second named stream of a StdoutRecorder (stderr)."""

    def __init__(self, recorder: StdoutRecorder, name: str) -> None:
        super().__init__()
        self._recorder, self._name = recorder, name

    def write(self, text: Any) -> int:  # type: ignore[override]
        return self._recorder.write(text, self._name)

    def flush(self) -> None:
        pass


def _stream_handlers() -> list[Any]:
    import logging

    loggers = [logging.getLogger()] + [lg for lg in list(logging.Logger.manager.loggerDict.values())
                                       if isinstance(lg, logging.Logger)]
    return [h for lg in loggers for h in list(lg.handlers) if isinstance(h, logging.StreamHandler)]


@contextlib.contextmanager
def capturing(recorder: StdoutRecorder) -> Iterator[None]:
    """sys.stdout, sys.stderr and every `logging` handler writing to them go to `recorder`
    for the duration. Handlers made during it (logging.basicConfig) are pointed back at the
    real streams afterwards, so that the next capture in this process finds them again."""
    import sys

    real_out, real_err = sys.stdout, sys.stderr

    def retarget(out: Any, err: Any) -> None:
        for handler in _stream_handlers():
            stream = getattr(handler, "stream", None)
            if stream is real_out or isinstance(stream, StdoutRecorder):
                handler.setStream(out)
            elif stream is real_err or isinstance(stream, _StreamView):
                handler.setStream(err)

    retarget(recorder, recorder.stderr)
    sys.stdout, sys.stderr = recorder, recorder.stderr  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout, sys.stderr = real_out, real_err
        retarget(real_out, real_err)
