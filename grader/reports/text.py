"""The human-readable report a student or instructor reads in a terminal."""
from __future__ import annotations

from grader.grading import GradeReport
from grader.reports import report

MARKS = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}


def _points(value: float) -> str:
    return f"{value:g}"


@report("text")
def render(result: GradeReport) -> str:
    lines = [f"{result.task}: {result.file} ({result.style}-style)"]
    if result.error:
        lines.append(f"  error: {result.error}")
    for check in result.checks:
        bonus = " bonus" if check.bonus else ""
        head = (f"  [{MARKS.get(check.status, check.status)}] {check.id:<22} "
                f"{_points(check.score)}/{_points(check.max_score)}{bonus}")
        lines.append(head)
        if check.status == "failed":
            lines.append(f"         expects: {check.description}")
        if check.message:
            lines.extend(f"         {line}" for line in check.message.splitlines())
        if check.details and check.status != "passed":
            lines.extend(f"           | {line}" for line in check.details.splitlines())
    bonus = sum(c.score for c in result.checks if c.bonus)
    total = f"score: {_points(result.score - bonus)}/{_points(result.max_score)}"
    if bonus:
        total += f" (+{_points(bonus)} bonus)"
    lines.append(total)
    lines.append(f"seed: {result.seed} (replay with --seed {result.seed}), isolation: "
                 f"{result.isolation or 'none'}, time: {result.seconds:.2f} s")
    lines.extend(f"note: {note}" for note in result.notes)
    return "\n".join(lines)
