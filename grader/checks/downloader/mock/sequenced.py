"""A server that answers one request at a time, in the grader's order, not the clock's.

How a downloader's status lines are judged by causality: every request of a round is held, then
answered one at a time, and after each answer the grader waits for the program's status line
before the next. A line that appears only after a later answer was not printed on completion.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from grader.checks.downloader.mock.records import Record
from grader.checks.downloader.mock.routes import Route, normalize
from grader.checks.downloader.mock.server import MockServer

LOOK = 0.01  # s without an event before the conductor looks whether the program is idle
MAIN_GRACE = 0.05  # s the first answer of a script's run waits for its main thread to wait or end


@dataclass
class Phase:
    """One round of answers: the requests that were in flight together when it began."""

    at: float
    count: int  # requests in flight at once when the grader started answering them
    target: int
    reason: str  # "target" (as many as expected had started) | "quiet" (no new one came)
    concurrent: bool  # more than one: answered one at a time, each awaited by its status line


class SequencedServer(MockServer):
    """Answers any URL; the grader, not the clock, decides when each response arrives.

    Requests are held until `first_target` are in flight (or `quiet` s pass without a new
    one): how many started together is the overlap. Then they are answered one at a time,
    the latest arrival first (a request `rank` puts higher, such as a slow page, after the
    others), so that printing in start, submission or join order shows; after each answer
    the server waits until `reported(record)` says the program printed its status line, or
    `settle` s pass. Whatever the machine's load, a program that prints on completion has printed each
    line before the next answer; one that prints later has not. After `patience` answers
    nobody reacted to, it stops waiting (the verdict is made) and answers as requests come.
    No response takes any time of its own: a "slow" route is simply answered last.
    """

    def __init__(self, plan: Callable[[str], Route], rank: Callable[[str], float], *,
                 first_target: int, quiet: float = 1.0, short_quiet: float = 0.5,
                 settle: float = 1.0, patience: int = 2, only: Iterable[str] | None = None,
                 idle_ends_waits: bool = False) -> None:
        super().__init__(any_url=Route("status", 200, 0.0), gate_target=first_target, quiet=quiet,
                         idle_ends_waits=idle_ends_waits)
        # `only`: the URLs it answers (others are refused as not graded); None: every URL.
        self.only = None if only is None else {normalize(u) for u in only}
        self.plan, self.rank = plan, rank
        self.short_quiet, self.settle, self.patience = short_quiet, settle, patience
        self.reported: Callable[[Record], bool] = lambda record: False
        self.planned: dict[str, Route] = {}
        self.held: list[Record] = []
        self.phases: list[Phase] = []
        self.unanswered = 0  # answers the program did not react to within `settle`
        # A script's run: whether its main thread cannot run now (it waits, or it ended). The
        # first answer waits for that, MAIN_GRACE s at most: no network answers before the
        # statements after `start()` run, so a main thread that neither joins nor waits ends
        # first, as it would with any real network (daemon threads killed mid-download).
        self.main_waits: Callable[[], bool] | None = None
        self._answers = 0
        self._awaiting: Record | None = None  # the answer whose reaction the conductor awaits
        self._conductor = threading.Thread(target=self._conduct, name="grader-conductor",
                                           daemon=True)

    def __enter__(self) -> "SequencedServer":
        super().__enter__()
        self._conductor.start()
        return self

    def close(self) -> None:
        super().close()
        with self._cond:
            for record in self.held:
                record.released = self.now()
            self.held.clear()
            self._cond.notify_all()

    def owns(self, key: str) -> bool:
        return self.only is None or key in self.only

    def route_for(self, url: str) -> Route:
        key = normalize(url)
        with self._cond:
            if key not in self.planned:
                self.planned[key] = self.plan(key)
            return self.planned[key]

    def _arrive(self, request: Any) -> Record:
        with self._cond:
            record = self._record_arrival(request)
            if self.closed:
                record.released = record.start
            else:
                self.held.append(record)
            self._cond.notify_all()
        return record

    def _leave(self, record: Record, outcome: str) -> None:
        super()._leave(record, outcome)
        self.wake()  # an end can be the reaction the conductor waits for (a redirect's)

    def _wait_turn(self, record: Record, route: Route) -> None:
        with self._cond:
            while record.released is None and not self.closed:
                self._cond.wait(0.5)
            if record.released is None:
                record.released = self.now()

    # -- the conductor (a grader thread) -----------------------------------------------------
    def _release(self, record: Record, phase: int) -> None:  # with self._cond held
        self.held.remove(record)
        self._answers += 1
        record.phase, record.answered = phase, self._answers
        record.released = self.now()
        self._cond.notify_all()

    def _order_key(self, record: Record) -> tuple[float, int]:
        return (self.rank(normalize(record.url)), -record.id)

    def _conduct(self) -> None:
        target, quiet = self.gate_target, self.quiet
        singles = 0  # rounds of one request in a row: a long sequential stretch waits less
        self.passive.add(threading.get_native_id())
        with self._cond:
            while not self.closed:
                if not self.held:
                    self._cond.wait(0.05)
                    continue
                assert self._last_arrival is not None
                left = self._last_arrival + quiet - self.now()
                arrivals = len(self.records) + self.dropped
                if len(self.held) < target and left > 0 and not self._idle():
                    if arrivals == len(self.records) + self.dropped:  # none came while it looked
                        self._cond.wait(min(left, 0.05))
                    continue
                if not self.phases and self.main_waits is not None:
                    self._wait_for_main()
                count = len(self.held)
                phase = Phase(round(self.now(), 4), count, target,
                              "target" if count >= target else "quiet", count > 1)
                self.phases.append(phase)
                index = len(self.phases) - 1
                if self.gate_count is None or (phase.concurrent and self.gate_count < 2):
                    self.gate_open, self.gate_opened_at = True, phase.at
                    self.gate_count, self.gate_reason, self.gate_target = count, phase.reason, target
                if not phase.concurrent:
                    self._release(self.held[0], index)
                    singles += 1
                    # A sequential stretch: does a threaded part start now?
                    target, quiet = 2, self.short_quiet if singles < 4 else self.short_quiet / 10
                    continue
                singles = 0
                while self.held and not self.closed:
                    record = min(self.held, key=self._order_key)
                    self._release(record, index)
                    if self.unanswered < self.patience:
                        self._await_reaction(record)
                target, quiet = max(2, count), self.short_quiet * 3

    def _wait_for_main(self) -> None:  # with self._cond held
        """Before a script's first answer: until its main thread waits or has ended
        (`main_waits`), MAIN_GRACE s at most (a main thread that sleeps or spins to wait)."""
        deadline = time.monotonic() + MAIN_GRACE
        while not self.closed and time.monotonic() < deadline:
            try:
                if self.main_waits is None or self.main_waits():
                    return
            except Exception:  # a grader bug must not stall the run; it only loses the wait
                return
            self._cond.wait(0.002)

    def _await_reaction(self, record: Record) -> None:  # with self._cond held
        """Wait until the program reacts to `record`'s answer (its status line, or its task's
        next request), `settle` s at most, or until it cannot react any more (idle).

        Every event it could react with wakes this wait: a request arriving (`_arrive`), one
        ending (`_leave`), a line printed (`wake`, the recorder's `on_line`). Whether the
        process is idle is looked at only once LOOK s went by without any: a look sleeps (the
        two readings of `stuck.idle`), and a program that reacts does so without one. Idle is
        for good until the server acts, so looking later concludes what looking sooner would."""
        self._awaiting = record
        try:
            self._await(record)
        finally:
            self._awaiting = None

    def _await(self, record: Record) -> None:  # with self._cond held
        deadline = self.clock() + self.settle
        while not self.closed and not self._reacted(record):
            left = deadline - self.clock()
            if left <= 0:
                self.unanswered += 1
                return
            if self._cond.wait(min(left, LOOK)):
                continue  # something happened: is it the reaction?
            if self._idle() and not self._reacted(record):
                self.unanswered += 1
                return

    def last_look(self) -> None:
        """Once the run is over, before the snapshot: whether the program reacted to the answer
        the conductor is still waiting on (its last line may have come just as the run ended,
        before the conductor looked), so that the reaction it would have seen is kept."""
        with self._cond:
            if self._awaiting is not None:
                self._reacted(self._awaiting)

    def _reacted(self, record: Record) -> bool:  # with self._cond held
        if record.end is None:
            return False
        try:
            return bool(self.reported(record))
        except Exception:  # a grader bug must not stall the run; it only loses the wait
            return True

    def snapshot(self) -> dict[str, Any]:
        snap = super().snapshot()
        with self._cond:
            snap["phases"] = [vars(p).copy() for p in self.phases]
            snap["unanswered"] = self.unanswered
            snap["planned"] = {url: route.describe() for url, route in self.planned.items()}
        return snap
