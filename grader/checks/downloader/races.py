"""A downloader's own bookkeeping, judged by the race oracle: counters, result lists, tallies.

The other downloader checks run the student's threads for real against the gated server
(overlap, order, errors). This one runs the program again under the cooperative scheduler
(grader/probes/preempt), where `requests` reaches an in-process server whose latency is a *virtual*
sleep: a page costs no real time, the threads interleave by seed, and the race oracle sees
every access the threads make to shared state. It names an update another thread's write can
break (an unlocked `count += 1`, `status_counts[code] += 1`, an index taken with
`results.append(None)` then `len(results) - 1`), whether or not the schedule it ran lost
anything. Atomic container calls are not races: appending finished results from every thread
without a lock is fine.

Scripts run as `__main__` over their own URLs; a contract submission's `download_pages` is
called from a scheduled main thread with five URLs. The first schedule switches threads only
when they block (the run its author intended), the others force switches at random points.
"""
from __future__ import annotations

import contextlib
import io
import random
from typing import Any, TypedDict

from grader.checks import observations as shapes
from grader.checks.downloader.at_import import answered_import
from grader.checks.downloader.mock import MockServer, Route, status
from grader.checks.downloader.script_run import own_urls
from grader.probes.late_binding import late_reads
from grader.probes.preempt import active
from grader.probes.preempt.engine import Scenario, explore, instrumented_module, tampering
from grader.probes.preempt.explain import replay
from grader.probes.preempt.runner import program_code, run_for_probe
from grader.probes.preempt.verdict import RaceFindings, findings, race_problem
from grader.probes.probing import ProbeContext, exc_text
from grader.probes.protocol import Tampered
from grader.probes.registry import JudgeContext, Verdict, check, failed, passed, probe, skipped

SCHEDULES = 4  # one run where threads switch only when they block, three with forced switches
MANY_THREADS = 100  # a program that starts more gets one forced schedule (each costs ~3 s per 1,000)
CONTRACT_URLS = [f"http://pages.grader.test/page-{n}" for n in range(1, 6)]


def _virtual_now() -> float:
    sched = active.ACTIVE
    return sched.now if sched is not None else 0.0


def _server(urls: list[str], seed: int) -> MockServer:
    """Every URL answers 200 after a seeded latency in virtual time (a virtual sleep in the
    requesting thread), so completions come in a different order in each schedule."""
    rng = random.Random(seed)
    routes: dict[str, Route] = {u: status(200, round(rng.uniform(0.05, 1.0), 3)) for u in urls}
    return MockServer(routes, any_url=status(200, 0.5), clock=_virtual_now)


class RaceRun(TypedDict, total=False):
    """One schedule of the program, as the probe sends it to the judge."""

    seed: int
    serial: bool  # threads switched only when they blocked (the reference run)
    status: str  # the scheduler's outcome: ok | deadlock | stall | time | steps | budget
    errors: list[dict[str, Any]]  # exceptions of the program's threads (describe())
    oracle: RaceFindings  # what the race oracle saw
    requests: int  # requests the grader's server answered in this schedule
    threads: int  # threads the program started (scripts only)


def _summary(seed: int, status_: str, errors: list[dict[str, Any]], oracle: RaceFindings,
             server: MockServer, serial: bool) -> RaceRun:
    return RaceRun(seed=seed, serial=serial, status=status_, errors=errors[:3], oracle=oracle,
                   requests=len(server.records))


@probe("downloader.script_races", data=shapes.DownloaderSchedules)
def script_races_probe(ctx: ProbeContext) -> dict[str, Any] | Tampered:
    code = program_code(ctx)
    urls = own_urls(ctx.source, ctx.path.parent, ctx.path)
    runs: list[RaceRun] = []
    schedules = int(ctx.param("schedules", SCHEDULES))
    for index in range(schedules):
        serial, seed = index == 0, ctx.seed + index
        if index == 2 and runs[0]["threads"] > MANY_THREADS:
            break
        with _server(urls, seed) as server:
            run = run_for_probe(ctx, code, seed, serial=serial)
        if (why := tampering(run.namespace)) is not None:
            return Tampered(why)
        errors = [t.error for t in run.outcome.tasks if t.error]
        runs.append(_summary(seed, run.outcome.status, errors, findings(run.sched), server, serial))
        runs[-1]["threads"] = run.sched.table.spawned
        if runs[-1]["oracle"]["races"]:
            break
    return {"runs": runs, "late_reads": late_reads(ctx.source)}


def _named_race(data: dict[str, Any]) -> str | None:
    """explore()'s stop rule: the first schedule in which the oracle names a race."""
    return "the race oracle named a race" if data["oracle"]["races"] else None


@probe("downloader.races", data=shapes.DownloaderSchedules)
def contract_races_probe(ctx: ProbeContext) -> dict[str, Any] | Tampered:
    with answered_import(evidence=False):  # its top level runs again, as at the import
        module = instrumented_module(ctx)
    name = ctx.entry_points.get("download", "download_pages")
    summaries: list[RaceRun] = []

    def build(sched: Any) -> Scenario:
        before = len(server.records)  # one server answers every schedule

        def body() -> None:
            getattr(module, name)(list(CONTRACT_URLS), max_workers=3, timeout=5.0)

        def collect(outcome: Any) -> dict[str, Any]:
            return {"requests": len(server.records) - before}

        return Scenario([("MainThread", body)], collect)

    with _server(CONTRACT_URLS, ctx.seed) as server, \
            contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        result = explore(ctx, module, build, _named_race,
                         schedules=int(ctx.param("schedules", SCHEDULES)),
                         switch=float(ctx.param("switch", 0.1)))
    if isinstance(result, Tampered):
        return result
    for data in result["runs"]:
        summaries.append(RaceRun(seed=data["seed"], serial=False, status=data["status"],
                                 errors=data.get("thread_errors", [])[:3], oracle=data["oracle"],
                                 requests=data["requests"]))
    # A contract's late read shows in its returned dict and requests (statuses, each_once):
    # one check per bug and track.
    return {"runs": summaries, "late_reads": []}


def _judge(obs: dict[str, Any], task: str, filename: str) -> Verdict:
    runs = obs["runs"]
    if not runs or not any(run["requests"] for run in runs):
        return skipped("skipped: no download was made when the grader ran the program under its "
                       "scheduler, so there was no shared bookkeeping to look at")
    for run in runs:
        found = race_problem(run["oracle"])
        if found:
            message, story = found
            how = "" if run["serial"] else f" (schedule seed {run['seed']}, forced thread switches)"
            return failed(f"the download threads share state without a lock{how}: {message}",
                          "\n".join(story + [replay(task, filename, run["seed"])]),
                          seed=run["seed"])
    late = obs.get("late_reads") or []
    if late:
        first = late[0]
        return failed(f"a thread reads `{first['name']}`, which its loop sets, when it runs, not "
                      f"when it was made: `{first['code']}` ({filename} line {first['line']}) is handed "
                      "to a thread while the loop goes on, so by the time it runs the loop has "
                      f"moved `{first['name']}` on and threads download the same page while others "
                      f"are never fetched; pass it in: args=({first['name']},), or "
                      f"lambda {first['name']}={first['name']}: ...",
                      "\n".join(f"{filename} line {f['line']}: {f['code']} reads {f['name']}"
                                 for f in late))
    stalled = [run for run in runs if run["status"] == "stall"]
    if stalled and len(stalled) == len(runs):
        return passed("not examined: the program blocks in something the grader cannot schedule, "
                      "so its bookkeeping could not be followed (no race was seen)")
    shared = sorted({loc for run in runs for loc in run["oracle"]["shared"]})
    what = f" (shared: {', '.join(f'`{name}`' for name in shared[:4])})" if shared else ""
    crashed = next((e for run in runs for e in run["errors"]), None)
    note = f"; a thread raised {exc_text(crashed)} there (see the other checks)" if crashed else ""
    return passed(f"no update of shared state{what} that another download thread can break, in "
                  f"{len(runs)} schedules{note}")


@check("downloader.script_shared_state", probe="downloader.script_races", style="program")
def script_shared_state(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    return _judge(obs, "downloader", ctx.filename)


@check("downloader.shared_state", probe="downloader.races")
def shared_state(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    return _judge(obs, "downloader", ctx.filename)
