"""The process-wide dispatcher: one `responses` mock, many servers over time.

One catch-all `responses` callback per HTTP method is installed once and stays installed for the
child's life, so a thread the student leaves running can never fall through to the real network
after a check is over (it gets a ConnectionError instead). Each request goes to the most recent
open server that answers its URL, else to a closed one (which refuses it as late), else it is
blocked and listed as unmocked. urllib's handlers are routed here too (`via_urllib`).
"""
from __future__ import annotations

import re
import threading
from typing import Any, Protocol

from grader.checks.downloader.mock import via_urllib
from grader.checks.downloader.mock.routes import normalize

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


class Server(Protocol):
    """What the dispatcher needs of a server (grader.checks.downloader.mock.server)."""

    def owns(self, key: str) -> bool: ...

    def handle(self, request: Any) -> Any: ...

    def note_unmocked(self, what: str) -> None: ...


_LOCK = threading.RLock()
_MOCK: Any = None
_OPEN: list[Server] = []  # most recent last
_RETIRED: list[Server] = []  # closed servers keep their URLs: late requests are refused
UNMOCKED: list[str] = []  # requests no server answers, for the whole process


def install() -> None:
    """Start the catch-all `responses` mock (idempotent). It stays installed until uninstall()."""
    global _MOCK
    with _LOCK:
        if _MOCK is not None:
            return
        via_urllib.install(owner)
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
        via_urllib.uninstall()
        _OPEN.clear()
        _RETIRED.clear()
        UNMOCKED.clear()


def opened(server: Server) -> None:
    """`server` answers its URLs from now on, before the servers opened earlier."""
    with _LOCK:
        _OPEN.append(server)


def retired(server: Server, first: bool) -> None:
    """`server` closed: it keeps its URLs (late requests are refused, not sent), among the last 20."""
    with _LOCK:
        if server in _OPEN:
            _OPEN.remove(server)
        if first:
            _RETIRED.append(server)
            del _RETIRED[:-20]


def owner(url: str) -> Server | None:
    """The server that answers `url`: the most recent open one, else a closed one."""
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
    server = owner(url)
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
