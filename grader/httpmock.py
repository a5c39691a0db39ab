"""A gated, in-process HTTP server for grading downloaders, built on `responses`.

Student code runs `requests` against it inside the sandboxed child. Nothing here leaves the
process: one `responses` mock with a catch-all callback per HTTP method is installed once and
stays installed for the child's life, so a thread the student leaves running can never fall
through to the real network after a check is over (it gets a ConnectionError instead).
urllib's http and https handlers are routed to the same servers (`UrllibRequest`): a program
that downloads with urllib is answered and recorded as such, so the checks judge what it does
and the no-network checks name urllib; any URL no server answers still meets the network guard.

A `MockServer` answers the URLs of one scenario and records, for every request, when it
arrived, when the grader's *gate* let it go, when it completed and how. The gate is what makes
the verdicts independent of how busy the machine is: it holds every arriving request until
`gate_target` requests are in flight at once (or `quiet` seconds pass without a new arrival),
then opens for good. A sequential solution can never have two requests in flight; a pool of
`w` workers shows exactly `min(n, w)`, however slowly the machine runs.

The module also holds the grader-side helpers that need no `requests`: `StdoutRecorder` (the
timestamped stdout of the student's threads) and `render_timeline` (the ASCII Gantt chart of
the requests shown in the feedback).
"""
from __future__ import annotations

import contextlib
import io
import math
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# Every page's body, whatever its status: it must not read as a status line (a program that
# prints the body instead of the status code must not pass for printing the code), so it holds
# no number, no URL and no failure word, and it is shorter than 100 characters, so that its
# length (`len(r.text)`) is no status code either.
BODY = "<html><body><p>A page served by the grader.</p></body></html>\n"
MAX_RECORDS = 2000  # requests kept per server (a runaway loop must not exhaust memory)
IDLE_AFTER = 0.25  # s without a new arrival before the gate asks whether one can still come


# --------------------------------------------------------------------------------------------
# What a URL answers
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Route:
    """The answer of one mocked URL, `latency` seconds after the gate lets the request go.

    kind: "status" (answer `status`), "redirect" (answer `status` with a Location header to
    `location`), "connection_error" (raise requests' ConnectionError) or "timeout" (a response
    that would take `slow` seconds: a request whose read timeout is shorter raises ReadTimeout;
    one without a timeout waits `hang` seconds, standing in for the slow answer, and gets 200).
    """

    kind: str = "status"
    status: int = 200
    latency: float = 0.1
    location: str | None = None
    slow: float = 30.0
    hang: float = 1.0

    def describe(self) -> str:
        if self.kind == "redirect":
            return f"{self.status} -> {self.location}"
        if self.kind == "connection_error":
            return "raises ConnectionError"
        if self.kind == "timeout":
            return f"answers after {self.slow:g} s (a Timeout for any shorter timeout)"
        return str(self.status)


def status(code: int, latency: float) -> Route:
    return Route("status", code, latency)


def redirect(location: str, latency: float, code: int = 301) -> Route:
    return Route("redirect", code, latency, location=location)


def connection_error(latency: float) -> Route:
    return Route("connection_error", 0, latency)


def slow_response(latency: float, slow: float = 30.0, hang: float = 1.0) -> Route:
    return Route("timeout", 200, latency, slow=slow, hang=hang)


def normalize(url: str) -> str:
    """The form URLs are compared in: without fragment and trailing slash."""
    return url.split("#", 1)[0].rstrip("/")


def read_timeout(value: Any) -> float | None | str:
    """The read timeout requests was given: a number, None, or "?" when it cannot be read."""
    if value is None:
        return None
    if isinstance(value, tuple) and len(value) == 2:
        value = value[1]
        if value is None:
            return None
    elif hasattr(value, "read_timeout"):  # a urllib3 Timeout object
        value = getattr(value, "read_timeout", None)
        if value is None or not isinstance(value, (int, float)):
            return None if value is None else "?"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "?"
    return float(value)


# --------------------------------------------------------------------------------------------
# One request as the server saw it
# --------------------------------------------------------------------------------------------

@dataclass
class Record:
    id: int
    url: str
    method: str
    thread: int
    start: float  # seconds since the server opened
    timeout: float | None | str
    in_flight: int  # requests in flight right after this one arrived
    released: float | None = None  # when the gate let it go
    ident: int = 0  # threading.get_ident() of the thread that made it
    phase: int | None = None  # SequencedServer: the round of answers it belongs to
    answered: int | None = None  # SequencedServer: 1 for the first answer it let go, 2, ...
    end: float | None = None
    outcome: str = ""  # "200", "301", "ConnectionError", "ReadTimeout", ...
    client: str = "requests"  # or "urllib" (answered too, so the rest can be judged)
    native: int = 0  # the thread's native id (grader.stuck reads its state), never reported

    def as_dict(self) -> dict[str, Any]:
        r = lambda t: None if t is None else round(t, 4)  # noqa: E731
        return {"id": self.id, "url": self.url, "method": self.method, "thread": self.thread,
                "start": r(self.start), "released": r(self.released), "end": r(self.end),
                "outcome": self.outcome, "timeout": self.timeout, "in_flight": self.in_flight,
                "phase": self.phase, "answered": self.answered, "client": self.client}


# --------------------------------------------------------------------------------------------
# The process-wide dispatcher: one responses mock, many servers over time
# --------------------------------------------------------------------------------------------

_LOCK = threading.RLock()
_MOCK: Any = None
_OPEN: list["MockServer"] = []  # most recent last
_RETIRED: list["MockServer"] = []  # closed servers keep their URLs: late requests are refused
UNMOCKED: list[str] = []  # requests no server answers, for the whole process


def install() -> None:
    """Start the catch-all `responses` mock (idempotent). It stays installed until uninstall()."""
    global _MOCK
    with _LOCK:
        if _MOCK is not None:
            return
        _install_urllib()
        import responses

        mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        everything = re.compile(r".*", re.DOTALL)
        # One route per method and nothing else: responses' registry pops a route when two
        # match, so all routing happens in _dispatch.
        for method in METHODS:
            mock.add_callback(method, everything, callback=_dispatch)
        mock.start()
        _MOCK = mock


def uninstall() -> None:
    """Remove the mock (for tests in the grader's own process; the child never uninstalls)."""
    global _MOCK
    with _LOCK:
        if _MOCK is not None:
            _MOCK.stop(allow_assert=False)
            _MOCK.reset()
            _MOCK = None
        _uninstall_urllib()
        _OPEN.clear()
        _RETIRED.clear()
        UNMOCKED.clear()


def _owner(url: str) -> "MockServer | None":
    key = normalize(url)
    with _LOCK:
        for server in reversed(_OPEN):
            if server.owns(key):
                return server
        for server in reversed(_RETIRED):
            if server.owns(key):
                return server
    return None


def _dispatch(request: Any) -> Any:
    url = str(request.url)
    server = _owner(url)
    if server is not None:
        return server.handle(request)
    from requests.exceptions import ConnectionError as RequestsConnectionError

    with _LOCK:
        what = f"{request.method} {url}"
        if len(UNMOCKED) < 100:
            UNMOCKED.append(what)
        if _OPEN:
            _OPEN[-1].note_unmocked(what)
    # A fresh exception per call: one shared object would carry tracebacks across threads.
    raise RequestsConnectionError(
        f"blocked by the grader: {url} is not one of the URLs being graded "
        "(no request leaves the machine during grading)", request=request)


# --------------------------------------------------------------------------------------------
# urllib: answered by the same servers, recorded as such
# --------------------------------------------------------------------------------------------

class UrllibRequest:
    """What a server reads of a request made with urllib (`MockServer.handle`). Such a request
    is answered like one made with requests, so that a program downloading with urllib is
    judged on what it does, and recorded with `client="urllib"`: the no-network checks name it,
    for the exercise asks for requests. A URL no server answers goes on to urllib's own
    handler, where the network guard blocks it."""

    def __init__(self, url: str, method: str, timeout: Any) -> None:
        import socket

        self.url, self.method = url, method
        default = timeout is getattr(socket, "_GLOBAL_DEFAULT_TIMEOUT", None)
        self.req_kwargs = {"timeout": None if default else timeout}


_URLLIB_OPENERS: dict[Any, Callable[..., Any]] = {}  # handler class -> its own open method


def _urllib_open(original: Callable[..., Any]) -> Callable[..., Any]:
    def open_(handler: Any, req: Any) -> Any:
        url = req.full_url
        server = _owner(url)
        if server is None:
            return original(handler, req)
        return _urllib_answer(server, UrllibRequest(url, req.get_method(), req.timeout))
    return open_


def _urllib_answer(server: "MockServer", request: UrllibRequest) -> Any:
    import email.message
    import http.client
    import socket
    import urllib.error
    import urllib.response

    from requests.exceptions import ConnectionError as RequestsConnectionError
    from requests.exceptions import ReadTimeout

    try:
        code, headers, body = server.handle(request)
    except ReadTimeout:
        raise socket.timeout("The read operation timed out") from None
    except RequestsConnectionError as exc:
        raise urllib.error.URLError(ConnectionRefusedError(str(exc))) from None
    message = email.message.Message()
    message["Content-Type"] = "text/html; charset=utf-8"
    for name, value in headers.items():
        message[name] = value
    answer = urllib.response.addinfourl(io.BytesIO(body.encode()), message, request.url, code)
    answer.msg = answer.reason = http.client.responses.get(code, "")  # type: ignore[attr-defined]
    return answer


def _install_urllib() -> None:  # with _LOCK held
    import urllib.request

    for cls, name in ((urllib.request.HTTPHandler, "http_open"),
                      (getattr(urllib.request, "HTTPSHandler", None), "https_open")):
        if cls is not None and cls not in _URLLIB_OPENERS:
            _URLLIB_OPENERS[cls] = getattr(cls, name)
            setattr(cls, name, _urllib_open(_URLLIB_OPENERS[cls]))


def _uninstall_urllib() -> None:  # with _LOCK held
    import urllib.request

    for cls, original in _URLLIB_OPENERS.items():
        setattr(cls, "https_open" if cls is getattr(urllib.request, "HTTPSHandler", None)
                else "http_open", original)
    _URLLIB_OPENERS.clear()


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------

class MockServer:
    """Answers `routes` (or every URL with `any_url`), holding requests at a gate.

    Use as a context manager; on exit it stops answering (late requests are refused and listed
    in `late`). Wait for the student's threads *before* leaving the block.
    """

    def __init__(self, routes: dict[str, Route] | None = None, *, any_url: Route | None = None,
                 gate_target: int = 1, quiet: float = 1.0,
                 clock: Callable[[], float] = time.monotonic, idle_ends_waits: bool = False) -> None:
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
        self.unmocked: list[str] = []
        self.late: list[str] = []
        self._threads: dict[int, int] = {}
        # With idle_ends_waits, a wait for a request or a line ends as soon as no thread can
        # make one (grader.stuck.idle): the threads held here, and `passive` ones (the grader's
        # own, waiting with a timeout for the program), are the only ones left that could run.
        self.idle_ends_waits = idle_ends_waits
        self.passive: set[int] = set()
        self._looking = False

    # -- lifetime --------------------------------------------------------------------------
    def __enter__(self) -> "MockServer":
        install()
        self.t0 = self.clock()
        with _LOCK:
            _OPEN.append(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        with _LOCK:
            if self in _OPEN:
                _OPEN.remove(self)
            if not self.closed:
                _RETIRED.append(self)
                del _RETIRED[:-20]
        with self._cond:
            self.closed = True
            self._open_gate("closed")

    def now(self) -> float:
        return self.clock() - self.t0

    def owns(self, key: str) -> bool:
        return self.any_url is not None or key in self.routes

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
        thread = self._threads.setdefault(ident, len(self._threads) + 1)
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
                self._cond.wait(min(left, 0.05) if self.idle_ends_waits else left)
            record.released = self.now()
        return record

    def _idle(self) -> bool:  # with self._cond held: released while the threads are read
        """No thread but the ones held here (and passive ones) can run: no new request, and
        no status line, can come until the server lets one go. Never true without
        idle_ends_waits; one thread looks at a time."""
        if not self.idle_ends_waits or self._looking:
            return False
        from grader import stuck

        arrivals = len(self.records) + self.dropped
        held = {r.native for r in self.records if r.released is None}
        self._looking = True
        self._cond.release()
        try:
            quiet = stuck.idle(held | self.passive)
        finally:
            self._cond.acquire()
            self._looking = False
        return quiet and arrivals == len(self.records) + self.dropped and not self.closed

    def _leave(self, record: Record, outcome: str) -> None:
        with self._cond:
            record.end = self.now()
            record.outcome = outcome
            self.in_flight -= 1

    # -- answering -------------------------------------------------------------------------
    def route_for(self, url: str) -> Route:
        route = self.routes.get(normalize(url), self.any_url)
        assert route is not None
        return route

    def _wait_turn(self, record: Record, route: Route) -> None:
        """The time the answer takes once the request is let go (real time here)."""
        time.sleep(route.latency)

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
                    time.sleep(route.hang)  # stands in for the (much) slower real answer
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

    def last_activity(self) -> float | None:
        with self._cond:
            times = [t for r in self.records for t in (r.start, r.end) if t is not None]
        return max(times) if times else None

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


# --------------------------------------------------------------------------------------------
# Answers one at a time, in the grader's order (virtual time)
# --------------------------------------------------------------------------------------------

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
        self._answers = 0
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
                if len(self.held) < target and left > 0 and not self._idle():
                    self._cond.wait(min(left, 0.05))
                    continue
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
                    if self.unanswered >= self.patience:
                        continue
                    deadline = self.clock() + self.settle
                    while not self.closed and not self._reacted(record):
                        left = deadline - self.clock()
                        if left <= 0 or (self._idle() and not self._reacted(record)):
                            self.unanswered += 1
                            break
                        self._cond.wait(min(left, 0.01))
                target, quiet = max(2, count), self.short_quiet * 3

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


# --------------------------------------------------------------------------------------------
# The student's stdout, timestamped
# --------------------------------------------------------------------------------------------

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
    """

    MAX_LINES = 5000
    MAX_CHARS = 500

    def __init__(self, clock: Callable[[], float]) -> None:
        super().__init__()
        self._clock = clock
        self._lock = threading.Lock()
        self._partial: dict[tuple[int, str], tuple[float, str]] = {}
        self._threads: dict[int, int] = {}
        self.lines: list[dict[str, Any]] = []
        self.dropped = 0
        self.stderr = _StreamView(self, "stderr")

    def thread_number(self, ident: int) -> int:
        """The number lines of thread `ident` carry (1 for the first thread that printed)."""
        with self._lock:
            return self._threads.setdefault(ident, len(self._threads) + 1)

    def _emit(self, t: float, text: str, ident: int, stream: str) -> None:
        if len(self.lines) >= self.MAX_LINES:
            self.dropped += 1
            return
        thread = self._threads.setdefault(ident, len(self._threads) + 1)
        self.lines.append({"t": round(t, 4), "text": text[: self.MAX_CHARS], "thread": thread,
                           "stream": stream})

    def write(self, text: Any, stream: str = "stdout") -> int:  # type: ignore[override]
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        now = self._clock()
        ident = threading.get_ident()
        with self._lock:
            start, pending = self._partial.pop((ident, stream), (now, ""))
            pending += text
            while "\n" in pending:
                line, pending = pending.split("\n", 1)
                self._emit(start, line, ident, stream)
                start = now
            if pending:
                self._partial[(ident, stream)] = (start, pending[-10 * self.MAX_CHARS:])
        return len(text)

    def flush(self) -> None:
        pass

    def count(self) -> int:
        """Complete lines so far (a cheap way to notice new output)."""
        with self._lock:
            return len(self.lines)

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


# --------------------------------------------------------------------------------------------
# The timeline
# --------------------------------------------------------------------------------------------

_STEPS = (0.005, 0.01, 0.02, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)


def _column_width(span: float, width: int) -> float:
    for step in _STEPS:
        if span / step <= width:
            return step
    return math.ceil(span / width)


def in_flight_steps(requests: list[dict[str, Any]], until: float) -> list[tuple[float, int]]:
    """(time, in-flight count from then on) for every change."""
    events: list[tuple[float, int]] = []
    for r in requests:
        events.append((r["start"], 1))
        events.append((r["end"] if r["end"] is not None else until, -1))
    events.sort(key=lambda e: (e[0], e[1]))  # a request ending at t leaves before one arriving
    steps, count = [], 0
    for t, delta in events:
        count += delta
        steps.append((t, count))
    return steps


def render_timeline(requests: list[dict[str, Any]], *, prints: dict[int, list[float]] | None = None,
                    returned_at: float | None = None, gate: dict[str, Any] | None = None,
                    end: float | None = None, returned_label: str = "the call returned",
                    held_label: str = "held: the grader answers once enough requests have started",
                    width: int = 60, label_width: int = 34, max_rows: int = 30) -> str:
    """An ASCII Gantt chart: one row per request (in order of arrival), time left to right.

    `prints` maps a request id to the times the student's status line(s) for it were printed;
    `gate` is a server snapshot's gate record; `returned_at` marks when the student's code ended.
    """
    if not requests:
        return "timeline: no request reached the grader's server"
    prints = prints or {}
    times = [t for r in requests for t in (r["start"], r["released"], r["end"]) if t is not None]
    times += [t for ts in prints.values() for t in ts]
    if returned_at is not None:
        times.append(returned_at)
    last = max(times + ([end] if end is not None else []))
    step = _column_width(max(last, 1e-3), width)
    cols = int(last / step) + 2

    def col(t: float) -> int:
        return max(0, min(int(t / step), cols - 1))

    shown = requests[:max_rows]
    held = any(r["released"] is not None and col(r["released"]) > col(r["start"]) for r in shown)
    raised = any(r["end"] is not None and r["outcome"] and not r["outcome"].isdigit() for r in shown)
    gate_shown = bool(gate and gate.get("opened") and gate.get("at") is not None)
    unit = f"{step * 1000:g} ms" if step < 1 else f"{step:g} s"
    symbols = [s for s, used in (("= request in progress", True),
                                 (f". {held_label}", held),
                                 ("x request raised", raised),
                                 ("* your status line printed", bool(prints)),
                                 ("G the grader started answering", gate_shown),
                                 (f"R {returned_label}", returned_at is not None)) if used]
    out = [f"timeline of the requests (1 column = {unit}): " + ", ".join(symbols)]
    axis = [" "] * cols
    for c in range(0, cols, 10):
        text = f"{c * step:g}s"
        if c + len(text) <= cols:
            axis[c:c + len(text)] = list(text)
    out.append(" " * (label_width + 8) + "".join(axis).rstrip())
    for r in shown:
        row = [" "] * cols
        stop = r["end"] if r["end"] is not None else last
        released = r["released"] if r["released"] is not None else stop
        for c in range(col(r["start"]), col(released) + 1):
            row[c] = "."
        for c in range(col(released), col(stop) + 1):
            row[c] = "="
        if r["end"] is not None and r["outcome"] and not r["outcome"].isdigit():
            row[col(r["end"])] = "x"
        for t in prints.get(r["id"], []):
            row[col(t)] = "*"
        label = r["url"] if len(r["url"]) <= label_width else r["url"][: label_width - 3] + "..."
        outcome = r["outcome"] or ("still in flight" if r["end"] is None else "")
        out.append(f"  {r['method']:<4} {label:<{label_width}}  {''.join(row)}  {outcome}")
    if len(requests) > max_rows:
        out.append(f"  ... and {len(requests) - max_rows} more requests")
    counts = [0] * cols
    steps = in_flight_steps(requests, last)
    for c in range(cols):
        lo, hi = c * step, (c + 1) * step
        level = current = 0
        for t, count in steps:
            if t < lo:
                current = count  # the level the column starts with
            elif t < hi:
                level = max(level, count)  # and every level reached inside it
        counts[c] = max(level, current)
    digits = "".join(str(n) if n < 10 else "+" for n in counts)
    out.append(f"  {'in flight':<{label_width + 5}}  {digits}")
    for letter, at, name in (("G", gate["at"] if gate_shown and gate else None, "answering"),
                             ("R", returned_at, "end")):
        if at is not None:
            marks = [" "] * cols
            marks[col(at)] = letter
            out.append(f"  {name:<{label_width + 5}}  {''.join(marks).rstrip()}")
    if gate_shown and gate:
        if gate.get("reason") == "quiet":
            out.append(f"  the grader held the requests until 1 s passed without a new one: "
                       f"only {gate.get('count')} had started by then (it waits for "
                       f"{gate.get('target')})")
        else:
            out.append(f"  the grader started answering as soon as {gate.get('count')} requests "
                       "were in flight at once")
    return "\n".join(out)
