"""The race oracle's findings as plain data (probe side) and as a student's verdict (judge side).

A probe calls `findings(sched, ...)` after a schedule and sends the result back; a judge calls
`race_problem` / `unordered_problem` / `racy_result_problem` on that data. Findings name both
threads' accesses in the student's own lines and the locks each held, so the message says what
to fix, whether or not the schedule the grader ran happened to lose money.
"""
from __future__ import annotations

import re
from typing import Any, TypedDict

from grader.probes.preempt.oracle import RacyRead, UnorderedWrites, Violation


class RaceFindings(TypedDict):
    races: list[dict[str, Any]]  # Violation.as_plain(): read-then-write windows another write broke
    unordered_writes: list[dict[str, Any]]  # UnorderedWrites.as_plain()
    shared: list[str]  # locations written by a thread the code started and accessed by another
    racy_result: dict[str, Any] | None  # RacyRead.as_plain() the main thread printed as its result


def findings(sched: Any, *, main: str | None = None, result_line: str | None = None,
             result_lines: set[int] | frozenset[int] = frozenset(),
             progress_lines: set[int] | frozenset[int] = frozenset()) -> RaceFindings:
    """What the oracle saw in one schedule. `main` names the thread whose output is the
    program's result; `result_line` is its last printed line, `result_lines` the source
    lines of the calls that printed it, `progress_lines` those that printed its other lines
    (a progress display may read a balance still changing: that is not the result)."""
    oracle = sched.oracle
    started = {t.index for t in sched.tasks if getattr(t, "thread", None) is not None}
    racy = None
    if main is not None and result_line:
        racy = _result_read(oracle.racy_reads, main, result_line, set(result_lines),
                            set(progress_lines) - set(result_lines))
    shared = oracle.shared_written(started)
    watch = getattr(sched, "watch", None)  # past the sampled part (grader/probes/preempt/watch.py)
    if watch is not None:
        shared = sorted(set(shared) | watch.shared_written(started))
    return RaceFindings(races=[v.as_plain() for v in oracle.violations],
                        unordered_writes=[w.as_plain() for w in oracle.unordered_writes],
                        shared=shared,
                        racy_result=racy.as_plain() if racy is not None else None)


def _result_read(reads: list[RacyRead], main: str, line: str, lines: set[int],
                 progress: set[int]) -> RacyRead | None:
    """The main thread's unordered read that its result line shows: read on the line that
    printed it, or a number read racily (not for a progress line) that appears in it."""
    for read in reads:
        if read.read.thread != main or read.read.line in progress:
            continue
        if read.read.line in lines:
            return read
        value = read.read.value
        if type(value) in (int, float) and not isinstance(value, bool) \
                and re.search(rf"(?<![\d.]){re.escape(str(value))}(?![\d.])", line):
            return read
    return None


def race_problem(data: RaceFindings | dict[str, Any]) -> tuple[str, list[str]] | None:
    """The first atomicity violation, as (message, story lines)."""
    races = data.get("races") or []
    if not races:
        return None
    found = Violation.from_plain(races[0])
    held = set(found.start.locks) & set(found.write.locks)
    if found.via is not None:
        theirs = f"holding {', '.join(found.other.locks)}" if found.other.locks else "holding no lock"
        message = (f"{found.write.thread} takes an index from {found.location} "
                   f"({_where(found.via)}) and writes {found.write.label} ({_where(found.write)}) "
                   f"while {found.other.thread} changes {found.location} ({_where(found.other)}; "
                   f"{theirs}): nothing orders the two, so two threads can get the same index. "
                   "Hold one lock from the change to the write, or append the finished result "
                   "in one call")
        story = ["The accesses (each with the locks its thread held):"] + found.lines()
        return message, story
    verb = "checks" if found.start.kind == "check" else "reads"
    if held & set(found.other.locks):
        message = (f"{found.write.thread} {verb} {found.location} ({_where(found.start)}) and updates "
                   f"it ({_where(found.write)}) in two separate holdings of {sorted(held)[0]}; "
                   f"{found.other.thread}'s write ({_where(found.other)}) can fall in between")
    else:
        mine = f"holding {', '.join(sorted(held))}" if held else "with no lock held across both"
        theirs = f"holding {', '.join(found.other.locks)}" if found.other.locks else "holding no lock"
        both = _where(found.write) if _where(found.start) == _where(found.write) \
            else f"{_where(found.start)}, then {_where(found.write)}"
        message = (f"{found.write.thread} {verb} and then writes {found.location} "
                   f"({both}; {mine}) while "
                   f"{found.other.thread} writes it ({_where(found.other)}; {theirs}): nothing orders "
                   "the two, so an update can be lost")
    story = ["The accesses (each with the locks its thread held):"] + found.lines()
    if len(races) > 1:
        story.append(f"({len(races) - 1} more such place(s) found)")
    return message, story


def unordered_problem(data: RaceFindings | dict[str, Any]) -> tuple[str, list[str]] | None:
    """Two threads' unordered writes (no lock or other synchronisation between them)."""
    pairs = data.get("unordered_writes") or []
    if not pairs:
        return None
    found = UnorderedWrites.from_plain(pairs[0])
    message = (f"{found.first.thread} and {found.second.thread} both write {found.location} "
               f"({_where(found.first)}, {_where(found.second)}) with nothing ordering the writes "
               "(no common lock)")
    return message, [f"  {found.first.text()}", f"  {found.second.text()}"]


def racy_result_problem(data: RaceFindings | dict[str, Any]) -> tuple[str, list[str]] | None:
    """The main thread printed, as its result, a value other threads were still writing."""
    racy = data.get("racy_result")
    if not racy:
        return None
    found = RacyRead.from_plain(racy)
    message = (f"the main thread printed its result from {found.location} ({_where(found.read)}) while "
               f"{found.write.thread} could still write it ({_where(found.write)}): join the threads "
               "before printing the final balance")
    return message, [f"  {found.read.text()}", f"  {found.write.text()}"]


def _where(access: Any) -> str:
    name = access.file.rsplit("/", 1)[-1]
    return f"{name}:{access.line}" if access.line else name
