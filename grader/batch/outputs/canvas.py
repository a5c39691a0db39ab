"""canvas.csv: grades Canvas's Gradebook "Import" takes as they are.

Canvas's importer (GradebookImporter in canvas-lms) reads: a header whose first column contains
"Student" and second "ID", then "SIS User ID" and "SIS Login ID", with "Section" as the last
student column; every later column is an assignment, matched by the number in `Title (12345)`
or else by its exact title (an unknown title creates a new assignment); a row whose first cell
contains "Points Possible" sets the points of new assignments. A student row is matched by its
Canvas ID, then SIS User ID, then SIS Login ID, then by name ("Last, First" or "First Last").
So: exactly those student columns, one column per task titled as the instructor's assignment
(`--assignment bank="Bank account (12345)"`, or the roster's own column for it), nothing else
(any other column would become an assignment), and no column for a task nobody submitted
(it would create or overwrite an assignment with nothing in it). Scores are plain numbers; a
missing submission is a blank cell, which Canvas leaves ungraded so the course's missing-work
policy applies (a 0 would be a grade); so is a submission flagged for review, whose automated
score is withheld.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

from grader.batch.outputs import gradebook_score, output, points
from grader.batch.records import BatchResult
from grader.errors import GraderError
from grader.reports.clean import CsvWriter
from grader.presentation import nominal_maximum

HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
# Canvas drops columns whose title contains one of these (its computed totals).
RESERVED = re.compile("Current Score|Current Points|Current Grade|Final Score|Final Points|"
                      "Final Grade|Override Score|Override Grade|Override Status")


def render(result: BatchResult) -> str:
    tasks = result.submitted_tasks
    titles = [result.title(t) for t in tasks]
    for task, title in zip(tasks, titles):
        if RESERVED.search(title) or title in HEADER or not title.strip():
            raise GraderError(f"--assignment {task}={title!r}: Canvas would not read this column "
                              "as an assignment; choose another title")
    buffer = io.StringIO()
    writer = CsvWriter(buffer)  # every cell cleaned: names come from folders and rosters
    writer.writerow(HEADER + titles)
    possible = [points(nominal_maximum(result.rubric.task(t))) for t in tasks]
    writer.writerow(["    Points Possible", "", "", "", ""] + possible)
    for row in result.students:
        s = row.student
        writer.writerow([s.sortable_name or s.name, s.canvas_id, s.sis_user_id, s.sis_login_id,
                         s.section] + [gradebook_score(row.grades[t]) for t in tasks])
    return buffer.getvalue()


@output("canvas")
def write(result: BatchResult, out: Path) -> list[Path]:
    path = out / "canvas.csv"
    path.write_text(render(result), encoding="utf-8", newline="")
    return [path]
