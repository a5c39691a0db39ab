"""How one grading reads, for one audience: the single place every output takes its words from.

A `GradeReport` is the grader's record; what a reader sees of it depends on who they are. A
student checking their work before the deadline must not see `hidden` checks (nor those shown
only after the due date or after publication) itemised; the feedback a student reads after the
grades are published shows everything but `hidden`; staff see all. Every output (text report,
feedback.md, Gradescope, HTML, JUnit, CSVs, the CI summary and annotations) builds a
`TaskView` with `view()` and renders it, so visibility, the replay hint, the points and the
maximum are decided once, here, and read the same everywhere.

The maximum is always the report's own (`GradeReport.max_score`): how it is computed (contract
or script checks, bonus excluded) belongs to grading, not to presentation. Only a submission
that was never graded has no report; its maximum is `nominal_maximum()`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from grader.probes.preempt import explain
from grader.results import CheckResult, GradeReport, Status
from grader.rubric import TaskSpec

SELF_CHECK = "self-check"  # the student, before the deadline: `grader check`, CI on their repo
FEEDBACK = "feedback"  # the student, once grades are published: feedback.md
STAFF = "staff"  # instructors and TAs: everything

# Which rubric visibilities each audience sees itemised (Gradescope's meanings).
SHOWN = {
    SELF_CHECK: frozenset({"visible"}),
    FEEDBACK: frozenset({"visible", "after_due_date", "after_published"}),
    STAFF: frozenset({"visible", "hidden", "after_due_date", "after_published"}),
}



@dataclass(frozen=True)
class Label:
    """How every output writes one status."""

    mark: str  # the word in brackets: PASS, FAIL, SKIP, NOTE, ERROR
    colour: str  # its ANSI colour on a terminal
    icon: str  # its mark in a Markdown summary (the CI job summary)
    outcome: str  # for outputs that know only passed and failed (Gradescope)
    classroom: str  # GitHub Classroom's runner: pass, fail or error
    junit: str | None  # the JUnit element a <testcase> carries (None: a passing case)


_LABELS = {
    Status.PASSED: Label("PASS", "32", "\u2705", "passed", "pass", None),
    Status.FAILED: Label("FAIL", "31", "\u274c", "failed", "fail", "failure"),
    Status.SKIPPED: Label("SKIP", "33", "\u23ed\ufe0f", "failed", "fail", "skipped"),
    # nothing at stake: information, never shown as a failure
    Status.NOTE: Label("NOTE", "36", "\u2139\ufe0f", "passed", "pass", None),
    # the grader's own fault: shown as such, never as the student's failure
    Status.ERROR: Label("ERROR", "35", "\u26a0\ufe0f", "failed", "error", "error"),
}


def label(status: Status) -> Label:
    """The one mapping from a status to how outputs write it."""
    return _LABELS[Status(status)]


def points(value: float) -> str:
    """Points as every output prints them: at most two decimals, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def nominal_maximum(task: TaskSpec) -> float:
    """The maximum of a task nobody graded (a missing submission, a grading that broke): what a
    gradebook column is out of. A graded submission's maximum is its report's."""
    return task.max_score("contract")


def replay_command(report: GradeReport, file: str | None = None) -> str:
    """The command that regrades this file with the same schedules (`file`: under the name the
    student has it by, when it was graded under another, e.g. a misnamed upload)."""
    return explain.replay_command(report.task, file or report.file, report.seed)


@dataclass(frozen=True)
class CheckView:
    """One check as its reader sees it."""

    id: str
    status: Status
    score: float
    max_score: float
    bonus: bool
    message: str  # what the check found (may span lines)
    expects: str  # the rubric's description; shown next to a check that did not pass
    details: str  # interleavings, timelines: shown for a check that did not pass
    visibility: str
    line: int | None  # the first line of the student's file the message or details point at

    @property
    def label(self) -> Label:
        return label(self.status)

    @property
    def mark(self) -> str:
        return self.label.mark

    @property
    def summary(self) -> str:
        return self.message.splitlines()[0] if self.message.strip() else ""

    @property
    def passed(self) -> bool:
        return self.status == Status.PASSED

    @property
    def explained(self) -> bool:
        """Whether the reader is told what the check expects and shown its details: a check the
        student's code did not pass (failed, or a note), not one skipped or the grader's error."""
        return self.status in (Status.FAILED, Status.NOTE)


@dataclass(frozen=True)
class TaskView:
    """One task's grading as its reader sees it: the figures are those of the shown checks,
    plus one line for what is checked out of sight."""

    task: str
    file: str
    style: str
    audience: str
    score: float  # points earned on shown checks, bonus excluded
    bonus: float  # bonus points earned on shown checks
    maximum: float  # the maximum of shown checks (the report's maximum when nothing is withheld)
    checks: tuple[CheckView, ...]
    withheld_checks: int  # checks not itemised for this audience
    withheld_points: float  # their maximum (bonus excluded)
    withheld_score: float | None  # what they earned, when this audience may know it (else None)
    seed: int
    replay: str
    isolation: str
    seconds: float
    error: str | None
    needs_review: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def full_marks(self) -> bool:
        return self.error is None and self.score >= self.maximum

    @property
    def grader_fault(self) -> bool:
        """Whether what went wrong is the grader's (a check in `error`): only then is the task an
        error in CI outputs; a submission that cannot run is the student's failure."""
        return any(check.status == Status.ERROR for check in self.checks)

    def withheld_line(self) -> str:
        """The line standing in for checks this reader does not see itemised: before grading, how
        many points are still to be checked (as Gradescope says it); after, what they earned."""
        if not self.withheld_checks:
            return ""
        n = self.withheld_checks
        checks = f"{n} check{'s' if n != 1 else ''}"
        if self.withheld_score is not None:
            return f"{n} hidden check{'s' if n != 1 else ''}: {points(self.withheld_score)}/{points(self.withheld_points)}"
        if not self.withheld_points:
            return f"{checks} more are checked at grading time and not shown here"
        plural = "s" if self.withheld_points != 1 else ""
        return f"{points(self.withheld_points)} more point{plural} ({checks}) are checked at grading time and not shown here"


_LINE = r"(?<![\w.]){name}:(\d+)"


def student_line(file: str, *texts: str) -> int | None:
    """The first `file:LINE` reference in the texts: where an annotation belongs. A file name
    with characters that are cleaned on the way (a newline, an escape code) is found either way."""
    from grader.reports import clean

    names = sorted({file, clean.line(file)}, key=len, reverse=True)
    pattern = re.compile(_LINE.format(name="(?:" + "|".join(re.escape(n) for n in names) + ")"))
    for text in texts:
        match = pattern.search(text or "")
        if match:
            return int(match.group(1))
    return None


def check_view(check: CheckResult, file: str) -> CheckView:
    return CheckView(check.id, check.status, check.score, check.max_score, check.bonus,
                     check.message, check.description, check.details, check.visibility,
                     student_line(file, check.message, check.details))


def view(report: GradeReport, audience: str = STAFF, review: list[str] | None = None) -> TaskView:
    """The report as `audience` reads it: the checks it sees itemised, the rest as one line, and
    the figures (for SELF_CHECK those of the shown checks, else the report's own). `review`
    replaces the report's own review reasons once someone has decided on them (a batch's
    overrides)."""
    if audience not in SHOWN:
        raise ValueError(f"unknown audience {audience!r}")
    shown_kinds = SHOWN[audience]
    shown = [c for c in report.checks if c.visibility in shown_kinds]
    withheld = [c for c in report.checks if c.visibility not in shown_kinds]
    # a grader error's points are already out of the report's maximum (grading.settle)
    withheld_max = sum(c.max_score for c in withheld if not c.bonus and c.status != Status.ERROR)
    # Before grading (SELF_CHECK) the figures are those of the shown checks; once grades are
    # out the student's figures are the gradebook's, hidden checks included in one sum.
    counted = shown if audience == SELF_CHECK else report.checks
    score = sum(c.score for c in counted if not c.bonus)
    maximum = report.max_score - (withheld_max if audience == SELF_CHECK else 0.0)
    withheld_score = None if audience == SELF_CHECK else sum(c.score for c in withheld)
    return TaskView(
        task=report.task, file=report.file, style=report.style, audience=audience,
        score=score, bonus=sum(c.score for c in shown if c.bonus), maximum=maximum,
        checks=tuple(check_view(c, report.file) for c in shown),
        withheld_checks=len(withheld), withheld_points=withheld_max, withheld_score=withheld_score,
        seed=report.seed, replay=replay_command(report), isolation=report.isolation,
        seconds=report.seconds, error=report.error,
        needs_review=tuple(report.needs_review if review is None else review), notes=tuple(report.notes))


def check_text(check: CheckView) -> str:
    """A check's whole explanation as plain text: what it found, what it expects when it did not
    pass, and the details. Gradescope's test output, JUnit's failure text, a CI message."""
    lines = [check.message] if check.message else []
    if not check.passed:
        lines.append(f"Expected: {check.expects}")
        if check.details:
            lines += ["", check.details]
    return "\n".join(lines)

