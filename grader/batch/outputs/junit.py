"""junit.xml: the class as JUnit test results, for CI dashboards and tools that read them.

One <testsuite> per student and task (named `<task>.<student>`), one <testcase> per check, built
by `grader.reports.junit.task_suite` (the same suites `grader check --junit` writes): a failed
check is a <failure>, a skipped one <skipped>; a submission that could not run (missing, syntax
error, grading broke) or is flagged for review adds an <error> case. Staff view: every check.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from grader.batch.outputs import grade_view, output, points
from grader.batch.records import BatchResult, GradeStatus
from grader.presentation import STAFF
from grader.reports.junit import COUNTS, document, task_suite


def render(result: BatchResult) -> str:
    root = ET.Element("testsuites", name="grader batch")
    totals = dict.fromkeys(COUNTS, 0)
    for row in result.students:
        for task in result.tasks:
            grade = row.grades[task]
            name = f"{task}.{row.student.key}"
            problem = grade.note if grade.status in (GradeStatus.MISSING, GradeStatus.BROKEN, GradeStatus.UNMATCHED) else ""
            counts = task_suite(root, name, name, grade_view(grade, STAFF),
                                problem, {"student": row.student.name,
                                          # the grade of record, as the gradebooks have it
                                          "score": "withheld" if grade.withheld else points(grade.counted),
                                          "max_score": points(grade.max_score), "source": grade.source,
                                          **({"decision": grade.decision} if grade.decision else {})},
                                problem_type=grade.status,
                                # a missing file is the student's failure; an upload nobody could
                                # match waits for review and a broken grading is the grader's
                                theirs=grade.status == GradeStatus.MISSING if problem else None)
            for key in COUNTS:
                totals[key] += counts[key]
    return document(root, totals)


@output("junit")
def write(result: BatchResult, out: Path) -> list[Path]:
    path = out / "junit.xml"
    path.write_text(render(result), encoding="utf-8")
    return [path]
