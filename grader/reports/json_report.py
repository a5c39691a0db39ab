"""One JSON object per submission, for course scripts.

`grader check --format json` prints one object whatever the number of tasks graded:
`{"reports": [<one of these per task>], "score", "bonus", "max_score", "exit_code",
"exit_reason"}` (`grader.cli.json_document`). In each report the keys task, score, max_score,
replay and checks[].{id, status, score, max_score, message, cause} are a stable interface;
other keys may be added. A status is passed, failed, skipped, note (no points at stake) or
error (the grader's own fault, never charged: see grader.results.Status); a cause is a short
stable code for the verdict, for counting. A report's JSON form is grader.results's codec, the
one the batch cache and grades.json use. Staff get the whole report; a student's view lists
only the checks they may see, with the figures of those checks and `withheld_points`. Every
string is cleaned as it is written (`grader.reports.clean.data`): a script that prints a message
prints no escape code.
"""
from __future__ import annotations

import json
from typing import Any

from grader.results import GradeReport, report_to_dict
from grader.presentation import STAFF, TaskView, view
from grader.reports import RenderOptions, clean, report


def view_dict(report_: GradeReport, task: TaskView) -> dict[str, Any]:
    data = report_to_dict(report_)
    if task.audience != STAFF:
        shown = {c.id for c in task.checks}
        data["checks"] = [c for c in data["checks"] if c["id"] in shown]
        data["score"], data["max_score"] = task.score + task.bonus, task.maximum
        data["withheld_checks"], data["withheld_points"] = task.withheld_checks, task.withheld_points
    return data


@report("json")
def render(result: GradeReport, options: RenderOptions = RenderOptions()) -> str:
    return json.dumps(clean.data(view_dict(result, view(result, options.audience))), indent=2)
