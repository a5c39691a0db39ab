"""The downloader's harness: the student's code run in a thread of the child against one of the
grader's servers, and what it did recorded for the judge.

Both kinds of run go through here: a contract submission's `download_pages` called on the
grader's URLs (`contract_runs`), and a program run as `__main__` over its own URLs
(`script_run`). Either way the student's code runs in a thread of the grader's (`body`), with
its output timestamped on the server's clock (`mock.recorder`), the exceptions that escape its
worker threads kept, and the network attempts the child's guard refused counted. Once `body`
has ended, the threads it left running get a bounded while (`linger` s) to finish what they
were doing (`settled` says when they have), so what they do is recorded, not lost; then the
server closes and its snapshot is taken.
"""
from __future__ import annotations

import contextlib
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from grader.checks.downloader import wording
from grader.checks.downloader.mock import MockServer, SequencedServer, StdoutRecorder, capturing
from grader.probes.probing import ProbeContext, describe

MAX_THREAD_ERRORS = 20  # exceptions kept from the student's threads


@dataclass
class Recording:
    """What one run did, as the observation reports it."""

    finished: bool  # `body` ended in time (as the caller's `finished` judged it)
    started: float  # when `body` started, on the server's clock
    lines: list[dict[str, Any]]  # the output, line by line (StdoutRecorder)
    server: dict[str, Any]  # the server's snapshot: its requests, the gate, ...
    thread_errors: list[dict[str, Any]]  # exceptions that escaped the student's threads
    network: list[str]  # connections the child's network guard refused during the run


@contextlib.contextmanager
def _thread_errors(errors: list[dict[str, Any]], filename: str) -> Iterator[None]:
    """Exceptions that escape a thread (threading.excepthook) are kept in `errors`."""
    real_hook = threading.excepthook

    def hook(args: Any) -> None:
        if len(errors) < MAX_THREAD_ERRORS and args.exc_value is not None:
            errors.append({**describe(args.exc_value, filename),
                           "thread": getattr(args.thread, "name", "?")})

    threading.excepthook = hook
    try:
        yield
    finally:
        threading.excepthook = real_hook


@contextlib.contextmanager
def _argv(argv: list[str] | None) -> Iterator[None]:
    """`sys.argv` as a plain run of the program has it (None: left alone)."""
    real_argv = sys.argv
    if argv is not None:
        sys.argv = argv
    try:
        yield
    finally:
        sys.argv = real_argv


def new_threads(before: set[threading.Thread], runner: threading.Thread) -> list[threading.Thread]:
    """The threads started since `before` that still run, but for `runner` (the thread of `body`)."""
    return [t for t in threading.enumerate() if t not in before and t is not runner and t.is_alive()]


def idle(server: MockServer) -> bool:
    """Nothing is in flight and no thread but the grader's passive ones (and the caller) can
    ever run again (`stuck.idle`): the program can do nothing more, however long it is given."""
    from grader.sandbox import stuck

    return server.in_flight == 0 and stuck.idle(server.passive, stuck.LOOK_PAUSE)


def _linger(seconds: float, settled: Callable[[], bool], server: MockServer) -> None:
    """Up to `seconds` for the threads left running to settle; not a moment longer once they
    can do nothing more (`idle`): what they would do in the rest of it, they cannot."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if settled() or idle(server):
            break
        time.sleep(0.02)


HUNG_LOOK = 0.1  # s between looks whether the body can still end (`hung`)


def _join(runner: threading.Thread, wait: float, hung: Callable[[], bool] | None) -> None:
    """`runner.join(wait)`, cut short once `hung()` says nothing can end it any more."""
    deadline = time.monotonic() + wait
    while runner.is_alive():
        left = deadline - time.monotonic()
        if left <= 0:
            return
        runner.join(left if hung is None else min(left, HUNG_LOOK))
        if hung is not None and runner.is_alive() and hung():
            return


def run_against(ctx: ProbeContext, server: MockServer, body: Callable[[], None], *, name: str,
                daemon: bool, wait: float, finished: Callable[[threading.Thread], bool],
                linger: float, settled: Callable[[list[threading.Thread]], bool],
                aliases: dict[str, str] | None = None, argv: list[str] | None = None,
                hung: Callable[[], bool] | None = None) -> Recording:
    """Run `body` in a thread named `name` against `server`, waiting `wait` s for it to end,
    or until `hung()` says it never will (looked at every HUNG_LOOK s).

    `finished(runner)` says whether it ended in time; if so, the threads it left running get
    `linger` s until `settled(their list)`. A SequencedServer waits, after each answer, for the
    status line of its URL (or of the URL it redirected from, `aliases`)."""
    from grader.sandbox import netguard

    network_before = len(netguard.ATTEMPTS)
    errors: list[dict[str, Any]] = []
    server.passive.add(threading.get_native_id())  # this thread only waits for `body` to end
    runner = threading.Thread(target=body, name=name, daemon=daemon)
    with server:
        # Taken once the server runs: its own thread (a SequencedServer's conductor) is not one
        # the student's code left running, so it is never lingered for.
        before = set(threading.enumerate())
        recorder = StdoutRecorder(server.now, on_line=server.wake, number=server.thread_number)
        if isinstance(server, SequencedServer):
            server.reported = wording.reaction_test(server, recorder, aliases)
        with _thread_errors(errors, ctx.filename), _argv(argv), capturing(recorder):
            started = server.now()
            runner.start()
            _join(runner, wait, hung)
            done = finished(runner)
            if done:
                _linger(linger, lambda: settled(new_threads(before, runner)), server)
        lines = recorder.finish()
        if isinstance(server, SequencedServer):
            server.last_look()
        snapshot = server.snapshot()
    return Recording(done, started, lines[:2000], snapshot, errors,
                     list(netguard.ATTEMPTS[network_before:network_before + 20]))
