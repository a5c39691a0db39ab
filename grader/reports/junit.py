"""JUnit XML for one or more gradings: one <testsuite> per task, one <testcase> per check.

CI services (GitHub Actions test reporters, GitLab's `artifacts:reports:junit`) read it. A failed
check is a <failure> whose message is the check's first line and whose text holds the rest; a
skipped check is <skipped>; a submission that could not run adds a <failure> case (an <error>
when the grader failed). Student text
can hold bytes XML 1.0 forbids (escape codes, NUL) and characters a reader's terminal would act
on: `document` cleans every text and attribute of the tree as it writes it
(`grader.reports.clean.tree`), ElementTree escapes the markup. The batch's junit.xml builds its
suites with `task_suite` too.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

from grader.results import GradeReport
from grader.presentation import TaskView, check_text, points, view
from grader.reports import RenderOptions, clean, report

COUNTS = ("tests", "failures", "errors", "skipped")
xml_text = clean.xml


def task_suite(parent: ET.Element, name: str, classname: str, task: TaskView | None,
               problem: str = "", properties: dict[str, str] | None = None,
               problem_type: str = "submission", theirs: bool | None = None) -> dict[str, int]:
    """Append one task's <testsuite> to `parent`; returns its counts. `problem` (why nothing
    could be graded) becomes a case of type `problem_type`: a <failure> when it is the student's
    (a missing file, a syntax error: points lost), an <error> only when the grader failed."""
    suite = ET.SubElement(parent, "testsuite", name=xml_text(name))
    props = ET.SubElement(suite, "properties")
    for key, value in (properties or {}).items():
        ET.SubElement(props, "property", name=key, value=xml_text(value))
    counts = dict.fromkeys(COUNTS, 0)
    classname = xml_text(classname)
    problem = problem or (task.error if task and task.error else "")
    if problem:
        case = ET.SubElement(suite, "testcase", classname=classname, name="submission", time="0")
        if theirs is None:
            theirs = task is None or not task.grader_fault
        found = ET.SubElement(case, "failure" if theirs else "error",
                              message=xml_text(problem.splitlines()[0]), type=problem_type)
        found.text = xml_text(problem)
        counts["tests"] += 1
        counts["failures" if theirs else "errors"] += 1
    for reason in task.needs_review if task else ():
        case = ET.SubElement(suite, "testcase", classname=classname, name="needs review", time="0")
        ET.SubElement(case, "error", message=xml_text(reason), type="needs-review").text = xml_text(reason)
        counts["tests"] += 1
        counts["errors"] += 1
    for check in task.checks if task else ():
        case = ET.SubElement(suite, "testcase", classname=classname, name=xml_text(check.id), time="0")
        counts["tests"] += 1
        element = check.label.junit
        if element == "failure":
            failure = ET.SubElement(case, "failure", message=xml_text(check.summary), type="failed")
            failure.text = xml_text(check_text(check))
            counts["failures"] += 1
        elif element == "error":  # the grader's own error, not the student's failure
            error = ET.SubElement(case, "error", message=xml_text(check.summary), type="grader-error")
            error.text = xml_text(check_text(check))
            counts["errors"] += 1
        elif element == "skipped":
            ET.SubElement(case, "skipped", message=xml_text(check.summary))
            counts["skipped"] += 1
        elif check.message and not check.passed:  # a note: said, not failed
            ET.SubElement(case, "system-out").text = xml_text(check_text(check))
    if task and task.withheld_checks:
        ET.SubElement(props, "property", name="withheld", value=task.withheld_line())
    for name, count in counts.items():
        suite.set(name, str(count))
    suite.set("time", f"{task.seconds if task else 0.0:.3f}")
    return counts


def document(root: ET.Element, totals: dict[str, int]) -> str:
    for key, value in totals.items():
        root.set(key, str(value))
    clean.tree(root)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def render_views(views: list[TaskView]) -> str:
    root = ET.Element("testsuites", name="grader")
    totals = dict.fromkeys(COUNTS, 0)
    for task in views:
        counts = task_suite(root, task.task, f"{task.task}.{task.file}", task, properties={
            "file": task.file, "score": points(task.score + task.bonus), "max_score": points(task.maximum),
            "seed": str(task.seed), "isolation": task.isolation})
        for key in COUNTS:
            totals[key] += counts[key]
    return document(root, totals)


@report("junit")
def render(result: GradeReport, options: RenderOptions = RenderOptions()) -> str:
    return render_views([view(result, options.audience)])
