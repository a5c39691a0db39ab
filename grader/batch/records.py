"""The plain records a batch passes between its steps.

Kept free of behaviour so that every output module reads the same facts the same way, and so
that a batch's result can be rebuilt from the cache without running anything.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from grader.batch.naming import uploaded_name
from grader.results import GradeReport
from grader.rubric import Rubric



class GradeStatus(str, enum.Enum):
    """What became of one student's task in a batch (grades.json writes the word)."""

    GRADED = "graded"
    MISSING = "missing"  # no file: the LMS's missing-work policy applies
    # Files were submitted but none could be taken for the task (several candidates, a .docx):
    # not "missing", and never a 0: the gradebook cell stays blank until the instructor looks.
    UNMATCHED = "unmatched"
    # The grading could not finish (the files could not be read, the grader raised): the
    # grader's fault, never a score. Written "failed", the word grades.json always had.
    BROKEN = "failed"

    def __str__(self) -> str:
        return self.value

    __format__ = str.__format__  # type: ignore[assignment]  # the word in f-strings, as str()


@dataclass(frozen=True)
class Student:
    """Who a row of the gradebook belongs to.

    `key` is unique within a batch and stable across runs (an LMS id, a GitHub user name or a
    folder name); the other fields are filled from the roster where one is given.
    """

    key: str
    name: str
    email: str = ""
    canvas_id: str = ""  # Canvas's numeric user id (its gradebook's "ID" column)
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""
    sortable_name: str = ""  # "Last, First", as Canvas shows students
    on_roster: bool = False
    moodle_id: str = ""  # Moodle's participant id ("Participant 123" in its grading worksheet)
    # "Last modified (grade)" of Moodle's worksheet given as the roster: kept, so that Moodle
    # refuses to overwrite a grade changed in Moodle since (as with a worksheet edited by hand)
    moodle_modified: str = ""


@dataclass
class Found:
    """One student's files as discovered in the input folder, before grading."""

    key: str
    name: str
    layout: str
    files: dict[str, Path] = field(default_factory=dict)  # task -> the student's main file
    # task -> the student's other .py files, each with the name it is staged under (an LMS
    # prefixes every uploaded file; the student's imports use the names they wrote)
    helpers: dict[str, list[tuple[str, Path]]] = field(default_factory=dict)
    late: bool = False
    lms_id: str = ""  # Canvas user id or Moodle participant id, when the layout names one
    email: str = ""
    notes: list[str] = field(default_factory=list)
    root: Path | None = None  # the student's own folder or repository, when the layout has one
    # Every file seen in the student's submission, with the name to show it under: what a
    # misnamed upload is matched against, and what "could not match" lists.
    held: dict[Path, str] = field(default_factory=dict)
    # An LMS's flat uploads of this student under the names they gave them (helpers of a
    # misnamed main file come from these, never from the class folder around them).
    uploads: list[tuple[str, Path]] = field(default_factory=list)
    guessed: dict[str, str] = field(default_factory=dict)  # task -> why this file was graded for it
    unmatched: dict[str, str] = field(default_factory=dict)  # task -> why no file could be matched


@dataclass
class TaskGrade:
    """One student's grade for one task: graded, missing (no file) or broken (grading broke)."""

    task: str
    status: GradeStatus
    score: float
    max_score: float
    report: GradeReport | None = None
    source: str = ""  # the file as submitted, relative to the input folder
    key: str = ""  # content key: equal keys mean identical submissions, hence equal grades
    cached: bool = False
    note: str = ""  # "no submission", the grading error, ...
    decision: str = ""  # the instructor's decision from --overrides (releases a flagged score)
    overridden: bool = False  # `score` is the instructor's (--overrides), not the checks' sum

    @property
    def bonus(self) -> float:
        if self.report is None:
            return 0.0
        return sum(c.score for c in self.report.checks if c.bonus)

    @property
    def graded_file_note(self) -> str:
        """The note's first line when it says which file was graded for the task (a misnamed
        upload: "no bank.py; graded bank_final.py, ..."), else ""."""
        if self.status == GradeStatus.GRADED and self.note.strip():
            return self.note.splitlines()[0]
        return ""

    @property
    def submitted_name(self) -> str:
        """The graded file's name as the student uploaded it (`bank_final.py`), not the name it
        was staged under (`bank.py`): what the feedback says was graded."""
        if self.source:
            return uploaded_name(PurePath(self.source).name)
        return PurePath(self.report.file).name if self.report is not None else ""

    @property
    def automated(self) -> float:
        """What the checks gave, before any decision of the instructor's."""
        return self.report.score if self.report is not None else 0.0

    @property
    def withheld(self) -> bool:
        """Flagged for review and not decided on: the score counts nowhere (no gradebook cell,
        no total, no Gradescope score) until the instructor releases or sets it."""
        return bool(self.needs_review)

    @property
    def counted(self) -> float:
        """The grade of record as every total counts it: the score (the instructor's where
        overridden), nothing for a withheld, missing, unmatched or broken grade."""
        return self.score if self.status == GradeStatus.GRADED and not self.withheld else 0.0

    @property
    def needs_review(self) -> list[str]:
        """Why the automated score is withheld until a person has looked (empty: it stands, or
        the instructor decided on it with --overrides)."""
        if self.decision or self.report is None:
            return []
        return list(self.report.needs_review)


@dataclass
class StudentResult:
    student: Student
    grades: dict[str, TaskGrade]
    late: bool = False
    layout: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> float:
        """The grades of record added up, withheld ones left out (see `withheld`)."""
        return sum(g.counted for g in self.grades.values())

    @property
    def withheld(self) -> list[str]:
        """The tasks whose grade is withheld for review: the total is not final while any is."""
        return [task for task, g in self.grades.items() if g.withheld]

    @property
    def max_total(self) -> float:
        return sum(g.max_score for g in self.grades.values())

    @property
    def submitted(self) -> bool:
        return any(g.status != GradeStatus.MISSING for g in self.grades.values())


@dataclass
class BatchStats:
    submissions: int = 0  # student-task pairs with a file
    gradings: int = 0  # distinct contents graded in this run (cache misses)
    cached: int = 0  # distinct contents answered by the cache
    shared: int = 0  # submissions that reused an identical submission's grade in this run
    failed: int = 0  # gradings that broke (not a low score: the grader could not finish)
    seconds: float = 0.0


@dataclass
class BatchResult:
    rubric: Rubric
    tasks: list[str]
    students: list[StudentResult]
    layout: str
    source: Path
    engine: str  # grader version and engine digest the grades were made with
    warnings: list[str] = field(default_factory=list)
    stats: BatchStats = field(default_factory=BatchStats)
    titles: dict[str, str] = field(default_factory=dict)  # task -> gradebook column title
    roster_used: bool = False
    out: Path | None = None  # the folder the outputs were written to

    def title(self, task: str) -> str:
        return self.titles.get(task, task)

    @property
    def submitted_tasks(self) -> list[str]:
        """Tasks at least one student submitted: a gradebook gets a column for these only."""
        return [t for t in self.tasks if any(s.grades[t].status != GradeStatus.MISSING for s in self.students)]

    def identical(self, grade: TaskGrade) -> int:
        """How many other students submitted exactly these files for this task."""
        if not grade.key:
            return 0
        return sum(1 for s in self.students for g in s.grades.values() if g.key == grade.key) - 1
