"""Downloader checks for every submission run as a program (top-level code, a main() called
from the `__main__` guard, threads started in functions) over its own list of URLs.

The program runs as `__main__` against `httpmock.SequencedServer`, which answers every URL and
decides itself when each response arrives (no real time passes for a response). The
program's own URLs (string literals in the file and URLs in its companion files, such as a
`urls.txt`) get seeded roles, in two runs:

* the *main run* (`downloader.script`), where no request raises: with two URLs or more one
  answers 404, with three or more one is slow (answered after all the others); the rest 200.
  Every check but the error handling is judged here, so a script that does not catch
  exceptions is still judged on its concurrency and its status lines;
* the *failing run* (`downloader.script_failing`): with two URLs or more one fails to connect,
  with three or more one answers slower than any timeout (a ReadTimeout if the program passes
  `timeout=`, otherwise a 200 answered last). Judged: script_errors.

How the verdicts are reached:
* overlap: the requests in flight together when the grader starts answering (it waits until
  as many as the program has URLs have started, or 1 s passes without a new one);
* completion order, causally: requests in flight together are answered one at a time, the
  latest to arrive first (so the first one started, which a program printing in start,
  submission or join order prints first, is answered last; a slow page after all others),
  and the grader waits for each status line before the next answer.
  A line that appears only after a later answer was printed late (in join order, after
  polling, at the end). The grader waits 2 s for each line, ample for a loaded machine
  (a program that printed none after two answers is not waited for any more).
* a sequential pass followed by a threaded one is judged on its threaded part: rounds with a
  single request in flight are answered at once and left out of the order check;
* per task, not per request: a thread that goes on with another request of the same site
  before printing (http then https, a retry) or after a redirect carries one task, whose
  lines are on time when printed before another task's answer that came after its last one
  (the server takes its next request as its reaction and answers it next).
* which line names which URL: see downloader_lines (a bare code counts when the program
  fetches a single URL; URLs of one site are named together).
* the script's end is its interpreter's exit (`interpreter_exit`): after the main module, the
  executors it left open are shut down and its non-daemon threads joined, as CPython does;
  what daemon threads still had in flight or printed later is lost (script_waits).
"""
from __future__ import annotations

import ast
import random
import re
import threading
import time
from pathlib import Path
from typing import Any

from grader.checks import downloader_lines as wording
from grader.httpmock import Route, connection_error, normalize, render_timeline, slow_response, \
    status
from grader.probing import ProbeContext, describe, exc_text
from grader.checks import observations as shapes
from grader.registry import JudgeContext, Verdict, check, failed, passed, probe

SCRIPT_DEADLINE = 30.0  # under the task's 40 s per check; only a hung script comes near it
LINGER = 3.0
FIRST_QUIET = 1.0  # how long the grader waits for more requests to start before answering
SETTLE = 2.0  # how long it waits for a status line after an answer (only late printers wait)
PATIENCE = 2  # answers left without a status line before the grader stops waiting
URL = re.compile(r"https?://[^\s'\"<>`]+", re.IGNORECASE)
INJECTED = {"ConnectionError", "ReadTimeout"}  # the failures the grader simulates
MAX_COMPANION_CHARS = 200_000


# ============================================================================================
# The program's URLs and what each one answers
# ============================================================================================

def own_urls(source: str, folder: Path, main: Path) -> list[str]:
    """The URLs a script downloads, as far as can be read without running it: http(s) string
    literals in its source and URLs in the non-Python files next to it."""
    found: list[str] = []
    try:
        tree = ast.parse(source)
    except SyntaxError:
        tree = None
    if tree is not None:
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found += URL.findall(node.value)
    try:
        files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix != ".py" and p != main)
    except OSError:
        files = []
    for path in files[:20]:
        try:
            found += URL.findall(path.read_text(encoding="utf-8", errors="replace")[:MAX_COMPANION_CHARS])
        except OSError:
            continue
    cleaned = [normalize(u.rstrip(".,;:)]}")) for u in found]
    return sorted(set(u for u in cleaned if "{" not in u))[:200]


OTHER_CLIENTS = re.compile(r"\b(urlopen|urlretrieve|urllib3|httpx|aiohttp|http\.client|"
                           r"HTTPS?Connection|create_connection|pycurl)\b")


def other_clients(source: str) -> list[dict[str, Any]]:
    """Calls in the program that reach for the network without requests (urllib's urlopen,
    http.client, httpx, raw sockets), with their lines: what a blocked attempt is blamed on.
    Read from the source, for the wording only: the verdict rests on the attempt itself."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found: list[dict[str, Any]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            called = ast.unparse(node.func)
            if OTHER_CLIENTS.search(called):
                found.append({"call": called[:80], "line": node.lineno})
    return sorted(found, key=lambda f: f["line"])[:5]


def blocked_message(obs: dict[str, Any], filename: str) -> str:
    """What reached for the network without requests: the program's own call where it can be
    read, and the attempt the grader blocked."""
    clients = obs.get("clients") or []
    if clients:
        where = f"{clients[0]['call']}() ({filename} line {clients[0]['line']})"
        return (f"the program downloads with {where}, not requests; the grader blocked the "
                f"attempt ({obs['network'][0]}): download with requests.get")
    return (f"the program reached for the network without `requests` ({obs['network'][0]}); "
            "the attempt was blocked: download with requests.get")


def urllib_message(obs: dict[str, Any], filename: str) -> str | None:
    """A program that downloaded with urllib: the grader answered it (so the rest is judged),
    and this names the call to replace."""
    used = [r for r in _requests(obs) if r.get("client", "requests") != "requests"]
    if not used:
        return None
    calls = [c for c in obs.get("clients") or [] if "url" in c["call"].lower()]
    where = (f"{calls[0]['call']}() ({filename} line {calls[0]['line']})" if calls
             else "urllib")
    return (f"the program downloads with {where}, not requests ({len(used)} request(s), e.g. "
            f"{used[0]['url']}): the grader answered them so that the rest could be judged, but "
            "the exercise asks for requests.get")


SLOW = Route("status", 200, 0.0, slow=60.0)  # main run: a slow page, answered after the others


def plan_routes(urls: list[str], seed: int, failing: bool) -> dict[str, Route]:
    """Seeded roles for the program's own URLs (see the module's docstring)."""
    order = list(urls)
    random.Random(seed).shuffle(order)
    routes = {u: status(200, 0.0) for u in order}
    if len(order) >= 2:
        routes[order[0]] = connection_error(0.0) if failing else status(404, 0.0)
    if len(order) >= 3:
        routes[order[1]] = slow_response(0.0, slow=60.0, hang=0.0) if failing else SLOW
    return routes


def rank_of(routes: dict[str, Route]) -> Any:
    """Answers go out latest arrival first; a slow route after everything else."""
    def rank(url: str) -> float:
        route = routes.get(url)
        return 1.0 if route is not None and route.slow == SLOW.slow else 0.0
    return rank


# ============================================================================================
# Probe (runs in the sandboxed child)
# ============================================================================================

@probe("downloader.script", data=shapes.Script)
def script_probe(ctx: ProbeContext) -> dict[str, Any]:
    return run_script(ctx, failing=False)


@probe("downloader.script_failing", data=shapes.Script)
def script_failing_probe(ctx: ProbeContext) -> dict[str, Any]:
    return run_script(ctx, failing=True)


def run_script(ctx: ProbeContext, failing: bool) -> dict[str, Any]:
    """Run the script as __main__ against the grader's server; record requests and lines."""
    import runpy
    import sys

    from grader import httpmock, netguard

    urls = own_urls(ctx.source, ctx.path.parent, ctx.path)
    routes = plan_routes(urls, ctx.seed, failing)
    network_before = len(netguard.ATTEMPTS)
    thread_errors: list[dict[str, Any]] = []
    box: dict[str, Any] = {}
    server = httpmock.SequencedServer(lambda url: routes.get(url, status(200, 0.0)),
                                      rank_of(routes), first_target=max(2, len(urls)),
                                      quiet=FIRST_QUIET, settle=SETTLE,
                                      patience=0 if failing else PATIENCE, idle_ends_waits=True)
    server.passive.add(threading.get_native_id())  # this thread only waits for the program
    before = set(threading.enumerate())
    real_hook, real_argv = threading.excepthook, sys.argv

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
        box["main_ended_at"] = server.now()
        box["never_end"] = interpreter_exit(before, server, box["started"] + SCRIPT_DEADLINE)
        box["ended_at"] = server.now()
        box["in_flight"] = server.in_flight

    with server:
        recorder = httpmock.StdoutRecorder(server.now)
        server.reported = wording.reaction_test(server, recorder)
        # Not a daemon: the script's threads inherit daemon=False from it, as from a real main thread.
        runner = threading.Thread(target=run, name="grader-script", daemon=False)
        sys.argv = [str(ctx.path)]
        threading.excepthook = hook
        try:
            with httpmock.capturing(recorder):
                box["started"] = time.monotonic()
                runner.start()
                runner.join(SCRIPT_DEADLINE + 1.0)
                finished = "main_ended_at" in box
                if finished:
                    deadline = time.monotonic() + LINGER
                    while time.monotonic() < deadline:
                        alive = [t for t in threading.enumerate()
                                 if t not in before and t is not runner and t.is_alive()
                                 and not t.name.startswith("grader-")]
                        if not alive and not server.held:
                            break
                        time.sleep(0.02)
        finally:
            sys.argv = real_argv
            threading.excepthook = real_hook
        lines = recorder.finish()
        snapshot = server.snapshot()
    return {"finished": finished, "error": box.get("error"), "ended_at": box.get("ended_at"),
            "main_ended_at": box.get("main_ended_at"), "never_end": box.get("never_end") or [],
            "in_flight_at_end": box.get("in_flight"), "deadline": SCRIPT_DEADLINE,
            "own_urls": urls, "routes": {u: r.describe() for u, r in routes.items()},
            "server": snapshot, "lines": lines[:2000], "thread_errors": thread_errors,
            "network": list(netguard.ATTEMPTS[network_before:network_before + 20]),
            "clients": other_clients(ctx.source)}


def interpreter_exit(before: set[threading.Thread], server: Any, deadline: float) -> list[str]:
    """What CPython does once the main module has ended, before it kills the daemon threads
    (`threading._shutdown`): executors the script left open are shut down without waiting (their
    queued work still runs, as concurrent.futures' exit hook lets it), then every non-daemon
    thread the script started is joined. Returns the non-daemon threads that never end: still
    running at `deadline`, or blocked with nothing left to wake them (every thread the script
    started waits without a timeout, and no request is in flight, for EXIT_QUIET seconds)."""
    _shut_down_executors(before)
    me = threading.current_thread()
    quiet_since: float | None = None
    while True:
        started = [t for t in threading.enumerate() if t not in before and t is not me
                   and not t.name.startswith("grader-") and t.is_alive()]
        waited = [t for t in started if not t.daemon]
        if not waited:
            return []
        now = time.monotonic()
        if now >= deadline:
            return [t.name for t in waited]
        if server.in_flight == 0 and all(_waits_forever(t) for t in started):
            quiet_since = now if quiet_since is None else quiet_since
            if now - quiet_since >= EXIT_QUIET:
                return [t.name for t in waited]
        else:
            quiet_since = None
        time.sleep(0.02)


EXIT_QUIET = 0.5


def _shut_down_executors(before: set[threading.Thread]) -> None:
    """`shutdown(wait=False)` for each ThreadPoolExecutor whose workers the script started."""
    from concurrent.futures import thread as pool_threads

    for worker in list(getattr(pool_threads, "_threads_queues", {}).keys()):
        if worker in before:
            continue
        try:
            executor = worker._args[0]()  # type: ignore[attr-defined]  # the worker's weakref
            if executor is not None:
                executor.shutdown(wait=False)
        except Exception:  # a layout this CPython does not have: its workers are waited for
            continue


def _waits_forever(thread: threading.Thread) -> bool:
    """The thread waits in a Condition (a queue's get, an Event, a semaphore, a join) with no
    timeout: only another thread can wake it."""
    import sys

    frame = sys._current_frames().get(thread.ident or -1)
    if frame is None:
        return False
    code = frame.f_code
    if code is threading.Condition.wait.__code__:
        return frame.f_locals.get("timeout") is None
    if code.co_name == "_wait_for_tstate_lock" or code is threading.Thread.join.__code__:
        return frame.f_locals.get("timeout") in (None, -1)
    return False


# ============================================================================================
# Reading observations (grader process)
# ============================================================================================

def _requests(obs: dict[str, Any]) -> list[dict[str, Any]]:
    return obs["server"]["requests"]


def _by_url(obs: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in _requests(obs):
        out.setdefault(normalize(r["url"]), []).append(r)
    return out


def _outcomes(obs: dict[str, Any]) -> dict[str, str]:
    """What each requested URL answered (its last request's outcome)."""
    return {url: reqs[-1]["outcome"] for url, reqs in _by_url(obs).items() if reqs[-1]["outcome"]}


def _found(obs: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """For each requested URL, the status lines of its site (see downloader_lines)."""
    parts, site_of = wording.site_names(_by_url(obs))
    found = wording.status_lines(obs["lines"], parts)
    return {url: found[site_of[url]] for url in _by_url(obs)}


def _tasks(obs: dict[str, Any], found: dict[str, list[dict[str, Any]]]) -> list[list[dict[str, Any]]]:
    """The requests grouped by task, in order of arrival: a thread's request and the ones that
    carry it on before any status line of its site was printed (after a redirect, a retry,
    https after http: `downloader_lines.same_task`). A thread that printed and then fetched
    the same site again started a new task."""
    tasks: list[list[dict[str, Any]]] = []
    current: dict[int, list[dict[str, Any]]] = {}  # a thread's open task
    for r in sorted(_requests(obs), key=lambda r: r["id"]):
        open_ = current.get(r["thread"])
        last = open_[-1] if open_ else None
        if last is not None and (last["outcome"][:1] == "3"
                                 or wording.site(last["url"]) == wording.site(r["url"])):
            since = last["released"] if last["released"] is not None else last["start"]
            if not any(since <= line["t"] <= r["start"] for line in found.get(normalize(last["url"]), [])):
                open_.append(r)  # type: ignore[union-attr]
                continue
        current[r["thread"]] = [r]
        tasks.append(current[r["thread"]])
    return tasks


def _reporting(obs: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """For each requested URL, the lines that report its actual outcome."""
    outcomes = _outcomes(obs)
    return {url: [line for line in lines if url in outcomes
                  and wording.reports_outcome(line["rest"], outcomes[url])]
            for url, lines in _found(obs).items()}


def _timeline(obs: dict[str, Any], prints: dict[int, list[float]] | None = None) -> str:
    return render_timeline(_requests(obs), prints=prints, gate=obs["server"]["gate"],
                           returned_at=obs["ended_at"], returned_label="the script ended",
                           held_label="waiting: the grader answers one request at a time, "
                                      "each after the previous one's status line")


def _prints(obs: dict[str, Any]) -> dict[int, list[float]]:
    out: dict[int, list[float]] = {}
    for url, lines in _reporting(obs).items():
        reqs = _by_url(obs).get(url, [])
        if reqs and lines:
            out[reqs[-1]["id"]] = [line["t"] for line in lines]
    return out


def _died_of_injected(obs: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in obs["thread_errors"] if e["type"] in INJECTED]


def _answered(outcome: str) -> bool:
    return outcome.isdigit()


def _rounds(obs: dict[str, Any]) -> str:
    phases = obs["server"].get("phases", [])
    together = [p["count"] for p in phases if p["concurrent"]]
    alone = sum(1 for p in phases if not p["concurrent"])
    parts = []
    if together:
        parts.append("requests in flight together: " + ", ".join(map(str, together)))
    if alone:
        parts.append(f"{alone} request(s) made while no other was in flight")
    return "; ".join(parts)


# ============================================================================================
# Judges
# ============================================================================================

@check("downloader.script_runs", probe="downloader.script", style="program")
def script_runs(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    if not obs["finished"]:
        return failed(f"the script did not finish within {obs['deadline']:g} s (an infinite loop, a "
                      "deadlock, or a thread that never ends?)", _timeline(obs))
    if obs["error"]:
        message = f"the script raised {exc_text(obs['error'])}"
        if obs["error"]["type"] in INJECTED:
            message += (": one of its URLs failed (the grader makes some fail, as real servers "
                        "do) and the exception stopped the whole script; catch "
                        "requests.RequestException around each request and report it")
        return failed(message, _timeline(obs))
    other = [e for e in obs["thread_errors"] if e["type"] not in INJECTED]
    if other:
        first = other[0]
        return failed(f"a thread of the script raised {exc_text(first)} and died (thread "
                      f"{first['thread']!r})", _timeline(obs))
    if obs["network"] and not _requests(obs):
        return failed(blocked_message(obs, ctx.filename))
    if not _requests(obs):
        return failed("the script ran but made no request with `requests`")
    return passed(f"the script ran to the end and requested {len(_by_url(obs))} URL(s)")


@check("downloader.script_overlap", probe="downloader.script", style="program")
def script_overlap(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    reqs = _requests(obs)
    if len(reqs) < 2:
        return failed(f"the script made {len(reqs)} request(s); overlap needs at least two",
                      _timeline(obs))
    most = obs["server"]["peak"]  # held requests count: in flight together means overlap
    if most < 2:
        return failed("only one request was in flight at a time: the downloads ran one after "
                      "another. Start every thread before joining any (or use a "
                      "ThreadPoolExecutor)", _timeline(obs))
    return passed(f"downloads overlapped (up to {most} requests in flight at once)",
                  _timeline(obs))


@check("downloader.script_status_lines", probe="downloader.script", style="program")
def script_status_lines(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    outcomes = _outcomes(obs)
    answered = [u for u, outcome in outcomes.items() if _answered(outcome)]
    if not answered:
        return failed("no request of the script was answered, so no status line could be checked")
    reporting = _reporting(obs)
    missing = [u for u in answered if not reporting[u]]
    if missing:
        printed = "\n".join(f"  {line['text']}" for line in obs["lines"][:20]) or "  (nothing)"
        want = "\n".join(f"  {u}: answered {outcomes[u]}" for u in answered)
        return failed(f"no line shows {missing[0]} with the status code the grader answered "
                      f"it with ({outcomes[missing[0]]}) "
                      f"({len(missing)} of {len(answered)} URL(s) without a status line): print "
                      "one line per URL with the URL (or a part of it no other URL shares) and "
                      "response.status_code", f"the grader answered:\n{want}\nyour output:\n{printed}")
    return passed(f"a status line for each of the {len(answered)} URL(s) that answered",
                  _timeline(obs, _prints(obs)))


@check("downloader.script_completion_order", probe="downloader.script", style="program")
def script_completion_order(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    """A line is late when another task's answer went out after its own task's last answer and
    before the line (see the docstring). A task is usually one request; one that goes on with
    another request (https after http, a retry) is judged when its last answer went out."""
    reqs = [r for r in _requests(obs) if r["phase"] is not None and r["released"] is not None]
    phases = obs["server"].get("phases", [])
    together = {r["id"] for r in reqs
                if phases[r["phase"]]["concurrent"] and _answered(r["outcome"])}
    if len(together) < 2:
        return failed("fewer than two answered requests were in flight together, so the order of "
                      "the lines cannot be judged", _timeline(obs))
    reporting = _found(obs)  # any status line: whether its code is right is status_lines' job
    claimed: set[tuple[float, str]] = set()
    late: list[tuple[dict[str, Any], dict[str, Any], float]] = []
    tasks = [[r for r in task if r["released"] is not None] for task in _tasks(obs, reporting)]
    tasks = [task for task in tasks if any(r["id"] in together for r in task)]
    for task in sorted(tasks, key=lambda task: max(r["released"] for r in task)):
        mine = {r["id"] for r in task}
        first, end = min(r["released"] for r in task), max(r["released"] for r in task)
        following = sorted(r["released"] for r in reqs if r["id"] not in mine and r["released"] > end)
        for url in dict.fromkeys(normalize(r["url"]) for r in task):
            line = next((ln for ln in reporting.get(url, [])
                         if ln["t"] >= first and (ln["t"], ln["text"]) not in claimed), None)
            if line is None:
                continue
            claimed.add((line["t"], line["text"]))
            if following and line["t"] > following[0]:
                late.append((next(r for r in task if normalize(r["url"]) == url), line,
                             following[0]))
    if late:
        r, line, _ = late[0]
        answered = [normalize(x["url"]).rsplit("/", 1)[-1] or x["url"]
                    for x in sorted((x for x in reqs if x["id"] in together),
                                    key=lambda x: (x["answered"] or 0, x["released"]))]
        return failed(
            f"{len(late)} status line(s) printed late: {r['url']} had its answer, but its line "
            f"{line['text']!r} came only after the grader had answered another request. Print "
            "each line as soon as its request completes (in the thread that downloads, or with "
            "as_completed), not in start or join order, after polling, or at the end",
            f"the grader answered one request at a time, in this order: {', '.join(answered)}, "
            "waiting each time for its line\n" + _timeline(obs, _prints(obs)))
    return passed("each status line was printed as its request completed, before the next "
                  "answer", _timeline(obs, _prints(obs)))


@check("downloader.script_waits", probe="downloader.script", style="program")
def script_waits(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    ended = obs["ended_at"]
    if ended is None:
        return failed("the script did not end", _timeline(obs))
    open_ = obs.get("in_flight_at_end") or 0
    after = [r for r in _requests(obs) if r["start"] > ended]
    # Times are rounded to 0.1 ms: a last line printed just before the end may look later.
    late_lines = [line for lines in _reporting(obs).values() for line in lines
                  if line["t"] > ended + 0.001]
    if open_ or after:
        return failed(f"the script ended while {open_ + len(after)} download(s) had not finished: "
                      "Python waits at exit only for non-daemon threads and kills daemon ones; "
                      "join the threads (or leave the `with ThreadPoolExecutor` block, or "
                      "q.join()) before the end", _timeline(obs, _prints(obs)))
    if late_lines:
        return failed(f"the line {late_lines[0]['text']!r} was printed after the script had "
                      "ended (a daemon thread's output is lost when Python exits): wait for "
                      "every thread before the script ends", _timeline(obs, _prints(obs)))
    if obs.get("never_end"):
        names = ", ".join(obs["never_end"][:3])
        return failed(f"the script never exits: after its main thread ended, Python waits for "
                      f"its non-daemon thread(s) ({names}), which wait for work that never "
                      "comes; stop them (e.g. put one None per worker in the queue and return "
                      "on it) or make them daemon threads", _timeline(obs, _prints(obs)))
    return passed("every download finished and was reported before the script ended")


@check("downloader.script_errors", probe="downloader.script_failing", style="program")
def script_errors(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    failing = {u: o for u, o in _outcomes(obs).items() if o in INJECTED}
    if not failing:
        return failed("no request of the script failed, so its error handling could not be "
                      "seen (the grader makes one URL fail when the script has two or more)")
    if obs["error"] and obs["error"]["type"] in INJECTED:
        return failed(f"a failing URL stopped the script ({exc_text(obs['error'])}): catch "
                      "requests.RequestException around each request")
    died = _died_of_injected(obs)
    reporting = _reporting(obs)
    unreported = [u for u in failing if not reporting.get(u)]
    if died:
        first = died[0]
        return failed(f"a failing URL killed its thread ({exc_text(first)}, thread "
                      f"{first['thread']!r}): catch requests.RequestException in the thread and "
                      "print a line saying the URL failed")
    if unreported:
        return failed(f"{unreported[0]} failed ({failing[unreported[0]]}) but no line reports it: "
                      "print the URL with `error`, `failed` or the exception's name")
    names = ", ".join(f"{u} ({o})" for u, o in failing.items())
    return passed(f"failing URLs were reported and the script went on: {names}")


@check("downloader.script_timeout", probe="downloader.script", style="program")
def script_timeout(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    reqs = _requests(obs)
    if not reqs:
        return failed("the script made no request")
    missing = [r for r in reqs if r["timeout"] is None]
    if missing:
        return failed(f"requests.get was called without timeout= (e.g. for {missing[0]['url']}): "
                      "a server that never answers would hang the script")
    return passed("every request was given a timeout")


@check("downloader.script_no_network", probe="downloader.script", style="program")
def script_no_network(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    if obs["network"]:
        return failed(blocked_message(obs, ctx.filename), "\n".join(obs["network"][:10]))
    other = urllib_message(obs, ctx.filename)
    if other is not None:
        return failed(other)
    if not _requests(obs):
        return failed("the script made no request with `requests`")
    return passed("every download went through requests; nothing else reached for the network")
