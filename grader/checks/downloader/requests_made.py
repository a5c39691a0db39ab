"""The requests a contract run made, as the grader's gated server saw them: each URL once
(each_once), as many at once as the pool allows (overlap) and never more (max_workers), each
with the timeout given (timeout), and none but the given URLs, through requests (no_network)."""
from __future__ import annotations

from typing import Any

from grader.checks.downloader.contract_runs import D
from grader.checks.downloader.mock import normalize
from grader.checks.downloader.reading import call_signature, chains, lookup, network_attempts, \
    no_request_message, result_map, show, timeline
from grader.probes.probing import exc_text
from grader.probes.registry import JudgeContext, Verdict, check, failed, passed


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


@check("downloader.timeout", probe="downloader.gated")
def timeout(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    given = obs["timeout"]
    reqs = [r for r in obs["server"]["requests"] if normalize(r["url"]).startswith(normalize(D))]
    if not reqs:
        return failed(no_request_message(obs))
    missing = sorted((r for r in reqs if r["timeout"] is None), key=lambda r: str(r["url"]))
    if missing:  # the example is the same URL on every run, whichever thread asked first
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
    demo = import_requests(obs)
    early = [r for r in demo if r.get("client", "requests") != "requests"]
    if early:
        return failed(f"your module downloads with urllib, not requests, when it is imported "
                      f"(e.g. {early[0].get('url')}, from its top level): the grader answered it, "
                      "but the assignment asks for requests.get",
                      "\n".join(f"{r.get('method')} {r.get('url')} ({r.get('client')})"
                                for r in demo[:10]))
    message = "no attempt to reach a host other than the given URLs"
    count = obs["at_import"].get("count") or 0
    if count:  # the module's own demo, run at import through requests: answered, not counted
        message += (f"; the {count} request(s) your module's top level made when it was imported "
                    "(a demo outside `if __name__ == \"__main__\":`) were answered by the grader "
                    "and not counted")
    return passed(message)


def import_requests(obs: dict[str, Any]) -> list[dict[str, Any]]:
    """The requests the module's top level made when the child imported it (`at_import`)."""
    kept = obs["at_import"].get("requests")
    return [r for r in kept if isinstance(r, dict)] if isinstance(kept, list) else []
