"""What `grader check --github` publishes from a GitHub Actions job.

* the job summary (`$GITHUB_STEP_SUMMARY`): a Markdown table per task, the student's view;
* `::error file=,line=` annotations on the student's own lines for every failed check
  (GitHub shows them on the commit and in the pull request's diff);
* the GitHub Classroom result: step output `result`, base64 of the JSON that
  `classroom-resources/autograding-grading-reporter` reads from `<RUNNER>_RESULTS` (version,
  status pass|fail|error, max_score, tests[] with name, status, score, message), so Classroom
  shows "Points X/Y" with partial credit.

Everything is the self-check view: hidden checks are one line, not itemised, as in the report.
Every string is cleaned for where it goes (`grader.reports.clean`): an annotation's text for the
runner's log (then the workflow command's own escapes), the summary's cells for Markdown, the
Classroom result's strings for the log the reporter prints them in.
"""
from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path
from typing import TypedDict

from grader.presentation import TaskView, check_text, points
from grader.reports import clean
from grader.reports.clean import markdown as md_text
from grader.results import Status

CLASSROOM_VERSION = 1


class ClassroomTest(TypedDict):
    """One test of a runner's result, as the reporter reads it (it sums `score`)."""

    name: str
    status: str  # pass | fail | error
    score: float
    max_score: float
    message: str
    filename: str
    line_no: int


class ClassroomResult(TypedDict):
    """A runner's result: base64 of this JSON in the step output `result`."""

    version: int
    status: str  # pass | fail | error
    max_score: float
    tests: list[ClassroomTest]


def _escape_data(text: str) -> str:
    return clean.text(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotations(views: list[TaskView], paths: dict[str, str]) -> list[str]:  # type: ignore[no-redef]  # not __future__'s
    """One `::error` line per failed check (a `::warning` per review flag), on the student's line
    when the check names one."""
    lines = []
    for task in views:
        where = paths.get(task.task, task.file)
        if task.error:
            lines.append(f"::error file={_escape_property(where)},title={_escape_property(task.task + ': cannot run')}"
                         f"::{_escape_data(task.error)}")
        for reason in task.needs_review:
            lines.append(f"::warning file={_escape_property(where)},title=needs review::{_escape_data(reason)}")
        for check in task.checks:
            if check.status != Status.FAILED:
                continue
            place = f"file={_escape_property(where)}" + (f",line={check.line}" if check.line else "")
            title = _escape_property(f"{task.task}.{check.id} ({points(check.score)}/{points(check.max_score)})")
            lines.append(f"::error {place},title={title}::{_escape_data(check.summary or check.expects)}")
    return lines


def summary(views: list[TaskView]) -> str:
    """The job summary: a table per task, then the total."""
    out = ["## Grader results", ""]
    for task in views:
        head = f"### {md_text(task.task)}: {md_text(task.file)} {points(task.score)}/{points(task.maximum)}"
        if task.bonus:
            head += f" (+{points(task.bonus)} bonus)"
        out += [head, ""]
        checks = list(task.checks)
        if task.error:
            first, *rest = task.error.splitlines() or [""]
            out += [f"**Could not run:** {md_text(first)}", ""]
            if rest:  # a syntax error's line and caret
                out += [*clean.code_block("\n".join(rest)), ""]
            stopped = [c for c in checks if c.message.strip() == first.strip()]
            if stopped:  # said once, not once per check
                out += [f"Not run ({points(sum(c.max_score for c in stopped if not c.bonus))} points): "
                        + ", ".join(md_text(c.id) for c in stopped), ""]
                checks = [c for c in checks if c not in stopped]
        for reason in task.needs_review:
            out += [f"**Needs review:** {md_text(reason)}", ""]
        if checks:
            out += ["| Check | Result | Points | Message |", "| --- | --- | --- | --- |"]
            for check in checks:
                icon = check.label.icon
                bonus = " (bonus)" if check.bonus else ""
                message = check.summary or ('' if check.passed else check.expects)
                out.append(f"| {md_text(check.id)}{bonus} | {icon} {check.mark} | "
                           f"{points(check.score)}/{points(check.max_score)} | {md_text(message)} |")
            out.append("")
        if task.withheld_checks:
            out += [md_text(task.withheld_line()) + ".", ""]
        out += [f"Seed {task.seed}: replay locally with {md_text(task.replay)}", ""]
    score = sum(v.score + v.bonus for v in views)
    maximum = sum(v.maximum for v in views)
    out += [f"**Total: {points(score)}/{points(maximum)}**", "",
            "_These points are feedback: the grade of record comes from your instructor's grading._", ""]
    return clean.text("\n".join(out))


def classroom_result(views: list[TaskView], ok: bool) -> ClassroomResult:
    """GitHub Classroom's runner result: the reporter sums tests[].score over max_score."""
    tests: list[ClassroomTest] = []
    for task in views:
        if task.error:
            tests.append(ClassroomTest(name=f"{task.task}: submission",
                                       status="error" if task.grader_fault else "fail", score=0.0,
                                       max_score=0.0, message=task.error, filename=task.file,
                                       line_no=0))
        for check in task.checks:
            tests.append(ClassroomTest(name=f"{task.task}: {check.id}" + (" (bonus)" if check.bonus else ""),
                                       status=check.label.classroom, score=check.score,
                                       max_score=check.max_score, message=check_text(check),
                                       filename=task.file, line_no=check.line or 0))
    status = "error" if any(v.grader_fault for v in views) else ("pass" if ok else "fail")
    return ClassroomResult(version=CLASSROOM_VERSION, status=status,
                           max_score=sum(v.maximum for v in views), tests=tests)


def encode(result: ClassroomResult) -> str:
    """The step output: the reporter prints the messages in the job's log, so they are cleaned."""
    return base64.b64encode(json.dumps(clean.data(result)).encode()).decode("ascii")


def stop_commands() -> tuple[str, str]:
    """Lines that make the runner ignore workflow commands in between (the report quotes the
    student's code and output), and the line that resumes them."""
    token = secrets.token_hex(16)
    return f"::stop-commands::{token}", f"::{token}::"


def publish(views: list[TaskView], ok: bool, paths: dict[str, str]) -> None:
    for line in annotations(views, paths):  # type: ignore[operator]  # the function above
        print(line)
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if target:
        with open(target, "a", encoding="utf-8") as stream:
            stream.write(summary(views))
    output = os.environ.get("GITHUB_OUTPUT")
    if output:
        with open(output, "a", encoding="utf-8") as stream:
            stream.write(f"result={encode(classroom_result(views, ok))}\n")


def publish_nothing_graded(problem: str, expected: list[tuple[str, str, float]],
                           junit: str | None = None, in_actions: bool = True,
                           theirs: bool = True) -> None:
    """Every CI output, when nothing could be graded (no bank.py where the grader looked, an
    unreadable rubric): the job summary and an annotation say what was not found and where,
    Classroom gets a result out of the maximum (0 points, never no result at all), and the JUnit
    file has a case per expected task. `expected`: (task, file, maximum); `in_actions`: the
    GitHub outputs too (`--github`), else only the JUnit file. `theirs`: the submission's
    problem (a missing file: `fail`, a JUnit <failure>) or the set-up's (an unreadable rubric:
    `error`, never charged to the student as a failure)."""
    import xml.etree.ElementTree as ET

    from grader.reports.junit import COUNTS, document, task_suite

    if junit:
        root = ET.Element("testsuites", name="grader")
        totals = dict.fromkeys(COUNTS, 0)
        for task, file, _ in expected or [("grader", "", 0.0)]:
            counts = task_suite(root, task, f"{task}.{file}" if file else task, None, problem, {"file": file},
                                problem_type="not-graded", theirs=theirs)
            for key in COUNTS:
                totals[key] += counts[key]
        Path(junit).write_text(document(root, totals), encoding="utf-8")
    if not in_actions:
        return
    print(f"::error title={_escape_property('grader: nothing graded')}::{_escape_data(problem)}")
    maximum = sum(m for _, _, m in expected)
    lines = ["## Grader results", "", f"**Nothing was graded:** {md_text(problem)}", ""]
    if expected:
        lines += ["Expected: " + ", ".join(f"{md_text(f)} ({md_text(t)}, {points(m)} points)"
                                           for t, f, m in expected), ""]
    lines += [f"**Total: 0/{points(maximum)}**", ""]
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if target:
        with open(target, "a", encoding="utf-8") as stream:
            stream.write(clean.text("\n".join(lines)))
    output = os.environ.get("GITHUB_OUTPUT")
    if output:
        status = "fail" if theirs else "error"
        result = ClassroomResult(version=CLASSROOM_VERSION, status=status, max_score=maximum, tests=[
            ClassroomTest(name="submission", status=status, score=0.0, max_score=maximum,
                          message=problem, filename=", ".join(f for _, f, _ in expected), line_no=0)])
        with open(output, "a", encoding="utf-8") as stream:
            stream.write(f"result={encode(result)}\n")


def workspace_path(path: Path) -> str:
    """The file's path as GitHub names it in annotations: relative to the checkout."""
    root = Path(os.environ.get("GITHUB_WORKSPACE") or ".").resolve()
    resolved = path.resolve()
    try:
        return resolved.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
