"""What a contract run printed: one status line per URL with its outcome (prints_status), each
printed as its request completed, judged by causality on the sequenced order run
(completion_order)."""
from __future__ import annotations

from typing import Any

from grader.checks.downloader.contract_runs import SETTLE
from grader.checks.downloader.reading import answer_times, call_problem, chains, expected_line, \
    final_outcome, line_matches, status_lines, timeline
from grader.probes.registry import JudgeContext, Verdict, check, failed, passed


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
