"""grades.json: the whole batch as data, for course scripts.

Deterministic like every output (no timings, no cache flags), so two runs over the same
inputs can be compared with `diff`. Every grading records what a regrade dispute needs: the
schedule seed (`grader check --seed`), the isolation level it ran under, the grader version,
why it needs review (if it does) and how many other students submitted the same files. Each
check is written by grader.results's codec (the fields of CHECK_SUMMARY): its status word
(passed, failed, skipped, note, error) and its cause code, for counting across a class. Every
string is cleaned as it is written (`grader.reports.clean.data`).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grader.batch.outputs import output
from grader.batch.records import BatchResult
from grader.reports import clean
from grader.results import CHECK_SUMMARY, check_to_dict


def render(result: BatchResult) -> dict[str, Any]:
    students = []
    for row in result.students:
        grades = {}
        for task in result.tasks:
            grade = row.grades[task]
            report = grade.report
            grades[task] = {
                # score: the grade of record (the instructor's where overridden); counted: what
                # the total takes of it (0 while withheld for review); automated_score: the checks'
                "status": grade.status, "score": grade.score, "max_score": grade.max_score,
                "counted": grade.counted, "withheld": grade.withheld, "overridden": grade.overridden,
                "automated_score": grade.automated, "decision": grade.decision,
                "source": grade.source, "note": grade.note,
                "seed": report.seed if report else None,
                "isolation": report.isolation if report else None,
                "style": report.style if report else None,
                "grader_version": report.grader_version if report else None,
                "needs_review": grade.needs_review,
                "identical_to_others": result.identical(grade),
                "checks": [check_to_dict(c, CHECK_SUMMARY) for c in (report.checks if report else [])],
            }
        s = row.student
        students.append({"key": s.key, "name": s.name, "email": s.email, "canvas_id": s.canvas_id,
                         "sis_user_id": s.sis_user_id, "section": s.section, "on_roster": s.on_roster,
                         "late": row.late, "total": row.total, "max_total": row.max_total,
                         "withheld": row.withheld,
                         "grades": grades})
    return {"tasks": result.tasks, "layout": result.layout, "grader": result.engine,
            "rubric_digest": result.rubric.digest, "students": students}


@output("json")
def write(result: BatchResult, out: Path) -> list[Path]:
    path = out / "grades.json"
    path.write_text(json.dumps(clean.data(render(result)), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return [path]
