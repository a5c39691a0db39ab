"""The human-readable report a student or instructor reads in a terminal.

Colour only marks what is already said in words (PASS/FAIL, the score), so a piped or
NO_COLOR report loses nothing. What is shown is decided by `grader.presentation.view`.
"""
from __future__ import annotations

import os
from typing import IO

from grader.results import GradeReport
from grader.presentation import TaskView, points, view
from grader.reports import RenderOptions, report

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


def render_view(task: TaskView, colour: bool = False) -> str:
    def paint(kind: str, text: str) -> str:
        return f"\x1b[{_COLOURS.get(kind, kind)}m{text}\x1b[0m" if colour else text

    lines = [paint("bold", f"{task.task}: {task.file} ({task.style}-style)")]
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
        lines.append(paint("review", f"needs review: {reason}"))
    if task.needs_review:
        lines.append("  (the score above stands only once your instructor has looked at this)")
    isolation = task.isolation or "none"
    if isolation.startswith("process"):
        isolation += " (a plain child process: this system offers no stronger sandbox)"
    lines.append(paint("dim", f"seed: {task.seed} (replay: {task.replay}), isolation: {isolation}, "
                              f"time: {task.seconds:.2f} s"))
    lines.extend(f"note: {note}" for note in task.notes)
    return "\n".join(lines)


@report("text")
def render(result: GradeReport, options: RenderOptions = RenderOptions()) -> str:
    return render_view(view(result, options.audience), options.colour)
