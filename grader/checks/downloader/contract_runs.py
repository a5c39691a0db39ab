"""The two runs of a contract submission's `download_pages(urls, max_workers, timeout)` in the
child; what they show is read by `reading` and judged by `returned`, `requests_made` and
`printing`.

Every request goes to the grader's gated server (`mock.server`); no verdict uses a wall-clock
duration. Two runs serve all the checks:

* the *gated run* (`downloader.gated`): 7 URLs (200, 301 -> 200, 404, ConnectionError, a
  response slower than the timeout, 500, 503) with max_workers=3. The gate holds requests until
  3 are in flight (a pool of 3 gets there at once; only a submission with less overlap waits for
  the 1 s "no new arrival" window). Each answer goes out its route's latency after the gate let
  the request go, on the server's clock, which skips the time in which no thread but those the
  server holds could act (`mock.warped`): a correct pool is answered without real waiting, and
  a program that sleeps, polls or waits with a timeout is answered in real time as before.
  Judged: errors_to_none, each_once, overlap, max_workers, prints_status, timeout,
  waits_for_all, no_network.
* the *order run* (`downloader.order`): 5 URLs that all answer (200, 301 -> 200, 404, 500, 503),
  max_workers=8, against `mock.SequencedServer`: once all 5 are in flight, the grader
  answers them one at a time, the first URL last, and after each answer waits (up to 2 s) for
  its status line. Judged: statuses (kept apart from the errors so a submission that crashes
  on a ConnectionError still shows its status codes) and completion_order, by causality: a
  line printed only after a later answer went out was not printed as its request completed
  (no response takes real time, and a loaded machine only makes the grader wait longer).
"""
from __future__ import annotations

import random
import threading
import time
from typing import Any

from grader.checks import observations as shapes
from grader.checks.downloader.at_import import import_evidence
from grader.checks.downloader.harness import idle, run_against
from grader.checks.downloader.mock import MockServer, Route, SequencedServer, WarpedServer, \
    connection_error, normalize, redirect, slow_response, status
from grader.probes.probing import OPAQUE, ProbeContext, describe, plain
from grader.probes.registry import planner, probe

QUIET = 1.0  # the gate opens when no new request arrived for this long (only buggy code waits)
CALL_DEADLINE = 12.0  # download_pages must return within this (else: "did not return")
LINGER = 2.0  # how long threads left running after the return may finish their requests
SETTLE = 2.0  # order run: how long the grader waits for a status line after each answer
PATIENCE = 2  # answers left without a line before it stops waiting (the verdict is made)
LAST_LINES = 0.2  # s the threads a call left running get to print, once every URL is done

D = "https://dl.test/"
GATED_URLS = [D + "ok", D + "moved", D + "missing", D + "refused", D + "slow", D + "broken",
              D + "busy"]
GATED_ROUTES: dict[str, Route] = {
    D + "ok": status(200, 0.12),
    D + "moved": redirect(D + "landing", 0.10),
    D + "landing": status(200, 0.03),
    D + "missing": status(404, 0.14),
    D + "refused": connection_error(0.16),
    D + "slow": slow_response(0.18, slow=30.0, hang=1.0),
    D + "broken": status(500, 0.13),
    D + "busy": status(503, 0.15),
}
GATED_WORKERS, GATED_TIMEOUT = 3, 2.0

O = "https://order.test/"
ORDER_URLS = [O + "alpha", O + "bravo", O + "charlie", O + "delta", O + "echo"]
ORDER_ROUTES: dict[str, Route] = {  # answered one at a time: latencies play no part
    O + "alpha": status(200, 0.0),  # the first URL finishes last
    O + "bravo": redirect(O + "final", 0.0),
    O + "final": status(200, 0.0),
    O + "charlie": status(404, 0.0),
    O + "delta": status(500, 0.0),
    O + "echo": status(503, 0.0),
}
ORDER_LAST = O + "alpha"
ORDER_WORKERS, ORDER_TIMEOUT = 8, 5.0
ORDER_EXPECTED = {O + "alpha": 200, O + "bravo": 200, O + "charlie": 404, O + "delta": 500,
                  O + "echo": 503}


def encode_result(value: Any) -> dict[str, Any]:
    """The returned value as data, read without calling any method the student could override."""
    if not isinstance(value, dict):
        return {"type": type(value).__name__}
    for _ in range(20):  # threads still writing to it (an early return) can make reading fail
        try:
            items = list(dict.items(value))
            break
        except RuntimeError:
            time.sleep(0.001)
        except TypeError:
            return {"type": type(value).__name__}
    else:
        return {"type": "dict", "unreadable": True}
    entries = [[k if type(k) is str else {OPAQUE: type(k).__name__}, plain(v)]
               for k, v in items[:500]]
    return {"type": "dict", "entries": entries, "size": len(items)}


def run_download(ctx: ProbeContext, urls: list[str], routes: dict[str, Route], max_workers: int,
                 timeout: float, last: str | None = None) -> dict[str, Any]:
    """Call download_pages against the grader's server and record everything it did, in time.

    With `last`, the server answers one request at a time (that URL after all others) and
    waits for each status line; without, each route answers after its own latency."""
    fn = ctx.entry("download")
    box: dict[str, Any] = {}
    server = _server(urls, routes, max_workers, last)

    def call() -> None:
        try:
            value = fn(list(urls), max_workers=max_workers, timeout=timeout)
            box["returned_at"] = server.now()
            box["in_flight"] = server.in_flight
            box["result"] = encode_result(value)
        except BaseException as exc:  # SystemExit too: the verdict is the grader's
            box["returned_at"] = server.now()
            box["in_flight"] = server.in_flight
            box["error"] = describe(exc, ctx.filename)
        box["done_at_return"] = server.done_with(routes)

    def settled(left_running: list[threading.Thread]) -> bool:
        """Threads left running may still be downloading: they are waited for (bounded) until
        none is left or every URL is done, so what they do is recorded, not lost."""
        if not left_running:
            return True
        if server.done_with(routes):
            if box.get("in_flight", 0) > 0 or not box.get("done_at_return", True):
                _last_lines(left_running, server)  # returned early: their last status lines
            return True
        return False

    run = run_against(ctx, server, call, name="grader-call", daemon=True, wait=CALL_DEADLINE,
                      finished=lambda caller: not caller.is_alive(), linger=LINGER,
                      settled=settled,
                      aliases={r.location: u for u, r in routes.items() if r.location})
    return {
        **scenario(urls, routes, max_workers, timeout),
        "call": {"finished": run.finished, "started_at": round(run.started, 4),
                 "returned_at": round(box["returned_at"], 4) if "returned_at" in box else None,
                 "in_flight_at_return": box.get("in_flight"), "error": box.get("error"),
                 "result": box.get("result"), "deadline": CALL_DEADLINE},
        "server": run.server,
        "lines": run.lines,
        "thread_errors": run.thread_errors,
        "network": run.network,
        "at_import": import_evidence(),
    }


def _last_lines(left_running: list[threading.Thread], server: MockServer) -> None:
    """Give the threads a call left running LAST_LINES s to print their last status lines, and
    no longer than they can: every download is done, so once they have ended, or every thread
    waits untimed on what only the server's own (passive) threads could release (`idle`), no
    line can come any more."""
    deadline = time.monotonic() + LAST_LINES
    while time.monotonic() < deadline:
        if not any(t.is_alive() for t in left_running) or idle(server):
            return
        time.sleep(0.01)


def _server(urls: list[str], routes: dict[str, Route], max_workers: int,
            last: str | None) -> MockServer:
    """The gated server (each route answers after its latency, on a clock that skips the time
    in which only an answer could come next: `mock.warped`), or with `last` the sequenced one."""
    target = min(len(urls), max_workers)
    if last is None:
        return WarpedServer(routes, gate_target=target, quiet=QUIET)
    known = {normalize(u): r for u, r in routes.items()}
    return SequencedServer(lambda url: known.get(url, status(404, 0.0)),
                           lambda url: 1.0 if url == normalize(last) else 0.0,
                           first_target=target, quiet=QUIET, settle=SETTLE, patience=PATIENCE,
                           only=known, idle_ends_waits=True)


def scenario(urls: list[str], routes: dict[str, Route], max_workers: int, timeout: float
             ) -> dict[str, Any]:
    """The run's scenario as the observation reports it; the grader's plan holds the same, and
    the grader checks the two are equal before a judge reads them (grader.probes.registry)."""
    return {"urls": list(urls), "max_workers": max_workers, "timeout": timeout,
            "routes": {u: {"kind": r.kind, "status": r.status, "location": r.location,
                           "answer": r.describe()} for u, r in routes.items()}}


@probe("downloader.gated", data=shapes.Download)
def gated_probe(ctx: ProbeContext) -> dict[str, Any]:
    return run_download(ctx, GATED_URLS, GATED_ROUTES, GATED_WORKERS, GATED_TIMEOUT)


@planner("downloader.gated")
def gated_plan(rng: random.Random, params: dict[str, Any]) -> dict[str, Any]:
    return {"echo": scenario(GATED_URLS, GATED_ROUTES, GATED_WORKERS, GATED_TIMEOUT)}


@probe("downloader.order", data=shapes.Download)
def order_probe(ctx: ProbeContext) -> dict[str, Any]:
    return run_download(ctx, ORDER_URLS, ORDER_ROUTES, ORDER_WORKERS, ORDER_TIMEOUT, ORDER_LAST)


@planner("downloader.order")
def order_plan(rng: random.Random, params: dict[str, Any]) -> dict[str, Any]:
    return {"echo": scenario(ORDER_URLS, ORDER_ROUTES, ORDER_WORKERS, ORDER_TIMEOUT)}
