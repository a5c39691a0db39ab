"""The run of every downloader submission as a program (top-level code, a main() called from the
`__main__` guard, threads started in functions) over its own list of URLs, in the child; the
judges are in `script`.

The program runs as `__main__` against `mock.SequencedServer`, which answers every URL and
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
  lines are on time when the first of them is printed before another task's answer that
  came after its last one, and the rest by the same thread (the server takes its next request
  as its reaction and answers it next, and its first line as the task's reaction).
* which line names which URL: see `wording` (a bare code counts when the program
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

from grader.checks import observations as shapes
from grader.checks.downloader.harness import idle, run_against
from grader.checks.downloader.mock import Route, SequencedServer, connection_error, normalize, \
    slow_response, status
from grader.probes import syntax
from grader.probes.probing import ProbeContext, describe
from grader.probes.registry import probe
from grader.sandbox import stuck

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
        tree = syntax.parse(source)
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
        tree = syntax.parse(source)
    except SyntaxError:
        return []
    found: list[dict[str, Any]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            called = ast.unparse(node.func)
            if OTHER_CLIENTS.search(called):
                found.append({"call": called[:80], "line": node.lineno})
    return sorted(found, key=lambda f: f["line"])[:5]


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

    urls = own_urls(ctx.source, ctx.path.parent, ctx.path)
    routes = plan_routes(urls, ctx.seed, failing)
    box: dict[str, Any] = {}
    server = SequencedServer(lambda url: routes.get(url, status(200, 0.0)), rank_of(routes),
                             first_target=max(2, len(urls)), quiet=FIRST_QUIET, settle=SETTLE,
                             patience=PATIENCE, idle_ends_waits=True)
    before = set(threading.enumerate())

    def main_waits() -> bool:
        """The script's main thread has ended its module or waits untimed (a join)."""
        return "main_ended_at" in box or "main_native" in box and stuck.waits_for_good(box["main_native"])

    server.main_waits = main_waits

    def main() -> None:
        started = time.monotonic()
        box["main_native"] = threading.get_native_id()
        try:
            runpy.run_path(str(ctx.path), run_name="__main__")
        except SystemExit as exc:
            if exc.code not in (None, 0):
                box["error"] = describe(exc, ctx.filename)
        except BaseException as exc:
            box["error"] = describe(exc, ctx.filename)
        box["main_ended_at"] = server.now()
        box["never_end"] = interpreter_exit(before, server, started + SCRIPT_DEADLINE)
        box["ended_at"] = server.now()
        box["in_flight"] = server.in_flight

    def settled(left_running: list[threading.Thread]) -> bool:
        """The script's threads have ended (the grader's own do not count) and none is held."""
        return not [t for t in left_running if not t.name.startswith("grader-")] and not server.held

    # Not a daemon: the script's threads inherit daemon=False from it, as from a real main thread.
    run = run_against(ctx, server, main, name="grader-script", daemon=False,
                      wait=SCRIPT_DEADLINE + 1.0,
                      finished=lambda runner: "main_ended_at" in box or "main_hung_at" in box,
                      linger=LINGER, settled=settled, argv=[str(ctx.path)],
                      hung=lambda: hung(box, server, before))
    return {"finished": run.finished, "error": box.get("error"), "ended_at": box.get("ended_at"),
            "main_ended_at": box.get("main_ended_at"), "never_end": box.get("never_end") or [],
            "main_hung": "main_hung_at" in box,
            "in_flight_at_end": box.get("in_flight"), "deadline": SCRIPT_DEADLINE,
            "own_urls": urls, "routes": {u: r.describe() for u, r in routes.items()},
            "server": run.server, "lines": run.lines, "thread_errors": run.thread_errors,
            "network": run.network, "clients": other_clients(ctx.source)}


def hung(box: dict[str, Any], server: SequencedServer, before: set[threading.Thread]) -> bool:
    """The script's main thread waits for good, and so does every other thread of the script,
    with no request in flight (`harness.idle`): a join on workers that wait for work that never
    comes (one None for three workers) can never return. The script is then judged as one whose
    main thread ended with such workers left (`never_end`); `box` gets what the judges read."""
    if "main_native" not in box or not stuck.waits_for_good(box["main_native"]) \
            or not idle(server):
        return False
    box["main_hung_at"] = box["ended_at"] = server.now()
    box["in_flight"] = server.in_flight
    left = [t.name for t in threading.enumerate() if t not in before and not t.daemon
            and not t.name.startswith("grader-") and t.is_alive()]
    box["never_end"] = ["the main thread"] + left
    return True


def interpreter_exit(before: set[threading.Thread], server: Any, deadline: float) -> list[str]:
    """What CPython does once the main module has ended, before it kills the daemon threads
    (`threading._shutdown`): executors the script left open are shut down without waiting (their
    queued work still runs, as concurrent.futures' exit hook lets it), then every non-daemon
    thread the script started is joined. Returns the non-daemon threads that never end: still
    running at `deadline`, or blocked with nothing left to wake them (every thread the script
    started waits without a timeout, and no request is in flight, for EXIT_QUIET seconds, or
    at once when the kernel shows them asleep for good: `harness.idle`, which their frames,
    read one thread after another, cannot show)."""
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
            if now - quiet_since >= EXIT_QUIET or idle(server):
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
