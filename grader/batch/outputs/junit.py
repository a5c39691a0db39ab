"""junit.xml: the class as JUnit test results, for CI dashboards and tools that read them.

One <testsuite> per student and task (named `<task>.<student>`), one <testcase> per check: a
failed check is a <failure> whose message is the check's message and whose text holds the
details (interleavings, timelines); a skipped check is <skipped>; a submission that could not
run (missing, syntax error, grading broke) adds an <error> case. Student text can hold bytes
XML 1.0 forbids (escape codes, NUL), which would make the whole file unreadable: they are
replaced, and ElementTree escapes the rest.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from grader.batch.outputs import output
from grader.batch.records import FAILED, MISSING, BatchResult

_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_text(text: str) -> str:
    return _FORBIDDEN.sub("\ufffd", text)


def render(result: BatchResult) -> str:
    root = ET.Element("testsuites", name="grader batch")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for row in result.students:
        for task in result.tasks:
            grade = row.grades[task]
            suite = ET.SubElement(root, "testsuite", name=xml_text(f"{task}.{row.student.key}"))
            props = ET.SubElement(suite, "properties")
            for name, value in (("student", row.student.name), ("score", f"{grade.score:g}"),
                                ("max_score", f"{grade.max_score:g}"), ("source", grade.source)):
                ET.SubElement(props, "property", name=name, value=xml_text(value))
            counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
            classname = xml_text(f"{task}.{row.student.key}")
            problem = grade.note if grade.status in (MISSING, FAILED) else (
                grade.report.error if grade.report and grade.report.error else "")
            if problem:
                case = ET.SubElement(suite, "testcase", classname=classname, name="submission", time="0")
                error = ET.SubElement(case, "error", message=xml_text(problem.splitlines()[0] if problem else ""),
                                      type=grade.status)
                error.text = xml_text(problem)
                counts["tests"] += 1
                counts["errors"] += 1
            seconds = 0.0
            if grade.report is not None:
                seconds = grade.report.seconds
                for check in grade.report.checks:
                    case = ET.SubElement(suite, "testcase", classname=classname, name=xml_text(check.id),
                                         time="0")
                    counts["tests"] += 1
                    if check.status == "failed":
                        failure = ET.SubElement(case, "failure", message=xml_text(check.message),
                                                type="failed")
                        failure.text = xml_text("\n".join(filter(None, [check.message, check.details])))
                        counts["failures"] += 1
                    elif check.status == "skipped":
                        ET.SubElement(case, "skipped", message=xml_text(check.message))
                        counts["skipped"] += 1
            for name, value in counts.items():
                suite.set(name, str(value))
                totals[name] += value
            suite.set("time", f"{seconds:.3f}")
    for name, value in totals.items():
        root.set(name, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


@output("junit")
def write(result: BatchResult, out: Path) -> list[Path]:
    path = out / "junit.xml"
    path.write_text(render(result), encoding="utf-8")
    return [path]
