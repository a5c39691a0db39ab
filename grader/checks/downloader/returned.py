"""What `download_pages` returned and when: each status code recorded (statuses), a request that
raised recorded as None without losing the others (errors_to_none), and a return only once
every download has finished (waits_for_all)."""
from __future__ import annotations

from typing import Any

from grader.checks.downloader.contract_runs import D, ORDER_EXPECTED
from grader.checks.downloader.reading import call_problem, call_signature, chains, final_outcome, \
    lookup, result_map, short_exc, show, timeline
from grader.probes.probing import exc_text
from grader.probes.registry import JudgeContext, Verdict, check, failed, passed


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


@check("downloader.waits_for_all", probe="downloader.gated")
def waits_for_all(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    call = obs["call"]
    if not call["finished"]:
        return call_problem(obs) or failed("download_pages did not return")
    returned = call["returned_at"]
    in_flight = call["in_flight_at_return"] or 0
    after = [r for r in obs["server"]["requests"] if r["start"] > returned]
    if in_flight or after:
        # One count: how the unfinished downloads split between started and not yet started
        # depends on how far the worker threads got before the return, in real time.
        return failed(f"download_pages returned before {in_flight + len(after)} of its downloads "
                      "had finished (in flight, or not even started); wait for every download "
                      "(join the threads, or leave the `with ThreadPoolExecutor(...)` block) "
                      "before returning",
                      timeline(obs), in_flight=in_flight, started_after=len(after))
    return passed("download_pages returned after every download had finished")
