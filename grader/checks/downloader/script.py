"""The downloader's program checks (`script_*`): what a program run as `__main__` over its own
URLs did, as the grader's sequenced server and the timestamped output saw it. How the runs are
made and why each verdict follows from them: see `script_run`."""
from __future__ import annotations

import re
from typing import Any

from grader.checks.downloader import wording
from grader.checks.downloader.mock import normalize, render_timeline
from grader.checks.downloader.script_run import INJECTED
from grader.probes.probing import exc_text
from grader.probes.registry import JudgeContext, Verdict, check, failed, passed


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
    """For each requested URL, the status lines of its site (see `wording`)."""
    parts, site_of = wording.site_names(_by_url(obs))
    found = wording.status_lines(obs["lines"], parts, wording.last_answered(_requests(obs), site_of))
    return {url: found[site_of[url]] for url in _by_url(obs)}


def _tasks(obs: dict[str, Any], found: dict[str, list[dict[str, Any]]]) -> list[list[dict[str, Any]]]:
    """The requests grouped by task, in order of arrival: a thread's request and the ones that
    carry it on before any status line of its site was printed (after a redirect, a retry,
    https after http: `wording.same_task`). A thread that printed and then fetched
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
    if obs.get("main_hung"):  # judged by script_waits: it never exits
        return passed(f"the script ran until all its threads waited for good (see "
                      f"script_waits) and requested {len(_by_url(obs))} URL(s)")
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
    answered = sorted(u for u, outcome in outcomes.items() if _answered(outcome))
    if not answered:
        return failed("no request of the script was answered, so no status line could be checked")
    reporting = _reporting(obs)
    missing = sorted(u for u in answered if not reporting[u])  # the same URL named on every run
    if missing:
        printed = "\n".join(f"  {line['text']}" for line in obs["lines"][:20]) or "  (nothing)"
        want = "\n".join(f"  {u}: answered {outcomes[u]}" for u in answered)
        return failed(f"no line shows {missing[0]} with the status code the grader answered "
                      f"it with ({outcomes[missing[0]]}) "
                      f"({len(missing)} of {len(answered)} URL(s) without a status line): print "
                      "one line per URL with the URL (or a part of it no other URL shares) and "
                      "response.status_code (a line without the URL counts when it is printed as "
                      "soon as its download completes)", f"the grader answered:\n{want}\nyour output:\n{printed}")
    return passed(f"a status line for each of the {len(answered)} URL(s) that answered",
                  _timeline(obs, _prints(obs)))


@check("downloader.script_completion_order", probe="downloader.script", style="program")
def script_completion_order(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    """A line is late when another task's answer went out after its own task's last answer and
    before the line (see the docstring). A task is usually one request; one that goes on with
    another request (https after http, a retry) is judged when its last answer went out, by its
    first line: the server waits for that one only, so the task's other lines are late only
    when another thread prints them (the main thread at the end), not when the same thread
    prints them a moment later."""
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
        lines: list[tuple[dict[str, Any], dict[str, Any]]] = []  # (request, its line)
        for url in dict.fromkeys(normalize(r["url"]) for r in task):
            line = next((ln for ln in reporting.get(url, [])
                         if ln["t"] >= first and (ln["t"], ln["text"]) not in claimed), None)
            if line is not None:
                claimed.add((line["t"], line["text"]))
                lines.append((next(r for r in task if normalize(r["url"]) == url), line))
        if not lines or not following:
            continue
        # The task's first line is its reaction, the one the server waited for before the next
        # answer; the task's other lines follow from the thread that printed it (`print` twice
        # in a loop), in whatever time slices it gets, so the next answer may come between them.
        opener = min(lines, key=lambda pair: pair[1]["t"])[1]
        for r, line in lines:
            if line["t"] > following[0] and (line is opener or line["thread"] != opener["thread"]):
                late.append((r, line, following[0]))
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
    if obs.get("main_hung"):
        return failed("the script never exits: its main thread waits forever (a join, a queue's "
                      "join or get, a lock) while every other thread of it waits too, for work "
                      f"or a signal that never comes ({_threads(obs['never_end'][1:])}); give "
                      "every worker its way out (e.g. one None per worker in the queue) or wait "
                      "only for what will happen", _timeline(obs, _prints(obs)))
    if obs.get("never_end"):
        return failed(f"the script never exits: after its main thread ended, Python waits for "
                      f"its non-daemon {_threads(obs['never_end'])}, which wait for work that never "
                      "comes; stop them (e.g. put one None per worker in the queue and return "
                      "on it) or make them daemon threads", _timeline(obs, _prints(obs)))
    return passed("every download finished and was reported before the script ended")


def _threads(names: list[str]) -> str:
    """'3 thread(s) running worker': which of a pool's threads are left varies run to run (the
    one that took the only None), their number and functions do not."""
    functions = sorted({m.group(1) for n in names if (m := re.search(r"\((.+)\)$", n))})
    running = f", running {', '.join(functions[:3])}" if functions else ""
    return f"{len(names)} other thread(s){running}" if names else "no other thread"


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
    unreported = sorted(u for u in failing if not reporting.get(u))
    if died:
        first = died[0]
        return failed(f"a failing URL killed its thread ({exc_text(first)}, thread "
                      f"{first['thread']!r}): catch requests.RequestException in the thread and "
                      "print a line saying the URL failed")
    if obs.get("main_hung") or obs.get("never_end") or not obs["finished"]:
        return failed("with failing URLs the script never ended: the work of a failed download "
                      "must still be marked done (q.task_done() in a `finally`, a result or a "
                      "None for the URL), or whatever waits for it waits forever",
                      _timeline(obs, _prints(obs)))
    if unreported:
        return failed(f"{unreported[0]} failed ({failing[unreported[0]]}) but no line reports it: "
                      "print the URL with `error`, `failed` or the exception's name")
    names = ", ".join(f"{u} ({o})" for u, o in sorted(failing.items()))
    return passed(f"failing URLs were reported and the script went on: {names}")


@check("downloader.script_timeout", probe="downloader.script", style="program")
def script_timeout(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    reqs = _requests(obs)
    if not reqs:
        return failed("the script made no request")
    missing = sorted((r for r in reqs if r["timeout"] is None), key=lambda r: str(r["url"]))
    if missing:  # the example is the same URL on every run, whichever thread asked first
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
