"""An instructor's decisions on grades, read by `grader batch --overrides FILE`.

A grade flagged "needs review" (code that reaches into the grader, a replayed observation) has
its automated score withheld from the gradebooks. After looking, the instructor writes one
line per decision in a CSV file and reruns the batch (the cache makes that cheap):

    student,task,decision,note
    smith_john,bank,release,frame access is in an unused debug helper
    doe_jane,bank,0,forged results

`release` lets the automated score stand; a number replaces the score. `student` is the key the
batch shows (folder name, LMS id, GitHub user), an email, or a name from the roster. Decisions
are applied after grading and never cached, so editing the file changes only the outputs.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from grader.batch.records import StudentResult
from grader.errors import GraderError

COLUMNS = ("student", "task", "decision")


@dataclass(frozen=True)
class Decision:
    student: str
    task: str
    score: float | None  # None: release the automated score
    note: str
    line: int

    def text(self) -> str:
        what = "automated score released" if self.score is None else f"score set to {self.score:g}"
        return f"{what} by the instructor" + (f": {self.note}" if self.note else "")


def load_overrides(path: Path) -> list[Decision]:
    """The decisions in `path`; a malformed file is one GraderError naming the line and the fix."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise GraderError(f"{path}: cannot read the overrides file ({exc.__class__.__name__}); "
                          "give a UTF-8 CSV file with columns student,task,decision,note") from None
    rows = csv.DictReader(text.splitlines())
    header = [h.strip().lower() for h in rows.fieldnames or []]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise GraderError(f"{path}: the overrides file has no column {missing[0]!r}; its first line "
                          "must be: student,task,decision,note")
    decisions: list[Decision] = []
    for number, row in enumerate(rows, start=2):
        cells = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()
                 if isinstance(v, str)}
        if not any(cells.values()):
            continue
        raw = cells.get("decision", "")
        if raw.lower() == "release":
            score = None
        else:
            try:
                score = float(raw)
            except ValueError:
                raise GraderError(f"{path}:{number}: decision {raw!r} is neither 'release' nor a "
                                  "number; write release (the automated score stands) or the "
                                  "score to give") from None
            if not 0 <= score < 1e6:
                raise GraderError(f"{path}:{number}: score {raw} is out of range; give a score of "
                                  "0 or more")
        if not cells.get("student") or not cells.get("task"):
            raise GraderError(f"{path}:{number}: a decision needs a student and a task; fill in "
                              "both columns")
        decisions.append(Decision(cells["student"], cells["task"], score, cells.get("note", ""),
                                  number))
    return decisions


def _matches(row: StudentResult, who: str) -> bool:
    student, who = row.student, who.lower()
    return who in {v.lower() for v in (student.key, student.email, student.name, student.canvas_id,
                                      student.sis_user_id, student.sis_login_id) if v}


def apply_overrides(students: list[StudentResult], decisions: list[Decision], path: Path,
                    warnings: list[str]) -> None:
    """Record each decision on its grade; decisions that match no graded submission are warned
    about, never silently dropped."""
    for decision in decisions:
        rows = [r for r in students if _matches(r, decision.student)]
        grades = [r.grades[decision.task] for r in rows if decision.task in r.grades]
        if len(rows) != 1 or not grades:
            why = "no student" if not rows else ("several students" if len(rows) > 1 else "no task")
            warnings.append(f"{path}:{decision.line}: {why} matches {decision.student!r}, task "
                            f"{decision.task!r}; decision not applied")
            continue
        grade = grades[0]
        if grade.decision:
            warnings.append(f"{path}:{decision.line}: a second decision on {decision.student!r}, task "
                            f"{decision.task!r}; the first one stands")
            continue
        grade.decision = decision.text()
        if decision.score is not None:  # the one grade of record every output reads
            grade.score, grade.overridden = decision.score, True
