"""moodle-<task>.csv: Moodle's offline grading worksheet, for the assignment's "Upload grading
worksheet" (one file per task: a Moodle assignment is one task).

Moodle's importer (mod/assign/feedback/offline, `assignfeedback_offline_grade_importer`) finds
its columns by their English titles: `Identifier` (`Participant <id>`, the participant id that
also names the student's folder in Moodle's "Download all submissions"), `Grade` and `Last
modified (grade)` are required, and each enabled feedback plugin's field by its description
(`Feedback comments`). The other columns of Moodle's own worksheet (Full name, Email address,
Status, Maximum Grade, Grade can be changed) are there for the person reading it. On import,
Moodle skips a row whose grade is blank (missing work, files that could not be matched, a grade
withheld for review, a grading that broke), above the assignment's maximum (a bonus is capped
here at the maximum, the comment says by how much), or changed in Moodle after `Last modified
(grade)`: that is the worksheet's own time when Moodle's worksheet was the roster, else the
time this file was written (so nothing changed in Moodle since the batch is overwritten).

Rows need a participant id: a Moodle download (its folder names carry it) or Moodle's
worksheet as `--roster`. A class without either gets no worksheet.
"""
from __future__ import annotations

import io
from datetime import datetime, timezone
from pathlib import Path

from grader.batch.outputs import output, points, safe_filename
from grader.batch.records import BatchResult, GradeStatus, StudentResult, TaskGrade
from grader.presentation import FEEDBACK, view
from grader.reports import clean
from grader.reports.clean import CsvWriter

HEADER = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
          "Grade can be changed", "Last modified (grade)", "Feedback comments"]
HIDDEN_USER = "Participant "  # Moodle's get_string('hiddenuser', 'assign'), stripped on import


def identifier(row: StudentResult) -> str:
    return f"{HIDDEN_USER}{row.student.moodle_id}" if row.student.moodle_id else ""


def grade_cell(grade: TaskGrade) -> tuple[str, str]:
    """(the Grade cell, a note on it): blank where Moodle must not record a grade."""
    if not grade.overridden and (grade.status != GradeStatus.GRADED or grade.withheld):
        return "", ""
    if grade.score > grade.max_score > 0:
        return points(grade.max_score), (f"{points(grade.score)} points with the bonus; Moodle takes at "
                                         f"most {points(grade.max_score)}")
    return points(grade.score), ""


def status(grade: TaskGrade) -> str:
    if grade.status == GradeStatus.MISSING:
        return "No submission"
    words = {GradeStatus.UNMATCHED: "could not match a file", GradeStatus.BROKEN: "grading failed"}
    extra = "needs review" if grade.withheld else words.get(grade.status, "")
    return "Submitted for grading" + (f" - {extra}" if extra else "")


def comments(grade: TaskGrade, note: str) -> str:
    """Feedback comments (Moodle shows them as HTML): the grade, the instructor's decision, which
    file was graded when it was not named as the task's, and every check that lost points, one
    per line."""
    lines = []
    if grade.withheld:
        lines.append("Your grade is withheld until your instructor has reviewed it.")
    elif grade.status != GradeStatus.GRADED and not grade.overridden:
        lines.append(grade.note.splitlines()[0] if grade.note.strip() else str(grade.status))
    else:
        lines.append(f"{points(grade.score)} / {points(grade.max_score)}")
    if grade.decision:
        lines.append(grade.decision)
    if grade.graded_file_note:
        lines.append(grade.graded_file_note)
    if note:
        lines.append(note)
    if grade.report is not None and not grade.withheld:
        for check in view(grade.report, FEEDBACK, grade.needs_review).checks:
            if check.score < check.max_score and not check.bonus:
                lines.append(f"{check.id} {points(check.score)}/{points(check.max_score)}: {check.summary}")
    return "<br>".join(clean.html(clean.line(line)) for line in lines)


def render(result: BatchResult, task: str, now: str) -> str:
    buffer = io.StringIO()
    writer = CsvWriter(buffer)  # every cell cleaned (no formula, no control character)
    writer.writerow(HEADER)
    for row in result.students:
        ident = identifier(row)
        if not ident:
            continue
        grade = row.grades[task]
        value, note = grade_cell(grade)
        s = row.student
        writer.writerow([ident, s.name, s.email, status(grade), value,
                         points(grade.max_score), "Yes", s.moodle_modified or now, comments(grade, note)])
    return buffer.getvalue()


@output("moodle")
def write(result: BatchResult, out: Path) -> list[Path]:
    if not any(row.student.moodle_id for row in result.students):
        return []
    now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    written = []
    taken: set[str] = set()
    for task in result.submitted_tasks:
        path = out / f"moodle-{safe_filename(task, taken)}.csv"
        path.write_text(render(result, task, now), encoding="utf-8", newline="")
        written.append(path)
    return written
