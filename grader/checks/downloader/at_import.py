"""A contract submission's top level, run when the child imports it, answered by the grader's HTTP.

Students often leave a demo at the end of their module, unguarded (no `if __name__ ==
"__main__":`): `print(download_pages(["https://www.python.org", ...]))`. It runs at import,
before any of the grader's calls, when no server of the grader's is open: its `requests.get`
would go to urllib3, whose name lookup the network guard refuses, and a correct program would
lose `no_network` for its demo ("tried to reach the network without requests": the guard sees
a lookup, not the library that made it).

So the import runs as a program's own URLs do (`script_run`): a `MockServer` answers every URL
200 at once for as long as the import lasts, and the demo runs through. Its requests reach no
socket and are no network attempt; they are kept as the import's evidence and reported with
the contract runs (`import_evidence`), where `no_network` reads them: a download through
`requests` at import is the student's own demo and passes, one through urllib is answered
(as everywhere, so the rest can be judged) and fails, naming urllib. Anything else (http.client,
raw sockets) still meets the guard and fails as before. The server is closed and forgotten
when the import ends (`keep_urls=False`): it owned every URL, and kept as a retired server it
would take the requests the grader's calls make to hosts they were not given, which must be
refused as unmocked. The race probe's instrumented copy of the module runs its top level again,
in the same setting (`races`). The demo's output is never a status line of the grader's calls: their
lines are recorded only while a call runs (`harness.run_against`).
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator

from grader.checks.downloader.mock import MockServer, status
from grader.probes.registry import at_import

MAX_KEPT = 20  # requests of the import reported (the count is of all of them)

_SEEN: dict[str, Any] = {"count": 0, "requests": []}  # what the last import's server saw


@at_import("downloader")
@contextlib.contextmanager
def answered_import(evidence: bool = True) -> Iterator[None]:
    """Every request of the module's top level answered 200 at once, and kept as the import's
    evidence (without `evidence`, a second run of the same top level: the race probe's
    instrumented copy, whose requests are the same and are not reported twice)."""
    server = MockServer(any_url=status(200, 0.0), keep_urls=False)
    try:
        with server:
            yield
    finally:
        if evidence:
            _keep(server)


def _keep(server: MockServer) -> None:
    """The import's evidence: what `server` saw while the module's top level ran."""
    snapshot = server.snapshot()
    requests = snapshot["requests"]
    _SEEN["count"] = len(requests) + snapshot["dropped"]
    _SEEN["requests"] = [{"url": r["url"], "method": r["method"], "client": r["client"]}
                         for r in requests[:MAX_KEPT]]


def import_evidence() -> dict[str, Any]:
    """What the module's top level requested when it was imported: `count` requests, the first
    MAX_KEPT of them as {url, method, client} (client "requests" or "urllib")."""
    return {"count": _SEEN["count"], "requests": [dict(r) for r in _SEEN["requests"]]}
