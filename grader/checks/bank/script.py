"""Bank programs as they are run: whatever their shape, the file runs as `__main__`.

The program runs under the cooperative scheduler (grader/probes/preempt/runner.py) once as the
reference (threads switch only when they block, sleep or end: the result its author intended),
then under seeded forced thread switches, each a sample of `budget` scheduling points. Race
verdicts come from the race oracle (grader/probes/preempt/verdict.py): a read-then-write another
thread's write can break, unordered writes, a result printed while threads still write it; a
final state that merely differs (random amounts, who got the last money) is legitimate. A
program that never ends (a simulation) is stopped after a fixed span of virtual time and
judged on what it did until then; `input()` answers from a scripted session (the rubric's
`input:`, grader/probes/preempt/answers.py) and a program that asks for more is stopped there, not
failed; the messages say so.
"""
from __future__ import annotations

from typing import Any

from grader.checks import observations as shapes
from grader.checks.bank.harness import run_program
from grader.probes.preempt.answers import INPUT_STOP
from grader.probes.preempt.explain import lost_update, recent, replay
from grader.probes.preempt.instrument import _shared_names
from grader.probes.preempt.runner import program_code
from grader.probes.preempt.verdict import race_problem, racy_result_problem, unordered_problem
from grader.probes.probing import ProbeContext, exc_text
from grader.probes.protocol import Tampered
from grader.probes.registry import JudgeContext, Verdict, check, failed, passed, probe, skipped
from grader.probes import syntax

STOP_HINT = ("it read past the end of the grader's scripted input (the rubric's `input:`), and the "
             "grader runs a program with no command-line arguments")


def _input_eof(run: dict[str, Any]) -> dict[str, Any] | None:
    return next((e for e in run["errors"] if e.get("type") == "EOFError"), None)


def _errors(run: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in run["errors"] if e.get("type") != "EOFError"]


def _finished(serial: dict[str, Any]) -> bool:
    """The reference run ended by itself or was stopped by the grader's limits, with no fault."""
    return serial["status"] not in ("deadlock", "stall") and not _errors(serial)


SERIAL_ENDS = 4  # one-at-a-time runs (the reference, then seeded: who goes first when a thread
# blocks) whose ends a program may legitimately reach; the seeded ones run only when a forced
# run's end differs from the reference's


def _end_differs(serial: dict[str, Any], run: dict[str, Any]) -> str | None:
    for name, value in serial["globals"].items():
        if run["globals"].get(name) != value:
            return f"`{name}` ended as {run['globals'].get(name)!r} instead of {value!r}"
    if serial["last_by_main"] and run["last_line"] != serial["last_line"]:
        return f"it printed {run['last_line']!r} instead of {serial['last_line']!r}"
    return None


def _differs(serial: dict[str, Any], run: dict[str, Any],
             ends: list[dict[str, Any]] = ()) -> str | None:  # type: ignore[assignment]
    """How a run's end differs from every one-at-a-time run's end (the reference run's and the
    seeded `ends`): a fact, not yet a verdict. A different end is a bug only where the race
    oracle names an unordered write; an end some one-at-a-time run reaches is legitimate."""
    if run["stopped"] or serial["stopped"]:
        return None  # a sample of a longer run: there is no end to compare
    first = _end_differs(serial, run)
    if first is None or any(_end_differs(end, run) is None for end in ends if not end["stopped"]):
        return None
    if ends:
        others = [_end_differs(end, run) for end in ends if not end["stopped"]]
        return first + (f" (nor as in {len(others)} other one-at-a-time run(s) with other "
                        "thread orders)" if others else "")
    return first


def _problem(run: dict[str, Any]) -> tuple[str, list[str]] | None:
    """What is wrong with one run: a deadlock, a thread that raised, an update the race oracle
    says another thread's write can break, or a result printed while still being written.
    Being stopped by the grader's limits (a simulation that never ends) is not a fault."""
    if run.get("lost_wakeup"):
        wake = run["lost_wakeup"]
        return (f"a lost wake-up: {wake['waiter']} waits on a Condition at {wake['wait_at']} "
                f"for the notify {wake['notifier']} sends at {wake['notify_at']}; when "
                f"{wake['notifier']} runs first its notify comes before the wait, nobody is "
                f"waiting yet, and {wake['waiter']} then waits forever. Wait in a loop that "
                "re-checks what it waits for under the lock (`while not ready: cond.wait()`) "
                "or use cond.wait_for(...)",
                [f"{d['thread']} {d['waits']}" for d in run.get("deadlock", [])])
    if run["status"] in ("deadlock", "stall"):
        why = {"deadlock": "the threads deadlocked",
               "stall": "a thread blocked in something the grader cannot schedule"}[run["status"]]
        return why, [f"{d['thread']} {d['waits']}" for d in run.get("deadlock", [])]
    if _errors(run):
        return "a thread raised " + exc_text(_errors(run)[0]), []
    oracle = run.get("oracle") or {}
    return race_problem(oracle) or racy_result_problem(oracle)


@probe("bank.script", data=shapes.BankScript)
def script_probe(ctx: ProbeContext) -> dict[str, Any] | Tampered:
    code = program_code(ctx)
    shared = sorted(_shared_names(syntax.parse(ctx.source)))
    serial = run_program(ctx, code, shared, ctx.seed, serial=True)
    serial.pop("_events")
    if serial.get("tampered"):
        return Tampered(serial["tampered"])
    if serial["killed_working"]:
        # Daemon threads were still working when the program exited. Would they have ended?
        # Then the exit cut their work short; a monitor that loops forever loses nothing.
        # Bounded: ten times the points the program itself took, plus room for its daemons'
        # work (a daemon that spins forever is a monitor, not work cut short).
        longer = run_program(ctx, code, shared, ctx.seed, serial=True, daemons_die=False,
                      max_steps=10 * serial["steps"] + 200_000)
        if longer.get("tampered"):
            return Tampered(longer["tampered"])
        serial["cut_short"] = [name for name in serial["killed_working"]
                               if name not in longer["unfinished"]]
    runs: list[dict[str, Any]] = []
    if _finished(serial):
        lost = _lost_wakeup(ctx, code, shared, serial)
        if isinstance(lost, str):
            return Tampered(lost)
        if lost is not None:
            runs.append(lost)
    ends: list[dict[str, Any]] = []  # other one-at-a-time runs' ends, made when a forced run differs
    lines = ctx.source.splitlines()
    for index in range(int(ctx.param("schedules", 6)) if not runs else 0):
        run = run_program(ctx, code, shared, ctx.seed + index, serial=False)
        events = run.pop("_events")
        if run.get("tampered"):
            return Tampered(run["tampered"])
        runs.append(run)
        if _finished(serial) and not ends and _differs(serial, run):
            for extra in range(1, SERIAL_ENDS):
                end = run_program(ctx, code, shared, ctx.seed + extra, serial=True, ordered=False)
                end.pop("_events")
                if end.get("tampered"):
                    return Tampered(end["tampered"])
                ends.append({key: end[key] for key in ("seed", "globals", "last_line",
                                                       "last_by_main", "stopped")})
        if _finished(serial) and _problem(run):
            if _differs(serial, run, ends) or run["status"] == "budget":
                run["story"] = lost_update(events, ctx.filename, lines) or recent(events, ctx.filename, lines)
            break
    return {"serial": serial, "runs": runs, "shared": shared, "serial_ends": ends}


def _reads_input(serial: dict[str, Any]) -> bool:
    return bool(serial.get("answers_read")) or serial["status"] == INPUT_STOP


def _lost_wakeup(ctx: ProbeContext, code: Any, shared: list[str],
                 serial: dict[str, Any]) -> dict[str, Any] | str | None:
    """A Condition wait no loop re-checks, ended by another thread's notify: in the order where
    the notifier runs first (the waiter held back until nobody else can run), is the notify lost
    and the wait never ended? Returns that run, with the two threads' lines; a str if the
    program tampered with the grader."""
    tried: set[tuple[str, int | None]] = set()
    for wake in serial.get("wakeups", []):
        # Held back where it took the lock it waits with (the notifier slips in before its
        # check), else from its start (before it took the lock at all).
        for hold in dict.fromkeys((wake.get("lock_line"), None)):
            if (wake["waiter"], hold) in tried or len(tried) >= 4:
                continue
            tried.add((wake["waiter"], hold))
            run = run_program(ctx, code, shared, ctx.seed, serial=True, behind={wake["waiter"]: hold})
            events = run.pop("_events")
            if run.get("tampered"):
                return run["tampered"]
            stuck = [d for d in run["deadlock"] if d["thread"] == wake["waiter"]]
            if run["status"] == "deadlock" and stuck:
                lines = ctx.source.splitlines()
                run["lost_wakeup"] = {**wake, **{
                    f"{end}_at": f"{ctx.filename}:{wake[f'{end}_line']}" + (
                        f" `{lines[wake[f'{end}_line'] - 1].strip()}`"
                        if wake[f"{end}_line"] and wake[f"{end}_line"] <= len(lines) else "")
                    for end in ("wait", "notify")}}
                run["story"] = recent(events, ctx.filename, ctx.source.splitlines())
                return run
    return None


def _stop_note(serial: dict[str, Any]) -> str:
    note = ""
    if _reads_input(serial):
        note = (f"; this program reads input(), so it was graded on a scripted session (answers "
                f"{serial.get('answers', '')}: it read {serial.get('answers_read', 0)})")
    if (eof := _input_eof(serial)) is not None:
        where = f" at {eof['where']}" if eof.get("where") else ""
        return note + f"; it stopped at input(){where}: {STOP_HINT}"
    if serial["stopped"]:
        return note + f"; it was {serial['stopped']} and was stopped there (not a fault)"
    return note


@check("bank.script_threads", probe="bank.script", style="program")
def script_threads(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    serial = obs["serial"]
    if serial["threads"] < 2:
        errors = _errors(serial)
        crash = f"; it raised {exc_text(errors[0])} first" if errors and not serial["threads"] else ""
        return failed(f"your program started {serial['threads']} thread(s); start several customer "
                      "threads" + crash + _stop_note(serial))
    if serial["max_alive"] < 2:
        return failed(f"your program started {serial['threads']} threads but each was finished before "
                      "the next one started (join right after start?); start them all, then join")
    return passed(f"{serial['threads']} threads, up to {serial['max_alive']} running at once")


def _deadlock_kind(serial: dict[str, Any]) -> str:
    """What the deadlocked threads wait for, in the words that say what to change."""
    waits = [d["waits"] for d in serial["deadlock"]]
    if any(w.endswith("which it already holds itself") for w in waits):
        return ("a thread waits for a lock it already holds (a Lock is not reentrant: take it "
                "once, or use an RLock)")
    if sum(", held by " in w for w in waits) >= 2:
        return ("each thread waits for a lock another thread holds (take the locks in one "
                "fixed order)")
    return "every thread waits for another (a lock, join or wait that nothing ends)"


@check("bank.script_runs", probe="bank.script", style="program")
def script_runs(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    serial = obs["serial"]
    errors = _errors(serial)
    details = "\n".join(f"{d['thread']} {d['waits']}" + "".join(f"\n    {s}" for s in d.get("stack", []))
                        for d in serial["deadlock"])
    if errors and serial["status"] == "deadlock" and serial["deadlock"]:
        return failed(f"your program's threads deadlocked without any forced thread switch "
                      f"(each ran until it waited: a sleep, a lock, a join) "
                      f"({_deadlock_kind(serial)}; the program never exits), and running it "
                      f"raised {exc_text(errors[0])}", details)
    if errors:
        return failed(f"running your program raised {exc_text(errors[0])}")
    if serial["status"] in ("deadlock", "stall"):
        what = (f"its threads deadlocked: {_deadlock_kind(serial)}" if serial["status"] == "deadlock"
                else "a thread blocked in something the grader cannot schedule")
        return failed("your program did not finish even without forced thread switches (each "
                      f"thread ran until it waited: a sleep, a lock, a join): {what}", details)
    if serial.get("cut_short"):
        names = ", ".join(serial["cut_short"][:3])
        return failed(f"your program exited while its daemon thread(s) {names} still had work "
                      "to do: Python waits at exit only for non-daemon threads and kills daemon "
                      "ones, so what they had left to deposit and print was lost; join them "
                      "before the end (or do not make them daemons)",
                      f"it printed {serial['last_line']!r} last")
    if not serial["output"].strip():
        return failed("your program printed nothing; print the balance (at least at the end)"
                      + _stop_note(serial))
    if serial["stopped"] or _input_eof(serial) or _reads_input(serial):
        return passed(f"your program ran and printed {serial['last_line']!r}" + _stop_note(serial))
    return passed(f"your program ran to completion and printed {serial['last_line']!r}")


@check("bank.script_consistent", probe="bank.script", style="program")
def script_consistent(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    serial = obs["serial"]
    if not _finished(serial):
        return skipped("skipped: your program did not run to completion even without forced "
                       "thread switches, so there is no result to compare (see script_runs)")
    if serial["threads"] == 0 and not any(run["threads"] for run in obs["runs"]):
        return skipped("skipped: your program started no threads, so nothing ran concurrently to "
                       "check (see script_threads)" + _stop_note(serial))
    for run in [serial] + obs["runs"]:
        found = _problem(run)
        if found:
            why, story = found
            seeded = ("" if run is serial or run.get("lost_wakeup") else
                      f"with forced thread switches (schedule seed {run['seed']}) ")
            differs = _differs(serial, run, obs.get("serial_ends", [])) if run is not serial else None
            details = list(story)
            if differs:
                details.append(f"In this schedule {differs}.")
            if run.get("story"):
                details += ["How it happened:"] + run["story"]
            details.append(replay("bank", ctx.filename, run["seed"]))
            return failed(f"{seeded}{why}", "\n".join(details), seed=run["seed"])
    sampled = "" if not serial["stopped"] else f" ({serial['stopped']}: judged on what it did)"
    same = sum(1 for run in obs["runs"] if not _differs(serial, run, obs.get("serial_ends", [])))
    return passed(f"no update of shared state that another thread can break, in "
                  f"{len(obs['runs']) + 1} schedules ({same} of {len(obs['runs'])} with forced "
                  "switches ended as a one-at-a-time run does; the others differ only in what "
                  "legitimately depends on timing)" + sampled if same < len(obs["runs"]) else
                  (f"each of {len(obs['runs'])} schedules with forced thread switches ended as a "
                   "one-at-a-time run (in some order of the threads) does"
                   if obs.get("serial_ends") else
                   f"the same result in {len(obs['runs'])} schedules with forced thread switches")
                  + ", and no update of shared state that another thread can break" + sampled)


@check("bank.script_uses_lock", probe="bank.script", style="program")
def script_uses_lock(obs: dict[str, Any], ctx: JudgeContext) -> Verdict:
    serial = obs["serial"]
    runs = [serial] + obs["runs"]
    oracles = [run.get("oracle") or {} for run in runs]
    shared = sorted({name for found in oracles for name in found.get("shared", [])})
    writes = {key: sum(run["writes"][key] for run in runs) for key in ("locked", "unlocked")}
    if not shared and writes["locked"] + writes["unlocked"] == 0:
        if serial["threads"] == 0 or not _finished(serial):
            return skipped("skipped: no thread updated shared state before your program stopped or "
                           "ended (see script_runs and script_threads), so there is no lock use to "
                           "check")
        return failed("no thread updated state that another thread also uses (a global, or an "
                      "attribute of a shared object), so there is nothing a lock protects")
    for found in oracles:
        problem = race_problem(found) or unordered_problem(found)
        if problem:
            message, story = problem
            return failed(f"{message}; protect every update with the same lock", "\n".join(story))
    return passed(f"every update of shared state by a thread ({', '.join(shared[:3]) or 'globals'}) is "
                  "ordered with the other threads' accesses (a lock, or a join, queue or event)")
