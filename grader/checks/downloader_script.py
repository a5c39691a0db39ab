"""Downloader checks for script-style submissions: top-level code over a hard-coded URL list.

The script runs as `__main__` with every URL mocked (any URL answers 200 after a short delay).
The gate holds requests until two are in flight at once, or 1 s passes without a new arrival
(only a sequential script waits for that), so overlap is judged by counting, not by timing.
"""
from __future__ import annotations

import re
import sys
import threading
import time
from typing import Any

from grader.httpmock import Route, normalize, render_timeline
from grader.probing import ProbeContext, describe, exc_text
from grader.registry import JudgeContext, Verdict, check, failed, passed, probe

QUIET = 1.0
SCRIPT_DEADLINE = 10.0
LINGER = 2.0
ANSWER = Route("status", 200, 0.15)
CODE = re.compile(r"(?<![\w.])200(?![\w.])")


@probe("downloader.script")
def script_probe(ctx: ProbeContext) -> dict[str, Any]:
    import runpy

    from grader import httpmock, netguard

    network_before = len(netguard.ATTEMPTS)
    thread_errors: list[dict[str, Any]] = []
    box: dict[str, Any] = {}
    server = httpmock.MockServer(any_url=ANSWER, gate_target=2, quiet=QUIET)
    before = set(threading.enumerate())
    real_stdout, real_hook, real_argv = sys.stdout, threading.excepthook, sys.argv

    def hook(args: Any) -> None:
        if len(thread_errors) < 20 and args.exc_value is not None:
            thread_errors.append({**describe(args.exc_value, ctx.filename),
                                  "thread": getattr(args.thread, "name", "?")})

    def run() -> None:
        try:
            runpy.run_path(str(ctx.path), run_name="__main__")
        except SystemExit as exc:
            if exc.code not in (None, 0):
                box["error"] = describe(exc, ctx.filename)
        except BaseException as exc:
            box["error"] = describe(exc, ctx.filename)
        box["ended_at"] = server.now()
        box["in_flight"] = server.in_flight

    with server:
        recorder = httpmock.StdoutRecorder(server.now)
        runner = threading.Thread(target=run, name="grader-script", daemon=True)
        sys.stdout, sys.argv = recorder, [str(ctx.path)]
        threading.excepthook = hook
        try:
            runner.start()
            runner.join(SCRIPT_DEADLINE)
            finished = not runner.is_alive()
            if finished:
                deadline = time.monotonic() + LINGER
                while time.monotonic() < deadline:
                    alive = [t for t in threading.enumerate()
                             if t not in before and t is not runner and t.is_alive()]
                    last = server.last_activity()
                    idle = server.in_flight == 0 and (last is None or server.now() - last > 0.3)
                    if not alive or idle:
                        break
                    time.sleep(0.02)
        finally:
            sys.stdout, sys.argv = real_stdout, real_argv
            threading.excepthook = real_hook
        lines = recorder.finish()
        snapshot = server.snapshot()
    return {"finished": finished, "error": box.get("error"), "ended_at": box.get("ended_at"),
            "deadline": SCRIPT_DEADLINE, "server": snapshot, "lines": lines[:2000],
            "thread_errors": thread_errors,
            "network": list(netguard.ATTEMPTS[network_before:network_before + 20])}


def _timeline(obs: dict[str, Any], prints: dict[int, list[float]] | None = None) -> str:
    return render_timeline(obs["server"]["requests"], prints=prints, gate=obs["server"]["gate"],
                           returned_at=obs["ended_at"], returned_label="the script ended")


def _requested(obs: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in obs["server"]["requests"]:
        out.setdefault(r["url"], []).append(r)
    return out


def _lines_for(obs: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Status lines per requested URL: a line names the URL (as written, or as requests sent it,
    with a trailing slash) and says 200. A line is given to the longest URL it contains."""
    urls = list(_requested(obs))
    forms = {u: {u, normalize(u)} for u in urls}
    out: dict[str, list[dict[str, Any]]] = {u: [] for u in urls}
    for line in obs["lines"]:
        text = line["text"]
        best, size = None, 0
        for u in urls:
            for form in forms[u]:
                if form in text and len(form) > size:
                    best, size = u, len(form)
        if best is not None:
            rest = text
            for form in sorted(forms[best], key=len, reverse=True):
                rest = rest.replace(form, " ")
            if CODE.search(rest):
                out[best].append(line)
    return out


@check("downloader.script_runs", probe="downloader.script", style="script")
def script_runs(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    if not obs["finished"]:
        return failed(f"the script did not finish within {obs['deadline']:g} s (an infinite loop, a "
                      "deadlock, or a thread that never ends?)", _timeline(obs))
    if obs["error"]:
        return failed(f"the script raised {exc_text(obs['error'])}", _timeline(obs))
    if obs["thread_errors"]:
        first = obs["thread_errors"][0]
        return failed(f"a thread of the script raised {exc_text(first)} and died (thread "
                      f"{first['thread']!r})", _timeline(obs))
    if obs["network"] and not obs["server"]["requests"]:
        return failed(f"the script reached for the network without `requests` ({obs['network'][0]});"
                      " the attempt was blocked: download with requests.get")
    if not obs["server"]["requests"]:
        return failed("the script ran but made no request with `requests`")
    n = len(_requested(obs))
    return passed(f"the script ran to the end and requested {n} URL(s)")


@check("downloader.script_overlap", probe="downloader.script", style="script")
def script_overlap(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    reqs = obs["server"]["requests"]
    if len(reqs) < 2:
        return failed(f"the script made {len(reqs)} request(s); overlap needs at least two URLs",
                      _timeline(obs))
    seen = obs["server"]["gate"]["count"] or 0
    if seen < 2:
        return failed("only one request was in flight at a time: the downloads ran one after "
                      "another. Start every thread before joining any (or use a "
                      "ThreadPoolExecutor)", _timeline(obs))
    return passed(f"downloads overlapped (up to {obs['server']['peak']} in flight at once)",
                  _timeline(obs))


@check("downloader.script_status_lines", probe="downloader.script", style="script")
def script_status_lines(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    found = _lines_for(obs)
    if not found:
        return failed("the script made no request, so no status line could be checked")
    missing = [u for u, lines in found.items() if not lines]
    if missing:
        printed = "\n".join(f"  {line['text']}" for line in obs["lines"][:20])
        return failed(f"no line shows {missing[0]} with its status code 200 "
                      f"({len(missing)} of {len(found)} URL(s) without a status line): print one "
                      "line per URL with the URL and response.status_code",
                      "your output:\n" + printed)
    prints = {reqs[-1]["id"]: [line["t"] for line in found[u]]
              for u, reqs in _requested(obs).items()}
    return passed(f"one status line for each of the {len(found)} URL(s)", _timeline(obs, prints))
