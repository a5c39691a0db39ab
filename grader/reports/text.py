"""The human-readable report a student or instructor reads in a terminal.

Colour only marks what is already said in words (PASS/FAIL, the score), so a piped or
NO_COLOR report loses nothing. What is shown is decided by `grader.presentation.view`.

The whole report is cleaned for the terminal as it is finished (`grader.reports.clean.text`):
whatever a field holds, no escape code, control or bidi character reaches the reader. Its own
colours are marks with a secret token while it is built, turned into escape codes after the
cleaning, so the report's colours pass and a student's text cannot forge one.
"""
from __future__ import annotations

import os
import re
import secrets
from typing import IO

from grader.results import GradeReport
from grader.presentation import TaskView, points, view
from grader.reports import RenderOptions, clean, report

_COLOURS = {"good": "32", "bad": "31", "bold": "1", "dim": "2", "review": "35"}


def wants_colour(stream: IO[str]) -> bool:
    """Colour on a terminal unless NO_COLOR is set (https://no-color.org), plain when piped."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def terminal(document: str, token: str, colour: bool) -> str:
    """The document cleaned for a terminal, with its own colour marks (`\0<token><code>\0`) made
    escape codes (or dropped without colour)."""
    pieces = re.split(f"\x00{token}([0-9;]+)\x00", document)
    return "".join((f"\x1b[{piece}m" if colour else "") if i % 2 else clean.text(piece)
                   for i, piece in enumerate(pieces))


def render_view(task: TaskView, colour: bool = False) -> str:
    token = secrets.token_hex(8)

    def paint(kind: str, text: str) -> str:
        return f"\x00{token}{_COLOURS.get(kind, kind)}\x00{text}\x00{token}0\x00"

    lines = [paint("bold", f"{task.task}: {clean.line(task.file)} ({task.style}-style)")]
    checks = list(task.checks)
    if task.error:
        first, *rest = task.error.splitlines() or [""]
        lines.append(paint("bad", f"  error: {first}"))
        lines.extend(f"         {line}" for line in rest)  # the line and caret of a syntax error
        # Checks that could not run say only the error again: one line for all of them.
        not_run = [c for c in checks if c.message.strip() == first.strip()]
        if not_run:
            at_stake = sum(c.max_score for c in not_run if not c.bonus)
            lines.append(f"  not run ({points(at_stake)} points): {', '.join(c.id for c in not_run)}")
            checks = [c for c in checks if c not in not_run]
    for check in checks:
        bonus = " bonus" if check.bonus else ""
        hidden = f" ({check.visibility})" if check.visibility != "visible" else ""
        lines.append(f"  [{paint(check.label.colour, check.mark)}] {check.id:<22} "
                     f"{points(check.score)}/{points(check.max_score)}{bonus}{hidden}")
        if check.explained:
            lines.append(f"         expects: {check.expects}")
        if check.message:
            lines.extend(f"         {line}" for line in check.message.splitlines())
        if check.details and not check.passed:
            lines.extend(f"           | {line}" for line in check.details.splitlines())
    if task.withheld_checks:
        lines.append(f"  {task.withheld_line()}")
    total = f"score: {points(task.score)}/{points(task.maximum)}"
    if task.bonus:
        total += f" (+{points(task.bonus)} bonus)"
    if task.withheld_checks:
        total += " on the checks shown"
    good = task.full_marks and not task.needs_review
    lines.append(paint("good" if good else "bad", total))
    for reason in task.needs_review:
        lines.append(paint("review", f"needs review: {clean.line(reason)}"))
    if task.needs_review:
        lines.append("  (the score above stands only once your instructor has looked at this)")
    isolation = task.isolation or "none"
    if isolation.startswith("process"):
        isolation += " (a plain child process: this system offers no stronger sandbox)"
    lines.append(paint("dim", f"seed: {task.seed} (replay: {clean.line(task.replay)}), "
                              f"isolation: {clean.line(isolation)}, time: {task.seconds:.2f} s"))
    lines.extend(f"note: {clean.line(note)}" for note in task.notes)
    return terminal("\n".join(lines), token, colour)


@report("text")
def render(result: GradeReport, options: RenderOptions = RenderOptions()) -> str:
    return render_view(view(result, options.audience), options.colour)
