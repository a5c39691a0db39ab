"""Downloader checks for contract-style submissions (`download_pages(urls, max_workers, timeout)`).

Every request goes to `grader.httpmock`'s gated server; no verdict uses a wall-clock duration.
Two runs serve all the checks:

* the *gated run* (`downloader.gated`): 7 URLs (200, 301 -> 200, 404, ConnectionError, a
  response slower than the timeout, 500, 503) with max_workers=3. The gate holds requests until
  3 are in flight (a pool of 3 gets there at once; only a submission with less overlap waits for
  the 1 s "no new arrival" window). Judged: errors_to_none, each_once, overlap, max_workers,
  prints_status, timeout, waits_for_all, no_network.
* the *order run* (`downloader.order`): 5 URLs that all answer (200, 301 -> 200, 404, 500, 503),
  max_workers=8, against `httpmock.SequencedServer`: once all 5 are in flight, the grader
  answers them one at a time, the first URL last, and after each answer waits (up to 2 s) for
  its status line. Judged: statuses (kept apart from the errors so a submission that crashes
  on a ConnectionError still shows its status codes) and completion_order, by causality: a
  line printed only after a later answer went out was not printed as its request completed
  (no response takes real time, and a loaded machine only makes the grader wait longer).
"""
from __future__ import annotations

import inspect
import random
import threading
import time
from typing import Any

from grader.httpmock import Route, connection_error, normalize, redirect, render_timeline, \
    slow_response, status
from grader.checks import downloader_lines as wording
from grader.probing import OPAQUE, ProbeContext, describe, exc_text, plain
from grader.checks import observations as shapes
from grader.registry import JudgeContext, Verdict, check, failed, passed, planner, probe

QUIET = 1.0  # the gate opens when no new request arrived for this long (only buggy code waits)
CALL_DEADLINE = 12.0  # download_pages must return within this (else: "did not return")
LINGER = 2.0  # how long threads left running after the return may finish their requests
SETTLE = 2.0  # order run: how long the grader waits for a status line after each answer
PATIENCE = 2  # answers left without a line before it stops waiting (the verdict is made)

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


# ============================================================================================
# Probes (run in the sandboxed child)
# ============================================================================================

def _bind(fn: Any, *args: Any, **kwargs: Any) -> str | None:
    try:
        inspect.signature(fn).bind(*args, **kwargs)
    except TypeError as exc:
        return str(exc)
    except ValueError:
        return None
    return None


@probe("downloader.api", data=shapes.Problems)
def api_probe(ctx: ProbeContext) -> dict[str, Any]:
    name = ctx.entry_points.get("download", "download")
    if not ctx.has("download"):
        return {"problems": [f"no function {name}(urls, max_workers=8, timeout=10.0) is defined "
                             f"in {ctx.filename}"]}
    fn = ctx.entry("download")
    problems: list[str] = []
    if inspect.isclass(fn) or not callable(fn):
        problems.append(f"{name} is a {type(fn).__name__}, not a function")
    elif inspect.iscoroutinefunction(fn):
        problems.append(f"{name} is an `async def` function; write a regular `def` that uses threads")
    elif (why := _bind(fn, ["https://x.test/"], max_workers=2, timeout=1.0)) is not None:
        problems.append(f"{name}(urls, max_workers=2, timeout=1.0) cannot be called: {why}")
    return {"problems": problems}


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


def _student_threads(before: set[threading.Thread], *exclude: threading.Thread) -> list[threading.Thread]:
    return [t for t in threading.enumerate()
            if t not in before and t not in exclude and t.is_alive()]


def run_download(ctx: ProbeContext, urls: list[str], routes: dict[str, Route], max_workers: int,
                 timeout: float, last: str | None = None) -> dict[str, Any]:
    """Call download_pages against the grader's server and record everything it did, in time.

    With `last`, the server answers one request at a time (that URL after all others) and
    waits for each status line; without, each route answers after its own latency."""
    from grader import httpmock, netguard

    fn = ctx.entry("download")
    network_before = len(netguard.ATTEMPTS)
    thread_errors: list[dict[str, Any]] = []
    box: dict[str, Any] = {}
    target = min(len(urls), max_workers)
    server: httpmock.MockServer
    if last is None:
        server = httpmock.MockServer(routes, gate_target=target, quiet=QUIET, idle_ends_waits=True)
    else:
        known = {normalize(u): r for u, r in routes.items()}
        server = httpmock.SequencedServer(
            lambda url: known.get(url, status(404, 0.0)),
            lambda url: 1.0 if url == normalize(last) else 0.0,
            first_target=target, quiet=QUIET, settle=SETTLE, patience=PATIENCE, only=known,
            idle_ends_waits=True)
    before = set(threading.enumerate())
    real_hook = threading.excepthook
    server.passive.add(threading.get_native_id())  # this thread only waits for the call to end

    def hook(args: Any) -> None:
        if len(thread_errors) < 20 and args.exc_value is not None:
            thread_errors.append({**describe(args.exc_value, ctx.filename),
                                  "thread": getattr(args.thread, "name", "?")})

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

    with server:
        recorder = httpmock.StdoutRecorder(server.now)
        if isinstance(server, httpmock.SequencedServer):
            server.reported = wording.reaction_test(
                server, recorder, {r.location: u for u, r in routes.items() if r.location})
        caller = threading.Thread(target=call, name="grader-call", daemon=True)
        threading.excepthook = hook
        try:
            with httpmock.capturing(recorder):
                started = server.now()
                caller.start()
                caller.join(CALL_DEADLINE)
                finished = not caller.is_alive()
                if finished:
                    # Threads left running may still be downloading: let them finish (bounded)
                    # before the server closes, so what they do is recorded, not lost.
                    early = box.get("in_flight", 0) > 0 or not box.get("done_at_return", True)
                    deadline = time.monotonic() + LINGER
                    while time.monotonic() < deadline:
                        if not _student_threads(before, caller):
                            break
                        if server.done_with(routes):
                            if early:
                                time.sleep(0.2)  # their last status lines
                            break
                        time.sleep(0.02)
        finally:
            threading.excepthook = real_hook
        lines = recorder.finish()
        snapshot = server.snapshot()
    return {
        **scenario(urls, routes, max_workers, timeout),
        "call": {"finished": finished, "started_at": round(started, 4),
                 "returned_at": round(box["returned_at"], 4) if "returned_at" in box else None,
                 "in_flight_at_return": box.get("in_flight"), "error": box.get("error"),
                 "result": box.get("result"), "deadline": CALL_DEADLINE},
        "server": snapshot,
        "lines": lines[:2000],
        "thread_errors": thread_errors,
        "network": list(netguard.ATTEMPTS[network_before:network_before + 20]),
    }


def scenario(urls: list[str], routes: dict[str, Route], max_workers: int, timeout: float
             ) -> dict[str, Any]:
    """The run's scenario as the observation reports it; the grader's plan holds the same, and
    the grader checks the two are equal before a judge reads them (grader.registry)."""
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


# ============================================================================================
# Reading observations (grader process)
# ============================================================================================



def result_map(obs: dict[str, Any]) -> dict[str, Any] | None:
    result = obs["call"].get("result")
    if not result or result.get("type") != "dict" or "entries" not in result:
        return None
    out: dict[str, Any] = {}
    for key, value in result["entries"]:
        if isinstance(key, str):
            out[key] = value
    return out


def lookup(result: dict[str, Any], url: str) -> tuple[bool, Any]:
    if url in result:
        return True, result[url]
    for key, value in result.items():
        if normalize(key) == normalize(url):
            return True, value
    return False, None


def show(value: Any) -> str:
    if isinstance(value, dict) and OPAQUE in value:
        return f"a {value[OPAQUE]} object"
    return repr(value)


def aliases(obs: dict[str, Any]) -> dict[str, list[str]]:
    """Each input URL and the URLs that stand for it in lines and requests (redirect targets)."""
    out = {}
    for url in obs["urls"]:
        names = [url]
        route = obs["routes"].get(url)
        if route and route["location"]:
            names.append(route["location"])
        out[url] = names
    return out


def chains(obs: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The server's requests grouped by the input URL they belong to."""
    owner = {normalize(a): url for url, names in aliases(obs).items() for a in names}
    out: dict[str, list[dict[str, Any]]] = {url: [] for url in obs["urls"]}
    for r in obs["server"]["requests"]:
        url = owner.get(normalize(r["url"]))
        if url is not None:
            out[url].append(r)
    return out


def final_outcome(requests: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The request whose answer the student got last for one URL (after redirects)."""
    ended = [r for r in requests if r["end"] is not None]
    return max(ended, key=lambda r: (r["end"], r["id"])) if ended else None


def answer_times(obs: dict[str, Any]) -> dict[str, float]:
    """When the grader let each URL's final answer go (after its redirects)."""
    out = {}
    for url, reqs in chains(obs).items():
        last = final_outcome(reqs)
        if last is not None and last["released"] is not None:
            out[url] = last["released"]
    return out


def line_names(obs: dict[str, Any]) -> dict[str, list[str]]:
    """For each input URL, the ways a line may name it (its redirect target's names included)."""
    every = wording.names([a for names in aliases(obs).values() for a in names])
    return {url: [part for a in names for part in every[a]] for url, names in aliases(obs).items()}


def status_lines(obs: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """For each input URL, the printed lines that report its outcome (a code or a failure)."""
    return wording.status_lines(obs["lines"], line_names(obs))


def line_matches(line: dict[str, Any], outcome: str) -> bool:
    return wording.reports_outcome(line["rest"], outcome)


def expected_line(outcome: str) -> str:
    return wording.describe_accepted(outcome)


def timeline(obs: dict[str, Any], show_prints: bool = True) -> str:
    prints: dict[int, list[float]] = {}
    if show_prints:
        found = status_lines(obs)
        for url, reqs in chains(obs).items():
            last = final_outcome(reqs)
            if last is not None and found[url]:
                prints[last["id"]] = [line["t"] for line in found[url]]
    call = obs["call"]
    end = None if call["finished"] else call["started_at"] + call["deadline"]
    return render_timeline(obs["server"]["requests"], prints=prints,
                           returned_at=call["returned_at"], gate=obs["server"]["gate"], end=end,
                           returned_label="download_pages returned")


def call_problem(obs: dict[str, Any], name: str = "download_pages") -> Verdict | None:
    """A failed verdict when the call did not return a dict, else None."""
    call = obs["call"]
    if not call["finished"]:
        return failed(f"{name} did not return within {call['deadline']:g} s (a deadlock, a thread "
                      "that never finishes, or a join on the wrong thread?)", timeline(obs))
    if call["error"]:
        return failed(f"{name} raised {exc_text(call['error'])}", timeline(obs))
    if result_map(obs) is None:
        kind = (call["result"] or {}).get("type", "?")
        return failed(f"{name} returned a {kind}, expected a dict {{url: status_code or None}}")
    return None


def short_exc(info: dict[str, Any]) -> str:
    return info["type"] + (f" (at {info['where']})" if info.get("where") else "")


def call_signature(obs: dict[str, Any]) -> str:
    return (f"download_pages({len(obs['urls'])} URLs, max_workers={obs['max_workers']}, "
            f"timeout={obs['timeout']:g})")


def no_request_message(obs: dict[str, Any]) -> str:
    """Why a check about requests cannot pass: none was made (and what happened instead)."""
    call = obs["call"]
    why = ""
    if call["finished"] and call["error"]:
        why = f"; {call_signature(obs)} raised {exc_text(call['error'])}"
    elif not call["finished"]:
        why = f"; {call_signature(obs)} did not return within {call['deadline']:g} s"
    return f"no request reached the grader's server (download each URL with requests.get){why}"


def network_attempts(obs: dict[str, Any], ctx: JudgeContext) -> list[str]:
    """Connections refused during the probe: the child's network guard's (on the envelope) and
    those the probe itself recorded."""
    seen: list[str] = []
    for what in list(ctx.network) + list(obs.get("network", [])):
        if what not in seen:
            seen.append(what)
    return seen


# ============================================================================================
# Judges (grader process)
# ============================================================================================

@check("downloader.api", probe="downloader.api")
def api(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    if obs["problems"]:
        return failed("; ".join(obs["problems"]))
    return passed("download_pages(urls, max_workers=..., timeout=...) can be called")


@check("downloader.statuses", probe="downloader.order")
def statuses(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    if (problem := call_problem(obs)) is not None:
        if obs["call"]["error"]:
            return failed(problem.message + " although every URL answered (200, 301 -> 200, 404, "
                          "500, 503); HTTP error codes are not exceptions: record them (do not "
                          "call raise_for_status())", problem.details)
        return problem
    result = result_map(obs) or {}
    rows, wrong = [], []
    for url, want in ORDER_EXPECTED.items():
        present, got = lookup(result, url)
        answer = obs["routes"][url]["answer"]
        ok = present and type(got) is int and got == want
        rows.append(f"  {url:<28} server: {answer:<36} expected {want}, got "
                    f"{show(got) if present else 'no entry'}")
        if not ok:
            wrong.append((url, want, present, got))
    if not wrong:
        return passed("200, 301 -> 200, 404, 500 and 503 are recorded with their status codes")
    url, want, present, got = wrong[0]
    if not result:
        message = ("download_pages returned an empty dict: store each status where the function "
                   "can return it (the value a Thread's target returns is thrown away)")
    elif not present:
        message = f"the result has no entry for {url} (expected {want})"
    else:
        message = f"{url} answers {want}: expected {want} in the result, got {show(got)}"
        if got is None and want >= 400:
            message += (" (a 4xx/5xx status is a normal answer, not an exception: do not call "
                        "raise_for_status())")
    if len(wrong) > 1:
        message += f"; {len(wrong) - 1} more URL(s) wrong"
    return failed(message, f"{call_signature(obs)} returned:\n" + "\n".join(rows))


@check("downloader.errors_to_none", probe="downloader.gated")
def errors_to_none(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    crashed = [short_exc(e) + f" in thread {e['thread']!r}" for e in obs["thread_errors"]]
    thread_note = ("; uncaught in a worker thread (which then died): " + ", ".join(crashed[:3])
                   if crashed else "")
    raising = {url: last["outcome"] for url, reqs in chains(obs).items()
               if (last := final_outcome(reqs)) is not None and not last["outcome"].isdigit()}
    call = obs["call"]
    if call["finished"] and call["error"]:
        return failed(f"download_pages raised {exc_text(call['error'])}: one failing URL must not "
                      "crash the run; catch requests.RequestException around each request and "
                      "record None" + thread_note, timeline(obs))
    if (problem := call_problem(obs)) is not None:
        return failed(problem.message + thread_note, problem.details)
    result = result_map(obs) or {}
    problems, rows = [], []
    if not result:
        problems.append("download_pages returned an empty dict: store each result (None for a "
                        "request that raised) where the function can return it")
    for url in obs["urls"]:
        present, got = lookup(result, url)
        if url in raising:
            rows.append(f"  {url:<26} raised {raising[url]:<16} expected None, got "
                        f"{show(got) if present else 'no entry'}")
            if not present:
                problems.append(f"the result has no entry for {url}, whose request raised "
                                f"{raising[url]} (expected None)")
            elif got is not None:
                problems.append(f"{url}'s request raised {raising[url]}: expected None in the "
                                f"result, got {show(got)}")
        elif not present:
            rows.append(f"  {url:<26} {'':<23} no entry in the result")
            problems.append(f"the result has no entry for {url}: a failing URL must not lose the "
                            "other results")
    if obs["routes"][D + "refused"] and D + "refused" not in raising and not problems:
        problems.append(f"{D}refused was never requested")
    if crashed and not problems:
        problems.append("exceptions escaped worker threads")
    if problems:
        message = problems[0] + (f" ({len(problems) - 1} more problem(s))" if len(problems) > 1
                                 else "") + thread_note
        return failed(message, "\n".join(rows) + "\n" + timeline(obs))
    names = ", ".join(sorted(set(raising.values())))
    return passed(f"requests that raised ({names}) map to None and the other results are kept")


@check("downloader.each_once", probe="downloader.gated")
def each_once(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    call = obs["call"]
    if not obs["server"]["requests"]:
        return failed(no_request_message(obs))
    crashed = bool(call["error"]) or not call["finished"]
    problems = []
    for url, reqs in chains(obs).items():
        route = obs["routes"][url]
        own = [r for r in reqs if normalize(r["url"]) == normalize(url)]
        if not own and not crashed:
            problems.append(f"{url} was never requested")
        elif len(own) > 1:
            how = ", ".join(r["method"] for r in own)
            problems.append(f"{url} was requested {len(own)} times ({how}); once is enough")
        if route["location"]:
            hops = [r for r in reqs if normalize(r["url"]) == normalize(route["location"])]
            if len(hops) > len(own):
                problems.append(f"{route['location']} (where {url} redirects) was requested "
                                f"{len(hops)} times for {len(own)} redirect(s)")
    counts = {url: len([r for r in reqs if normalize(r["url"]) == normalize(url)])
              for url, reqs in chains(obs).items()}
    never = [u for u, n in counts.items() if n == 0]
    many = [u for u, n in counts.items() if n > 1]
    if never and many and not crashed:
        return failed(f"{many[0]} was requested {counts[many[0]]} times while {len(never)} other "
                      "URL(s) were never requested: does each thread get its own URL? (a "
                      "`lambda: fetch(url)` made in a loop sees the loop variable's last value; "
                      "pass it with args=(url,) or submit(fetch, url))",
                      "\n".join(problems) + "\n" + timeline(obs, False))
    if problems:
        extra = f" ({len(problems) - 1} more)" if len(problems) > 1 else ""
        return failed(problems[0] + extra, "\n".join(problems) + "\n" + timeline(obs, False))
    return passed("every URL was requested exactly once (redirects followed once)")


@check("downloader.overlap", probe="downloader.gated")
def overlap(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    gate, n, w = obs["server"]["gate"], len(obs["urls"]), obs["max_workers"]
    target = gate["target"]
    seen = gate["count"] or 0
    if not obs["server"]["requests"]:
        return failed("no request reached the grader's server (use requests.get for each URL)")
    detail = timeline(obs, False)
    if seen < 2:
        return failed(f"only one request was in flight at a time: the downloads ran one after "
                      f"another (expected {target} at once for {call_signature(obs)}); start all "
                      "the threads (or submit all the tasks) before waiting for any of them",
                      detail, seen=seen, expected=target)
    if seen != target:
        return failed(f"at most {seen} requests were in flight at once, expected {target} "
                      f"(= min({n} URLs, max_workers={w})): use max_workers worker threads",
                      detail, seen=seen, expected=target)
    return passed(f"{seen} requests were in flight at once (= min({n} URLs, max_workers={w}))",
                  detail)


@check("downloader.max_workers", probe="downloader.gated")
def max_workers(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    peak, w = obs["server"]["peak"], obs["max_workers"]
    if peak > w:
        return failed(f"up to {peak} requests were in flight at once, but max_workers={w}: never "
                      "run more than max_workers downloads at the same time (a pool of "
                      "max_workers threads, or one semaphore shared by all threads)",
                      timeline(obs, False), peak=peak)
    return passed(f"never more than max_workers={w} requests in flight (peak {peak})")


@check("downloader.prints_status", probe="downloader.gated")
def prints_status(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    found = status_lines(obs)
    problems, rows = [], []
    for url, reqs in chains(obs).items():
        last = final_outcome(reqs)
        lines = found[url]
        want = expected_line(last["outcome"]) if last else "(never requested)"
        got = " | ".join(repr(line["text"]) for line in lines) or "no line"
        rows.append(f"  {url:<26} expected: the URL and {want}; printed: {got}")
        if last is None:
            problems.append(f"{url} was never requested, so no line could report it")
        elif not lines:
            problems.append(f"no line reports {url} (expected a line with its URL, or a part "
                            f"of it no other URL shares, and {want})")
        elif len(lines) > 1:
            problems.append(f"{len(lines)} lines report {url}; print exactly one per URL")
        elif not line_matches(lines[0], last["outcome"]):
            problems.append(f"the line for {url} is {lines[0]['text']!r}, expected it to contain "
                            f"{want}")
    if problems:
        extra = f" ({len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        printed = [line["text"] for line in obs["lines"]][:20]
        details = "\n".join(rows) + "\nyour output:\n" + "\n".join(f"  {t}" for t in printed)
        return failed(problems[0] + extra, details)
    return passed("one line per URL with its status code, or a failure mark for a request that raised")


@check("downloader.completion_order", probe="downloader.order")
def completion_order(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    call = obs["call"]
    if not call["finished"]:
        return call_problem(obs) or failed("download_pages did not return")
    done = answer_times(obs)
    found = status_lines(obs)
    printed = {url: lines[0]["t"] for url, lines in found.items() if lines}
    if not printed:
        return failed("no line naming one of the URLs with its status was printed, so the order "
                      "of the lines cannot be checked (print `<url> <status_code>`)",
                      timeline(obs))
    returned = call["returned_at"]
    late_return = [u for u, t in printed.items() if returned is not None and t > returned]
    if late_return:
        return failed(f"the line for {late_return[0]} was printed after download_pages had "
                      "returned: print each line while the downloads run, and return after all "
                      "of them", timeline(obs))
    # A line is late when another URL's answer went out after its own and before the line.
    answers = sorted(done.items(), key=lambda item: item[1])
    late: list[tuple[str, float, str]] = []
    for url, t in sorted(printed.items(), key=lambda item: item[1]):
        mine = done.get(url)
        if mine is None:
            continue
        overtaken = [w for w, when in answers if w != url and mine < when < t]
        if overtaken:
            late.append((url, t, overtaken[0]))
    if late:
        url, _, other = late[0]
        sequence = {url: (last["answered"] or 0) for url, reqs in chains(obs).items()
                    if (last := final_outcome(reqs)) is not None}
        order = [u.rsplit("/", 1)[-1] for u in sorted(done, key=lambda u: sequence.get(u, 0))]
        lines = [u.rsplit("/", 1)[-1] for u, _ in sorted(printed.items(), key=lambda i: i[1])]
        return failed(
            f"{url} had its answer before {other}, but its line was printed only after "
            f"{other} had its answer too ({len(late)} line(s) late): print each line as soon "
            "as its request completes (completion order, e.g. with as_completed or from the "
            "worker), not in input order or at the end",
            f"the grader answered one request at a time, waiting each time for its line "
            f"(up to {SETTLE:g} s)\n"
            f"requests completed in the order: {', '.join(order)}\n"
            f"your lines came in the order:    {', '.join(lines)}\n" + timeline(obs))
    return passed("each line was printed as its request completed (completion order)",
                  timeline(obs))


@check("downloader.timeout", probe="downloader.gated")
def timeout(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    given = obs["timeout"]
    reqs = [r for r in obs["server"]["requests"] if normalize(r["url"]).startswith(normalize(D))]
    if not reqs:
        return failed(no_request_message(obs))
    missing = [r for r in reqs if r["timeout"] is None]
    if missing:
        return failed(f"requests.get was called without timeout= (e.g. for {missing[0]['url']}): "
                      f"pass the timeout download_pages was given (here {given:g}) to every "
                      "request, so a server that never answers cannot hang the program",
                      timeline(obs, False))
    wrong = [r for r in reqs if r["timeout"] != given]
    if wrong:
        return failed(f"the request for {wrong[0]['url']} got timeout={wrong[0]['timeout']}, but "
                      f"download_pages was called with timeout={given:g}: pass it on unchanged")
    slow = D + "slow"
    call = obs["call"]
    if not call["finished"] or call["error"]:
        what = "did not return" if not call["finished"] else f"raised {exc_text(call['error'])}"
        return failed(f"timeout= was passed, but download_pages {what}, so the slow URL's result "
                      f"(expected None after its Timeout) could not be checked", timeline(obs))
    result = result_map(obs)
    if result is None:
        return failed("download_pages did not return a dict")
    present, got = lookup(result, slow)
    if not present or got is not None:
        return failed(f"{slow} answers slower than timeout={given:g} and raised ReadTimeout: "
                      f"expected None in the result, got {show(got) if present else 'no entry'}",
                      timeline(obs))
    return passed(f"timeout={given:g} reaches requests, and the slower response becomes None")


@check("downloader.waits_for_all", probe="downloader.gated")
def waits_for_all(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    call = obs["call"]
    if not call["finished"]:
        return call_problem(obs) or failed("download_pages did not return")
    returned = call["returned_at"]
    in_flight = call["in_flight_at_return"] or 0
    after = [r for r in obs["server"]["requests"] if r["start"] > returned]
    if in_flight or after:
        parts = []
        if in_flight:
            parts.append(f"{in_flight} request(s) were still in flight")
        if after:
            parts.append(f"{len(after)} more started afterwards")
        return failed(f"download_pages returned while downloads were still running: "
                      f"{' and '.join(parts)}; wait for every download (join the threads, or leave "
                      "the `with ThreadPoolExecutor(...)` block) before returning",
                      timeline(obs), in_flight=in_flight, started_after=len(after))
    return passed("download_pages returned after every download had finished")


@check("downloader.no_network", probe="downloader.gated")
def no_network(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    attempts = network_attempts(obs, ctx)
    unmocked = obs["server"]["unmocked"]
    if not obs["server"]["requests"] and not attempts and not unmocked:
        return failed(no_request_message(obs))
    if unmocked:
        return failed(f"your code requested a URL it was not given ({unmocked[0]}); during "
                      "grading only the given URLs answer, and the request was blocked",
                      "\n".join(unmocked[:10]))
    if attempts:
        return failed(f"your code tried to reach the network without `requests` ({attempts[0]}); "
                      "the attempt was blocked before it left the machine. Download with "
                      "requests.get (http.client, httpx and raw sockets are not graded)",
                      "\n".join(attempts[:10]))
    other = [r for r in obs["server"]["requests"] if r.get("client", "requests") != "requests"]
    if other:
        return failed(f"your code downloads with urllib, not requests (e.g. {other[0]['url']}): the "
                      "grader answered it so that the other checks could judge it, but the "
                      "assignment asks for requests.get")
    return passed("no attempt to reach a host other than the given URLs")
