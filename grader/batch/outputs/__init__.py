"""Whole-class outputs, registered by name; one module per format.

`grader/reports/` renders one submission's report; a module here writes files for a whole
batch (a gradebook CSV, a results.json per student, an HTML report). A new format is one new
module with an `@output("name")` function taking the batch's result and the output folder and
returning the files it wrote. A writer cleans every string where it writes it, with the function
of its kind in `grader.reports.clean` (CsvWriter for a CSV, `html`, `markdown`, `data` for JSON,
`junit.document` for XML); tests/test_batch_parts.py holds every registered output to it.
"""
from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path
from typing import Callable

from grader.batch.records import BatchResult, GradeStatus, StudentResult, TaskGrade
from grader.presentation import TaskView, points, view

Writer = Callable[[BatchResult, Path], list[Path]]
OUTPUTS: dict[str, Writer] = {}


def output(name: str) -> Callable[[Writer], Writer]:
    def register(fn: Writer) -> Writer:
        OUTPUTS[name] = fn
        return fn

    return register


def load_outputs() -> dict[str, Writer]:
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    return OUTPUTS


def safe_filename(key: str, taken: set[str]) -> str:
    """A file name for a student's own file: their key, reduced to characters safe on every
    system, made unique (keys differing only in unsafe characters get a short hash)."""
    import hashlib

    name = re.sub(r"[^A-Za-z0-9._-]+", "_", key).strip("._") or "student"
    name = name[:80]
    if name.lower() in taken:
        name = f"{name}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"
    taken.add(name.lower())
    return name


def gradebook_score(grade: TaskGrade) -> str:
    """A gradebook cell: the score, or blank for a missing submission (so the LMS's own
    missing-work policy applies, where 0 would be a grade), for files that could not be matched
    to the task (someone must look), for one flagged for review (its automated score is
    withheld until someone has looked) and for one whose grading broke (the grader's fault is
    never a 0; the notes say why)."""
    if grade.overridden:
        return points(grade.score)
    if grade.status in (GradeStatus.MISSING, GradeStatus.UNMATCHED, GradeStatus.BROKEN) or grade.withheld:
        return ""
    return points(grade.score)


def total_cell(row: StudentResult) -> str:
    """A total as a gradebook or a person reads it: blank while a grade in it is withheld for
    review (a partial sum would read as final)."""
    return "" if row.withheld else points(row.total)


def score_text(grade: TaskGrade) -> str:
    """One grade of record in words, the same in every output: `16 / 18`, `16 / 18 (set by
    your instructor)`, `withheld / 18 (needs review)`, `- / 18 (no submission)`."""
    out_of = f" / {points(grade.max_score)}"
    if grade.overridden:
        return f"{points(grade.score)}{out_of} (set by your instructor)"
    if grade.withheld:
        return f"withheld{out_of} (needs review)"
    if grade.status != GradeStatus.GRADED:
        first = grade.note.splitlines()[0] if grade.note.strip() else str(grade.status)
        return f"-{out_of} ({first})"
    return f"{points(grade.score)}{out_of}"


def grade_view(grade: TaskGrade, audience: str) -> TaskView | None:
    """The grade's report as `audience` reads it, with the review reasons that still stand after
    the instructor's overrides; None for a submission never graded."""
    return None if grade.report is None else view(grade.report, audience, grade.needs_review)


def grade_notes(grade: TaskGrade, result: BatchResult) -> list[str]:
    """What an instructor should know about one grade besides its score, in every output."""
    notes = [f"needs review: {reason}" for reason in grade.needs_review]
    if grade.decision:
        notes.append(grade.decision)
    if grade.note:
        notes.append(grade.note.splitlines()[0] if grade.note.strip() else grade.note)
    others = result.identical(grade)
    if others:
        notes.append(f"identical to {others} other submission{'s' if others > 1 else ''}")
    return notes


def student_files(result: BatchResult) -> dict[str, str]:
    """Each student's file name stem, the same in every output (feedback, results.json)."""
    taken: set[str] = set()
    return {s.student.key: safe_filename(s.student.key, taken) for s in result.students}
