"""The process-wide dispatcher: one catch-all route for every request, many servers over time.

`requests`' HTTPAdapter.send is replaced once (`transport`) and stays replaced for the child's
life, so a thread the student leaves running can never fall through to the real network after a
check is over (it gets a ConnectionError instead). Each request goes to the most recent open
server that answers its URL, else to a closed one (which refuses it as late), else it is blocked
and listed as unmocked. urllib's handlers are routed here too (`via_urllib`).
"""
from __future__ import annotations

import threading
from typing import Any, Protocol

from grader.checks.downloader.mock import transport, via_urllib
from grader.checks.downloader.mock.routes import normalize

# The methods answered (those `responses` routed when it stood here); another one is refused.
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


class Server(Protocol):
    """What the dispatcher needs of a server (grader.checks.downloader.mock.server)."""

    def owns(self, key: str) -> bool: ...

    def handle(self, request: Any) -> Any: ...

    def note_unmocked(self, what: str) -> None: ...


_LOCK = threading.RLock()
_INSTALLED = False
_OPEN: list[Server] = []  # most recent last
_RETIRED: list[Server] = []  # closed servers keep their URLs: late requests are refused
UNMOCKED: list[str] = []  # requests no server answers, for the whole process


def install() -> None:
    """Route every request to the servers (idempotent). It stays so until uninstall()."""
    global _INSTALLED
    with _LOCK:
        if _INSTALLED:
            return
        via_urllib.install(owner)
        transport.install(_dispatch)
        _INSTALLED = True


def uninstall() -> None:
    """Stop routing (for tests in the grader's own process; the child never uninstalls)."""
    global _INSTALLED
    with _LOCK:
        transport.uninstall()
        via_urllib.uninstall()
        _INSTALLED = False
        _OPEN.clear()
        _RETIRED.clear()
        UNMOCKED.clear()


def opened(server: Server) -> None:
    """`server` answers its URLs from now on, before the servers opened earlier."""
    with _LOCK:
        _OPEN.append(server)


def retired(server: Server, first: bool, keep: bool = True) -> None:
    """`server` closed: it keeps its URLs (late requests are refused, not sent), among the last
    20; without `keep` it answers nothing any more (a server of every URL, which kept would
    take the requests no later server answers for its own late ones)."""
    with _LOCK:
        if server in _OPEN:
            _OPEN.remove(server)
        if first and keep:
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
    from requests.exceptions import ConnectionError as RequestsConnectionError

    url = str(request.url)
    if request.method not in METHODS:
        raise RequestsConnectionError(f"refused by the grader: {request.method} is not a "
                                      "method its server answers", request=request)
    server = owner(url)
    if server is not None:
        return server.handle(request)
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
