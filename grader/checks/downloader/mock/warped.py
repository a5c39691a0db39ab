"""A gated server whose clock skips the time in which only its own answers could come next.

The gated run (`contract_runs`, `downloader.gated`) answers each request `latency` seconds after
the gate lets it go (0.10-0.18 s, a slow page's hang 1 s), so that a pool's requests overlap as
they would against a real site and a program that starts more than max_workers downloads is seen
with them all in flight. Waiting those seconds out in real time is most of a correct
submission's grading, and nothing happens in them: every thread of the program is blocked until
an answer comes. So the server's clock is *warped*: when no thread but those waiting in the server
can run (`grader.sandbox.stuck.idle`: every other thread sleeps in an untimed, process-private
wait, with no context switch between two readings), the clock jumps to the next answer's due
time and that answer goes out at once. Each answer still goes out at its due time on the server's
clock, in the same order, after everything the program could do before it; the recorded times
(arrival, release, end, the lines printed) are on that clock too, so the timeline no longer
depends on how fast the machine ran.

Why this cannot change a verdict: time is skipped only while no thread outside the server can
act, and such a thread cannot be woken by time passing (its wait has no timeout), by a signal
timer or a child process (both rule idleness out), only by a thread the server holds, which
moves only when its answer is due. A thread that sleeps, polls, runs, or waits with a timeout
(`queue.get(timeout=...)`, `future.result(timeout=...)`, `as_completed(timeout=...)`) makes the
process not idle, and the clock then runs in real time, exactly as without the warp: the
student's own timeouts never lose real time. Where `/proc` cannot be read, nothing is skipped.
The grader's own limits (the call's deadline, the linger after it) stay in real time.
"""
from __future__ import annotations

from typing import Any

from grader.checks.downloader.mock.records import Record
from grader.checks.downloader.mock.routes import Route
from grader.checks.downloader.mock.server import MockServer

POLL = 0.005  # s between two looks of a waiting answer at whether the process is idle
# The first looks come sooner (1, 2, 4 ms): after an answer, the program usually needs well under
# a millisecond to print and wait again; a program that keeps running is looked at every POLL.
FIRST_POLL = 0.001


class WarpedServer(MockServer):
    """A `MockServer` (gate, routes, records) whose clock skips idle time up to the next answer."""

    def __init__(self, routes: dict[str, Route] | None = None, **kwargs: Any) -> None:
        super().__init__(routes, idle_ends_waits=True, **kwargs)
        self.skipped = 0.0  # seconds the clock jumped over
        self._due: dict[int, tuple[float, int]] = {}  # record id -> (due time, native thread id)
        self._changes = 0  # arrivals, answers and ends: a look is void if one happened meanwhile
        self._warp_looking = False
        self._went_out: dict[int, float] = {}  # record id -> the due time its answer waited for

    def now(self) -> float:
        return self.clock() - self.t0 + self.skipped

    def _record_arrival(self, request: Any) -> Record:  # with self._cond held
        self._changes += 1
        return super()._record_arrival(request)

    def _leave(self, record: Record, outcome: str) -> None:
        with self._cond:
            self._changes += 1
        super()._leave(record, outcome)

    def _answered_at(self, record: Record) -> float:  # with self._cond held
        """The due time the answer waited for, not the moment its thread got on after: on a
        busy machine a thread whose answer is due can wait for the CPU longer than the next
        answer's latency is behind it, and the order of the answers would follow the load."""
        due = self._went_out.pop(record.id, None)
        return self.now() if due is None else due

    def _wait_turn(self, record: Record, route: Route) -> None:
        self._wait_until(record, self._let_go(record) + route.latency)

    def _let_go(self, record: Record) -> float:
        """When the gate let the request go: as it arrived, or, held there, when the gate opened
        (not when its thread woke up after, which depends on the machine's load), so that the
        requests held together are answered in the order of their latencies."""
        with self._cond:
            opened = self.gate_opened_at
            if opened is not None and record.start < opened:
                record.released = opened
            assert record.released is not None  # set by _arrive
            return record.released

    def _hang(self, record: Record, route: Route) -> None:
        self._wait_until(record, self.now() + route.hang)

    def _wait_until(self, record: Record, due: float) -> None:
        """Return once the server's clock reaches `due` (real time, or a jump when idle)."""
        with self._cond:
            self._due[record.id] = (due, record.native)
            self._changes += 1
            try:
                pause = FIRST_POLL
                while self.now() < due:
                    if not self._skip():
                        self._cond.wait(min(max(due - self.now(), 0.0), pause))
                        pause = min(2 * pause, POLL)
                self._went_out[record.id] = due
            finally:
                del self._due[record.id]
                self._changes += 1

    def _skip(self) -> bool:  # with self._cond held (released while the threads are read)
        """Jump the clock to the earliest answer due when nothing else can happen before it."""
        if self._warp_looking or not self._due:
            return False
        from grader.sandbox import stuck

        changes = self._changes
        waiting = {native for _, native in self._due.values()}
        waiting |= {r.native for r in self.records if r.released is None}
        self._warp_looking = True
        try:
            quiet = stuck.idle_released(self._cond, waiting | self.passive)
        finally:
            self._warp_looking = False
        if not quiet or changes != self._changes or not self._due:
            return False
        ahead = min(due for due, _ in self._due.values()) - self.now()
        if ahead <= 0:  # an answer is due already: its thread goes on at its next look
            return False
        self.skipped += ahead
        self._cond.notify_all()
        return True

    def snapshot(self) -> dict[str, Any]:
        snap = super().snapshot()
        with self._cond:
            snap["skipped"] = round(self.skipped, 4)
        return snap
