"""grades.csv: one row per student for spreadsheets and gradebooks that map columns at import.

Totals and the reason for a blank or a zero sit next to the scores (Moodle's own assignment
worksheet is `moodle-<task>.csv`). As in canvas.csv, a missing submission, files that could not
be matched, a grading that broke and a grade withheld for review are blank cells; a total that
holds a withheld grade is blank too; a task nobody submitted has no column. Text that came from
a submission (an error message may quote the student's code, a folder or file name is the
student's) is cleaned in every cell by the writer itself (`grader.reports.clean.CsvWriter`):
no formula, no control character.
"""
from __future__ import annotations

import io
from pathlib import Path

from grader.batch.outputs import grade_notes, gradebook_score, output, points, total_cell
from grader.batch.records import BatchResult, GradeStatus, StudentResult
from grader.reports.clean import CsvWriter


def _notes(row: StudentResult, result: BatchResult, roster_used: bool) -> str:
    notes = []
    for task in result.tasks:
        notes += [f"{task}: {note}" for note in grade_notes(row.grades[task], result)]
    if row.late:
        notes.append("late")
    if roster_used and not row.student.on_roster:
        notes.append("not on the roster")
    notes += row.notes
    return "; ".join(notes)


def render(result: BatchResult) -> str:
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    tasks = result.submitted_tasks
    header = ["ID", "Full name", "Email address", "Section"]
    for task in tasks:
        header += [result.title(task), f"{result.title(task)} max"]
    header += ["Total", "Total max", "Late", "Status", "Notes"]
    writer.writerow(header)
    for row in result.students:
        s = row.student
        cells = [s.key, s.name, s.email, s.section]
        for task in tasks:
            cells += [gradebook_score(row.grades[task]), points(row.grades[task].max_score)]
        status = "submitted" if row.submitted else "no submission"
        if any(g.status == GradeStatus.UNMATCHED and not g.overridden for g in row.grades.values()):
            status = "could not match"
        if row.withheld:
            status = "needs review"
        cells += [total_cell(row), points(row.max_total), "yes" if row.late else "no", status,
                  _notes(row, result, result.roster_used)]
        writer.writerow(cells)
    return buffer.getvalue()


@output("csv")
def write(result: BatchResult, out: Path) -> list[Path]:
    path = out / "grades.csv"
    path.write_text(render(result), encoding="utf-8", newline="")
    return [path]
