"""Gradescope's results.json, for each student (and for the Gradescope autograder bundle).

Follows Gradescope's autograder specification: a top-level `score` (which overrides the sum of
the tests), optional `execution_time` (seconds), `output`, `stdout_visibility`, and `tests`,
each with `name`, `number`, `score`, `max_score`, `status` ("passed" or "failed"; a skipped
check and a grader error are failed, a note with no points at stake is passed, the output says
why), `output` (shown to students in a collapsed <pre>),
`tags` and `visibility` (the rubric's own: visible, hidden, after_due_date, after_published).
Bonus checks keep their points as max_score and carry a "bonus" tag; the assignment's total on
Gradescope is the rubric's maximum without them. Every output is declared plain text
(`output_format`, `test_output_format`, `test_name_format`: Gradescope would otherwise read
Markdown-like formatting in it) and every string is cleaned as it is written
(`grader.reports.clean.data`).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grader.batch.outputs import output, points, score_text, student_files
from grader.batch.records import BatchResult, StudentResult, TaskGrade
from grader.presentation import STAFF, check_text, view
from grader.reports import clean


def _task_tests(number: int, task: str, grade: TaskGrade) -> list[dict[str, Any]]:
    if grade.report is None or not grade.report.checks:
        why = grade.note or (grade.report.error if grade.report else "") or "not graded"
        return [{"name": f"{task}: submission", "number": f"{number}.0", "score": 0.0,
                 "max_score": grade.max_score, "status": "failed", "output": why,
                 "tags": [task], "visibility": "visible"}]
    tests = []
    # Gradescope applies each test's visibility itself, so every check goes in, with its own.
    task_view = view(grade.report, STAFF, grade.needs_review)
    if grade.decision:
        tests.append({"name": f"{task}: instructor's decision", "number": f"{number}.0", "score": 0.0,
                      "max_score": 0.0, "status": "passed",
                      "output": f"{grade.decision}. The checks below gave {points(grade.automated)}; "
                                f"the grade is {points(grade.score)}.", "tags": [task, "decision"],
                      "visibility": "visible"})
    for reason in task_view.needs_review:
        tests.append({"name": f"{task}: needs review", "number": f"{number}.0", "score": 0.0, "max_score": 0.0,
                      "status": "failed", "output": f"{reason}. The score stands once your instructor "
                                                    "has looked at it.", "tags": [task, "needs-review"],
                      "visibility": "visible"})
    for index, check in enumerate(task_view.checks, 1):
        tests.append({
            "name": f"{task}: {check.id}" + (" (bonus)" if check.bonus else ""),
            "number": f"{number}.{index}",
            "score": check.score,
            "max_score": check.max_score,
            "status": check.label.outcome,
            "output": check_text(check),
            "tags": [task] + (["bonus"] if check.bonus else []),
            "visibility": check.visibility,
        })
    return tests


def results(row: StudentResult, tasks: list[str]) -> dict[str, Any]:
    tests: list[dict[str, Any]] = []
    summary = []
    seconds = 0.0
    for number, task in enumerate(tasks, 1):
        grade = row.grades[task]
        tests += _task_tests(number, task, grade)
        line = f"{task}: {score_text(grade)}"
        if grade.report is not None:
            seconds += grade.report.seconds
            line += f" ({grade.submitted_name}, {grade.report.style}-style, seed {grade.report.seed})"
            if grade.note and grade.note != grade.report.error:  # e.g. which misnamed file was graded
                line += f"\n  {grade.note.splitlines()[0]}"
            if grade.report.error:
                line += f"\n  {grade.report.error}"
        summary.append(line)
    if row.withheld:
        summary.append(f"The score leaves out {', '.join(row.withheld)} until your instructor has "
                       "reviewed it.")
    return {
        # The grade of record (overrides applied, withheld grades left out); Gradescope takes
        # this over the sum of the tests, which stay the checks' own.
        "score": round(row.total, 4),
        "execution_time": int(round(seconds)),
        "output": "\n".join(summary),
        "stdout_visibility": "hidden",
        "output_format": "text",
        "test_output_format": "text",
        "test_name_format": "text",
        "tests": tests,
    }


@output("gradescope")
def write(result: BatchResult, out: Path) -> list[Path]:
    written = []
    names = student_files(result)
    for row in result.students:
        folder = out / "gradescope" / names[row.student.key]
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "results.json"
        path.write_text(json.dumps(clean.data(results(row, result.tasks)), indent=2) + "\n",
                        encoding="utf-8")
        written.append(path)
    return written
