"""A gated, in-process HTTP server for grading downloaders (requests reach it through `dispatch`).

Student code runs `requests` against it inside the sandboxed child; nothing leaves the process
(`dispatch`). A `MockServer` answers the URLs of one scenario and records, for every request,
when it arrived, when the grader's *gate* let it go, when it completed and how. The gate is what
makes the verdicts independent of how busy the machine is: it holds every arriving request until
`gate_target` requests are in flight at once (or `quiet` seconds pass without a new arrival),
then opens for good. A sequential solution can never have two requests in flight; a pool of
`w` workers shows exactly `min(n, w)`, however slowly the machine runs.
"""
from __future__ import annotations

import threading
import time
from typing import Any, Callable, Iterable

from grader.checks.downloader.mock import dispatch
from grader.checks.downloader.mock.records import Record
from grader.checks.downloader.mock.routes import BODY, Route, normalize, read_timeout
from grader.checks.downloader.mock.via_urllib import UrllibRequest

MAX_RECORDS = 2000  # requests kept per server (a runaway loop must not exhaust memory)
# s without a new arrival before the gate asks whether one can still come (then again every
# IDLE_AFTER s). A pool reaches its target at once and is never looked at; a look while threads
# still start finds one running and changes nothing, so it can come early (it was 0.25 s).
IDLE_AFTER = 0.02


class MockServer:
    """Answers `routes` (or every URL with `any_url`), holding requests at a gate.

    Use as a context manager; on exit it stops answering (late requests are refused and listed
    in `late`). Wait for the student's threads *before* leaving the block.
    """

    def __init__(self, routes: dict[str, Route] | None = None, *, any_url: Route | None = None,
                 gate_target: int = 1, quiet: float = 1.0,
                 clock: Callable[[], float] = time.monotonic, idle_ends_waits: bool = False,
                 keep_urls: bool = True) -> None:
        self.routes = {normalize(u): r for u, r in (routes or {}).items()}
        self.any_url = any_url
        self.gate_target = max(1, int(gate_target))
        self.quiet = quiet
        self.clock = clock
        self.t0 = clock()
        self._cond = threading.Condition(threading.Lock())
        self.records: list[Record] = []
        self.dropped = 0
        self.in_flight = 0
        self.peak = 0
        self.gate_open = False
        self.gate_opened_at: float | None = None
        self.gate_count: int | None = None  # requests in flight when the gate opened
        self.gate_reason = ""  # "target" | "quiet"
        self._last_arrival: float | None = None
        self.closed = False
        self.keep_urls = keep_urls  # once closed, late requests to its URLs are refused here
        self.unmocked: list[str] = []
        self.late: list[str] = []
        self._threads: dict[int, int] = {}
        self._numbering = threading.Lock()  # alone, never while taking _cond (the recorder)
        # With idle_ends_waits, a wait for a request or a line ends as soon as no thread can
        # make one (grader.sandbox.stuck.idle): the threads held here, and `passive` ones (the grader's
        # own, waiting with a timeout for the program), are the only ones left that could run.
        self.idle_ends_waits = idle_ends_waits
        self.passive: set[int] = set()
        self._looking = False

    # -- lifetime --------------------------------------------------------------------------
    def __enter__(self) -> "MockServer":
        dispatch.install()
        self.t0 = self.clock()
        dispatch.opened(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        dispatch.retired(self, first=not self.closed, keep=self.keep_urls)
        with self._cond:
            self.closed = True
            self._open_gate("closed")

    def now(self) -> float:
        return self.clock() - self.t0

    def owns(self, key: str) -> bool:
        return self.any_url is not None or key in self.routes

    def wake(self) -> None:
        """Something the server's waits may be waiting for happened (a status line printed)."""
        with self._cond:
            self._cond.notify_all()

    def thread_number(self, ident: int) -> int:
        """The number a thread goes by in this run's evidence, its requests' and its printed
        lines' alike (in order of first appearance): a line is then known as the report of the
        thread that made a request (`wording.thread_report`)."""
        with self._numbering:
            return self._threads.setdefault(ident, len(self._threads) + 1)

    def note_unmocked(self, what: str) -> None:
        with self._cond:
            if len(self.unmocked) < 50:
                self.unmocked.append(what)

    # -- the gate --------------------------------------------------------------------------
    def _open_gate(self, reason: str) -> None:  # with self._cond held
        if not self.gate_open:
            self.gate_open = True
            self.gate_opened_at = self.now()
            self.gate_count = self.in_flight
            self.gate_reason = reason
            self._cond.notify_all()

    def _record_arrival(self, request: Any) -> Record:  # with self._cond held
        """Count a request in flight and keep its record: the evidence every verdict reads."""
        timeout = read_timeout(getattr(request, "req_kwargs", {}).get("timeout"))
        ident = threading.get_ident()
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        now = self.now()
        self._last_arrival = now
        thread = self.thread_number(ident)
        record = Record(len(self.records) + self.dropped + 1, str(request.url),
                        str(request.method), thread, now, timeout, self.in_flight, ident=ident,
                        client="urllib" if isinstance(request, UrllibRequest) else "requests",
                        native=threading.get_native_id())
        if len(self.records) < MAX_RECORDS:
            self.records.append(record)
        else:
            self.dropped += 1
        return record

    def _arrive(self, request: Any) -> Record:
        with self._cond:
            record = self._record_arrival(request)
            if self.in_flight >= self.gate_target:
                self._open_gate("target")
            while not self.gate_open:
                assert self._last_arrival is not None  # set by the arrival recorded above
                left = self._last_arrival + self.quiet - self.now()
                # Looked at only once arrivals have paused (IDLE_AFTER): a pool reaches the
                # target at once, and its requests are let go exactly as without the look.
                if left <= 0 or (self.quiet - left >= IDLE_AFTER and self._idle()):
                    self._open_gate("quiet")
                    break
                self._cond.wait(min(left, IDLE_AFTER) if self.idle_ends_waits else left)
            record.released = self.now()
        return record

    def _idle(self) -> bool:  # with self._cond held: released while the threads are read
        """No thread but the ones held here (and passive ones) can run: no new request, and
        no status line, can come until the server lets one go. Never true without
        idle_ends_waits; one thread looks at a time."""
        if not self.idle_ends_waits or self._looking:
            return False
        from grader.sandbox import stuck

        arrivals = len(self.records) + self.dropped
        held = {r.native for r in self.records if r.released is None}
        self._looking = True
        try:
            quiet = stuck.idle_released(self._cond, held | self.passive)
        finally:
            self._looking = False
        return quiet and arrivals == len(self.records) + self.dropped and not self.closed

    def _leave(self, record: Record, outcome: str) -> None:
        with self._cond:
            record.end = self._answered_at(record)
            record.outcome = outcome
            self.in_flight -= 1

    def _answered_at(self, record: Record) -> float:  # with self._cond held
        """When `record`'s answer went out on the server's clock: now, here."""
        return self.now()

    # -- answering -------------------------------------------------------------------------
    def route_for(self, url: str) -> Route:
        route = self.routes.get(normalize(url), self.any_url)
        assert route is not None
        return route

    def _wait_turn(self, record: Record, route: Route) -> None:
        """The time the answer takes once the request is let go (real time here)."""
        time.sleep(route.latency)

    def _hang(self, record: Record, route: Route) -> None:
        """A slow page's answer to a request without a timeout (real time here)."""
        time.sleep(route.hang)

    def handle(self, request: Any) -> Any:
        from requests.exceptions import ConnectionError as RequestsConnectionError
        from requests.exceptions import ReadTimeout

        if self.closed:
            with self._cond:
                if len(self.late) < 50:
                    self.late.append(f"{request.method} {request.url}")
            raise RequestsConnectionError(
                "refused by the grader: this request was made after the check had finished",
                request=request)
        route = self.route_for(str(request.url))
        record = self._arrive(request)
        outcome = "?"
        try:
            self._wait_turn(record, route)
            if route.kind == "connection_error":
                outcome = "ConnectionError"
                raise RequestsConnectionError(
                    f"simulated by the grader: connection to {request.url} refused",
                    request=request)
            if route.kind == "timeout":
                limit = record.timeout
                if isinstance(limit, float) and limit < route.slow:
                    outcome = "ReadTimeout"
                    raise ReadTimeout(
                        f"simulated by the grader: {request.url} did not answer within the "
                        f"read timeout of {limit:g} s", request=request)
                if route.hang:
                    self._hang(record, route)  # stands in for the (much) slower real answer
                outcome = "200"
                return self._answer(request, 200, {})
            headers: dict[str, Any] = {"Location": route.location} if route.kind == "redirect" else {}
            outcome = str(route.status)
            return self._answer(request, route.status, headers)
        finally:
            self._leave(record, outcome)

    @staticmethod
    def _answer(request: Any, code: int, headers: dict[str, str]) -> tuple[int, dict[str, str], str]:
        body = "" if request.method == "HEAD" or code in (204, 304) or 300 <= code < 400 else BODY
        return code, headers, body

    # -- observing -------------------------------------------------------------------------
    def done_with(self, urls: Iterable[str]) -> bool:
        """True when nothing is in flight and each of `urls` has completed at least once."""
        wanted = {normalize(u) for u in urls}
        with self._cond:
            if self.in_flight:
                return False
            finished = {normalize(r.url) for r in self.records if r.end is not None}
        return wanted <= finished

    def snapshot(self) -> dict[str, Any]:
        with self._cond:
            return {
                "requests": [r.as_dict() for r in self.records],
                "dropped": self.dropped,
                "peak": self.peak,
                "in_flight": self.in_flight,
                "gate": {"target": self.gate_target, "opened": self.gate_open and
                         self.gate_reason != "closed", "count": self.gate_count,
                         "at": None if self.gate_opened_at is None else round(self.gate_opened_at, 4),
                         "reason": self.gate_reason},
                "unmocked": list(self.unmocked),
                "late": list(self.late),
            }
