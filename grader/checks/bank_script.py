"""Script-style bank submissions: top-level threads over a global balance, like the textbook.

The script runs twice or more under the cooperative scheduler: once with every thread run to
completion one at a time (the result the author intended), then under seeded forced thread
switches. A correct script ends in the same state and prints the same final line every time.
"""
from __future__ import annotations

import ast
import builtins
import sys
from typing import Any

from grader.preempt import scheduler as sched_mod
from grader.preempt.engine import tampering
from grader.preempt.explain import lost_update, recent, replay
from grader.preempt.instrument import INSTRUMENTED, _shared_names, hooks, instrument
from grader.preempt.primitives import patched
from grader.preempt.scheduler import Scheduler
from grader.preempt.siblings import siblings, submission_attrs
from grader.preempt.verdict import findings, race_problem, racy_result_problem, unordered_problem
from grader.probing import ProbeContext, describe, exc_text, plain
from grader.registry import JudgeContext, Verdict, check, failed, passed, probe

MAX_SCRIPT_STEPS = 400_000


class _Output:
    """Collects what the script prints, and whether the main thread printed each piece."""

    def __init__(self, sched: Scheduler) -> None:
        self.sched, self.parts, self.size = sched, [], 0
        self.main_parts: list[tuple[str, int | None]] = []  # the main thread's text, source line

    def write(self, text: str) -> int:
        if self.size < 20_000:
            me = self.sched.task()
            main = me is None or me.thread is None
            self.parts.append((main, str(text)))
            if main:
                self.main_parts.append((str(text), _printing_line()))
            self.size += len(text)
        return len(text)

    def main_result(self) -> tuple[str, set[int], set[int]]:
        """The main thread's last non-empty line, the source lines that printed it, and the
        source lines that printed its other lines."""
        lines: list[tuple[str, set[int]]] = []
        current, sources = "", set()
        for text, line in self.main_parts:
            for piece in text.splitlines(keepends=True):
                current += piece
                if line is not None:
                    sources.add(line)
                if piece.endswith("\n"):
                    lines.append((current.rstrip("\n"), sources))
                    current, sources = "", set()
        if current:
            lines.append((current, sources))
        lines = [(t, s) for t, s in lines if t.strip()]
        if not lines:
            return "", set(), set()
        return lines[-1][0], lines[-1][1], {n for _, s in lines[:-1] for n in s}

    def flush(self) -> None:
        pass

    def text(self) -> str:
        return "".join(t for _, t in self.parts)

    def last_line(self) -> tuple[bool, str]:
        lines: list[tuple[bool, str]] = []
        current, by_main = "", True
        for main, text in self.parts:
            for piece in text.splitlines(keepends=True):
                current += piece
                by_main = by_main and main
                if piece.endswith("\n"):
                    lines.append((by_main, current.rstrip("\n")))
                    current, by_main = "", True
        if current:
            lines.append((by_main, current))
        lines = [(m, t) for m, t in lines if t.strip()]
        return lines[-1] if lines else (True, "")


def _printing_line() -> int | None:
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename not in INSTRUMENTED:
        frame = frame.f_back
    return frame.f_lineno if frame is not None else None


def _run_script(ctx: ProbeContext, code: Any, shared: list[str], seed: int, *, serial: bool,
                switch: float) -> dict[str, Any]:
    sched = Scheduler(seed, filename=str(ctx.path), source=ctx.source, switch=switch, serial=serial,
                      max_steps=MAX_SCRIPT_STEPS, stall_seconds=3.0)
    namespace: dict[str, Any] = {"__name__": "__main__", "__file__": str(ctx.path),
                                 "__builtins__": builtins, **hooks()}
    out = _Output(sched)

    def main() -> None:
        try:
            with siblings(ctx.path):
                exec(code, namespace)
        except SystemExit as exc:
            if exc.code not in (None, 0):
                raise

    saved = sys.stdout
    sys.stdout = out  # type: ignore[assignment]
    try:
        with patched():
            outcome = sched.run([("MainThread", main)])
    finally:
        sys.stdout = saved
    tampered = tampering(namespace)
    by_main, last = out.last_line()
    errors = [t.error for t in outcome.tasks if t.error]
    data: dict[str, Any] = {
        "seed": seed, "status": outcome.status, "output": out.text()[-2000:],
        "last_line": last[:300], "last_by_main": by_main,
        "globals": {name: plain(namespace.get(name)) for name in shared},
        "errors": errors[:3], "threads": sched.spawned, "max_alive": sched.max_alive,
        "writes": dict(sched.shared_writes), "deadlock": outcome.deadlock,
    }
    result, result_lines, progress_lines = out.main_result()
    data["oracle"] = findings(sched, main="MainThread", result_line=result, result_lines=result_lines,
                              progress_lines=progress_lines)
    if tampered:
        data["tampered"] = tampered
    data["_events"] = outcome.events
    return data


def _differs(serial: dict[str, Any], run: dict[str, Any]) -> str | None:
    """How a run's end differs from the one-at-a-time run's (a fact, not yet a verdict: a
    different end is a bug only where the race oracle names an unordered write)."""
    for name, value in serial["globals"].items():
        if run["globals"].get(name) != value:
            return f"`{name}` ended as {run['globals'].get(name)!r} instead of {value!r}"
    if serial["last_by_main"] and run["last_line"] != serial["last_line"]:
        return f"it printed {run['last_line']!r} instead of {serial['last_line']!r}"
    return None


def _problem(run: dict[str, Any]) -> tuple[str, list[str]] | None:
    """What is wrong with one run: it did not finish, a thread raised, the race oracle named
    an update that another thread's write can break, or the result printed was still being
    written. A final state that merely differs (random amounts, who got the last money) is not."""
    if run["status"] != "ok":
        why = {"deadlock": "the threads deadlocked", "steps": "the script did not finish",
               "stall": "a thread blocked in something the grader cannot schedule"}.get(
            run["status"], run["status"])
        return why, []
    if run["errors"]:
        return "a thread raised " + exc_text(run["errors"][0]), []
    oracle = run.get("oracle") or {}
    return race_problem(oracle) or racy_result_problem(oracle)


@probe("bank.script")
def script_probe(ctx: ProbeContext) -> dict[str, Any]:
    code = instrument(ctx.source, str(ctx.path), module_level_points=True,
                      attrs=submission_attrs(ctx.path, ctx.source))
    shared = sorted(_shared_names(ast.parse(ctx.source)))
    serial = _run_script(ctx, code, shared, ctx.seed, serial=True, switch=0.0)
    serial.pop("_events")
    if serial.get("tampered"):
        return {"__tampered__": serial["tampered"]}
    runs: list[dict[str, Any]] = []
    lines = ctx.source.splitlines()
    for index in range(int(ctx.param("schedules", 6))):
        run = _run_script(ctx, code, shared, ctx.seed + index, serial=False,
                          switch=float(ctx.param("switch", 0.1)))
        events = run.pop("_events")
        if run.get("tampered"):
            return {"__tampered__": run["tampered"]}
        runs.append(run)
        if serial["status"] == "ok" and _problem(run):
            if _differs(serial, run):
                run["story"] = lost_update(events, ctx.filename, lines) or recent(events, ctx.filename, lines)
            break
    return {"serial": serial, "runs": runs, "shared": shared}


@check("bank.script_runs", probe="bank.script", style="script")
def script_runs(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    serial = obs["serial"]
    if serial["errors"]:
        return failed(f"running your script raised {exc_text(serial['errors'][0])}")
    if serial["status"] != "ok":
        details = "\n".join(f"{d['thread']} {d['waits']}" for d in serial["deadlock"])
        return failed(f"your script did not finish when its threads ran one at a time "
                      f"({serial['status']})", details)
    if not serial["output"].strip():
        return failed("your script printed nothing; print the final balance")
    return passed(f"the script ran to completion and printed {serial['last_line']!r}")


@check("bank.script_consistent", probe="bank.script", style="script")
def script_consistent(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    serial = obs["serial"]
    if serial["status"] != "ok" or serial["errors"]:
        return failed("the script did not run to completion even with one thread at a time")
    shared = obs["shared"] or (serial.get("oracle") or {}).get("shared")
    if not shared and not serial["last_by_main"]:
        return failed("found no shared state (a global updated by the threads) nor a final line "
                      "printed by the main thread to compare between runs")
    for run in [serial] + obs["runs"]:
        found = _problem(run)
        if found:
            why, story = found
            seeded = "" if run is serial else f"with forced thread switches (schedule seed {run['seed']}) "
            differs = _differs(serial, run) if run is not serial else None
            details = list(story)
            if differs:
                details.append(f"In this schedule {differs}.")
            if run.get("story"):
                details += ["How it happened:"] + run["story"]
            details.append(replay("bank", ctx.filename, run["seed"]))
            return failed(f"{seeded}{why}", "\n".join(details), seed=run["seed"])
    same = sum(1 for run in obs["runs"] if not _differs(serial, run))
    return passed(f"no update of shared state that another thread can break, in "
                  f"{len(obs['runs']) + 1} schedules ({same} of {len(obs['runs'])} with forced "
                  "switches ended exactly as the one-at-a-time run; the others differ only in what "
                  "legitimately depends on timing)" if same < len(obs["runs"]) else
                  f"the same result in {len(obs['runs'])} schedules with forced thread switches, "
                  "and no update of shared state that another thread can break")


@check("bank.script_uses_lock", probe="bank.script", style="script")
def script_uses_lock(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    runs = [obs["serial"]] + obs["runs"]
    oracles = [run.get("oracle") or {} for run in runs]
    shared = sorted({name for found in oracles for name in found.get("shared", [])})
    writes = obs["serial"]["writes"]
    if not shared and writes["locked"] + writes["unlocked"] == 0:
        return failed("no thread updated state that another thread also uses (a global, or an "
                      "attribute of a shared object), so there is nothing a lock protects")
    for found in oracles:
        problem = race_problem(found) or unordered_problem(found)
        if problem:
            message, story = problem
            return failed(f"{message}; protect every update with the same lock", "\n".join(story))
    return passed(f"every update of shared state by a thread ({', '.join(shared[:3]) or 'globals'}) is "
                  "ordered with the other threads' accesses (a lock, or a join, queue or event)")


@check("bank.script_threads", probe="bank.script", style="script")
def script_threads(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    serial = obs["serial"]
    if serial["threads"] < 2:
        return failed(f"the script started {serial['threads']} thread(s); start several customer "
                      "threads")
    if serial["max_alive"] < 2:
        return failed(f"the script started {serial['threads']} threads but each was finished before "
                      "the next one started (join right after start?); start them all, then join")
    return passed(f"{serial['threads']} threads, up to {serial['max_alive']} running at once")
