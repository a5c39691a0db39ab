"""Reading what a race probe sent: the seeded schedules it explored (grader side).

A probe that explores schedules (grader.checks.bank.harness.explore_schedules) sends one record
per schedule, the last the one that showed a problem. The judge checks they are the schedules
the grader planned (seeds in order, as many as the coverage rule runs unless one failed:
grader/probes/preempt/coverage.py), re-checks each schedule's raw numbers itself, and shows the
interleaving that broke the student's code.
"""
from __future__ import annotations

from typing import Any, Callable

from grader.checks.bank.harness import SCHEDULES
from grader.checks.bank.linearize import Undecided, bank_matches, bank_step, linearize, show_op
from grader.probes.preempt.coverage import Rule, new_pairs
from grader.probes.preempt.explain import replay
from grader.probes.preempt.verdict import race_problem
from grader.probes.probing import exc_text
from grader.probes.registry import JudgeContext, Verdict, failed, passed, skipped


def common_problem(data: dict[str, Any]) -> str | None:
    if data.get("thread_errors"):
        return "a thread raised " + exc_text(data["thread_errors"][0])
    if data["status"] == "deadlock":
        return "the threads deadlocked"
    if data["status"] == "steps":
        return "the operations did not finish (an endless loop or livelock?)"
    if data["status"] == "stall":
        return "a thread blocked in something the grader cannot schedule"
    if type(data.get("final")) not in (int, float):
        return f"balance is not a number ({data.get('final')!r})"
    return None


def race(data: dict[str, Any]) -> str | None:
    """The race oracle's finding in a schedule whose money came out right: an update another
    thread's write can break is a bug whether or not this schedule lost money."""
    found = race_problem(data.get("oracle") or {})
    return found[0] if found else None


def failure(problem: str, data: dict[str, Any], lead: str, filename: str) -> Verdict:
    details: list[str] = []
    race = race_problem(data.get("oracle") or {})
    if race:
        details += race[1]
    if data.get("story"):
        details += ["How it happened (one schedule of the threads):"] + list(data["story"])
    for entry in data.get("deadlock", []):
        details.append(f"{entry['thread']} {entry['waits']}")
        details += [f"    {frame}" for frame in entry.get("stack", [])]
    details.append(replay("bank", filename, data["seed"]))
    return failed(f"{lead}: {problem} (schedule seed {data['seed']})", "\n".join(details),
                  seed=data["seed"])


def schedules_problem(obs: dict[str, Any], ctx: JudgeContext, default: int) -> str | None:
    """Why `obs["runs"]` is not the schedules the grader planned: seeds `seed, seed + 1, ...`
    in order, no more than the maximum (where they stop: `stop_problem`)."""
    runs = obs.get("runs")
    planned = int(ctx.params.get("schedules", default))
    if not isinstance(runs, list) or not runs or len(runs) > planned:
        return "its schedules are not the ones the grader planned"
    for index, data in enumerate(runs):
        if not isinstance(data, dict) or data.get("seed") != ctx.seed + index \
                or not isinstance(data.get("status"), str):
            return f"schedule {index} is not the one the grader planned"
    return None


def forged(why: str) -> Verdict:
    return failed(f"the observation does not match the grader's plan: {why}", forged=why)


def judge_runs(obs: dict[str, Any], ctx: JudgeContext, problem: Callable[[dict[str, Any]], str | None],
                lead: str, ok: str, default: int = SCHEDULES, *, probe: str) -> Verdict:
    if obs.get("missing"):
        return skipped(obs["missing"])
    if (why := schedules_problem(obs, ctx, default)) is not None:
        return forged(why)
    for data in obs["runs"]:
        try:
            why = problem(data)
        except HistoryUndecided as exc:
            return forged(f"its history could not be checked within the grader's bound ({exc}); "
                          "a real run of the planned operations never comes near it")
        if why:
            return failure(why, data, lead, ctx.filename)
    if (why := stop_problem(obs["runs"], ctx, default, probe)) is not None:
        return forged(why)
    return passed(f"{ok} ({explored(obs['runs'], ctx, default, probe)})")


def _expected(runs: list[Any], ctx: JudgeContext, default: int,
              probe: str) -> tuple[Rule, list[int] | None, int]:
    rule = Rule.of(ctx.params, default, probe)
    news = new_pairs(runs) if rule.on else None
    return rule, news, rule.expected(news) if news is not None else rule.maximum


def stop_problem(runs: list[Any], ctx: JudgeContext, default: int, probe: str) -> str | None:
    """Why schedules none of which showed a problem ended where they did, if the coverage rule
    (grader/probes/preempt/coverage.py) does not explain it: fewer than the maximum only where the
    records' new pairs say the rule was met, and no more than it runs."""
    rule, news, expected = _expected(runs, ctx, default, probe)
    if len(runs) < expected:
        return "it stopped before the planned schedules without a problem"
    if len(runs) > expected:
        return "it explored past where the grader's coverage rule stops"
    return None


def explored(runs: list[Any], ctx: JudgeContext, default: int, probe: str) -> str:
    """What the schedules explored, for a passing message."""
    rule, news, expected = _expected(runs, ctx, default, probe)
    return rule.evidence(news) if news is not None else f"{len(runs)} schedules"


# -- concurrent histories ------------------------------------------------------------------
def history_problem(data: dict[str, Any], initial: tuple[int, ...], names: str = "AB",
                     plan: dict[str, list[list[Any]]] | None = None) -> str | None:
    """Why the recorded concurrent history is wrong; with `plan` (thread -> its operations),
    a history whose operations are not the planned ones is reported as not the grader's."""
    if not isinstance(data.get("history"), list) or not all(
            isinstance(op, dict) and isinstance(op.get("thread"), str) for op in data["history"]):
        return "no history of the operations was recorded"
    if plan is not None:
        ran: dict[str, list[list[Any]]] = {}
        for op in sorted(data["history"], key=lambda op: op.get("call", 0)):
            ran.setdefault(op["thread"], []).append([op.get("op"), *op.get("args", [None])[1:]])
        complete = data["status"] == "ok"
        for thread, ops in plan.items():
            done = ran.pop(thread, [])
            if done != ops[:len(done)] or (complete and len(done) != len(ops)):
                return "the operations recorded are not the ones the grader planned"
        if ran:
            return "the operations recorded are not the ones the grader planned"
    if data.get("thread_errors"):
        return "a thread raised " + exc_text(data["thread_errors"][0])
    if data["status"] != "ok":
        return {"deadlock": "the threads deadlocked", "steps": "the operations did not finish",
                "stall": "a thread blocked in something the grader cannot schedule"}.get(
            data["status"], data["status"])
    ops = data["history"]
    for op in ops:
        if "error" in op:
            return f"{show_op({**op, 'result': None}, names)} raised {exc_text(op['error'])}"
    try:
        if linearize(ops, initial, bank_step, bank_matches) is None:
            return "no one-at-a-time order of the operations explains what they returned"
    except Undecided as exc:
        raise HistoryUndecided(str(exc)) from None
    return None


class HistoryUndecided(Exception):
    """The grader could not decide a recorded history within its bound (see linearize)."""


def history_story(data: dict[str, Any], names: str = "AB") -> list[str]:
    ops = sorted(data["history"], key=lambda op: (op["call"], op.get("ret", float("inf"))))
    return ["The operations, with the scheduling steps during which each ran:"] + [
        "  " + show_op(op, names) for op in ops]
