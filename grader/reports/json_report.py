"""One JSON object per submission, for course scripts.

The keys task, score, max_score and checks[].{id, status, score, max_score, message} are a
stable interface; other keys may be added.
"""
from __future__ import annotations

import json

from grader.grading import GradeReport
from grader.reports import report


@report("json")
def render(result: GradeReport) -> str:
    return json.dumps(result.to_dict(), indent=2)
