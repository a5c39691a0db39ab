"""grades.json: the whole batch as data, for course scripts.

Deterministic like every output (no timings, no cache flags), so two runs over the same
inputs can be compared with `diff`.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grader.batch.outputs import output
from grader.batch.records import BatchResult


def render(result: BatchResult) -> dict[str, Any]:
    students = []
    for row in result.students:
        grades = {}
        for task in result.tasks:
            grade = row.grades[task]
            grades[task] = {
                "status": grade.status, "score": grade.score, "max_score": grade.max_score,
                "source": grade.source, "note": grade.note,
                "checks": [{"id": c.id, "status": c.status, "score": c.score, "max_score": c.max_score,
                            "message": c.message} for c in (grade.report.checks if grade.report else [])],
            }
        s = row.student
        students.append({"key": s.key, "name": s.name, "email": s.email, "canvas_id": s.canvas_id,
                         "sis_user_id": s.sis_user_id, "section": s.section, "on_roster": s.on_roster,
                         "late": row.late, "total": row.total, "max_total": row.max_total,
                         "grades": grades})
    return {"tasks": result.tasks, "layout": result.layout, "grader": result.engine,
            "rubric_digest": result.rubric.digest, "students": students}


@output("json")
def write(result: BatchResult, out: Path) -> list[Path]:
    path = out / "grades.json"
    path.write_text(json.dumps(render(result), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return [path]
