"""feedback/<student>.md: what each student reads about their grade.

Written for the student: every visible check with its points, its message, what it expects
and, for a failure, the details (the interleaving that lost an update, the request timeline)
in a code block. Checks the rubric marks `hidden` are not itemised (as on Gradescope): one line says how
many points they are worth (`grader.presentation`, the FEEDBACK audience). Every string is
cleaned for Markdown where it is written, and the finished file once more for control
characters, so no escape code reaches a terminal that prints it: a one-line field is escaped
(`grader.reports.clean.markdown`: `<`, `>`, `&` as entities, so it reads as text even pasted into
a comment box that renders HTML); multi-line text (a message's details, an interleaving) goes in
a fenced code block that nothing inside can close (`clean.code_block`), which Markdown renders
as text (pasted as raw HTML it would not be: paste the rendered feedback).
"""
from __future__ import annotations

from pathlib import Path

from grader.batch.outputs import output, points, score_text, student_files, total_cell
from grader.batch.records import BatchResult, StudentResult, TaskGrade
from grader.presentation import FEEDBACK, replay_command, view
from grader.reports import clean
from grader.reports.clean import code_block, markdown as md_text


def _task_section(title: str, grade: TaskGrade) -> list[str]:
    report = grade.report
    if report is None:
        head = f"## {md_text(title)}: {md_text(score_text(grade))}"
        lines = [head, ""]
        if grade.decision:
            lines += [f"_{md_text(grade.decision)}._", ""]
        return lines + [f"**{md_text(grade.note or 'not graded')}**", ""]
    task = view(report, FEEDBACK, grade.needs_review)
    if grade.overridden or grade.withheld:  # the grade of record, as in the table above
        head = f"## {md_text(title)}: {md_text(score_text(grade))}"
    else:
        head = f"## {md_text(title)}: {points(task.score)} / {points(task.maximum)}"
        if task.bonus:
            head += f" (+{points(task.bonus)} bonus)"
    lines = [head, ""]
    if grade.overridden:
        lines += [f"_{md_text(grade.decision)}; the checks below gave {points(grade.automated)}._", ""]
    if grade.graded_file_note:
        lines += [f"_{md_text(grade.graded_file_note)}._", ""]
    name = grade.submitted_name or task.file  # bank_final.py, not the staged bank.py: the replay too
    lines.append(f"Graded {md_text(name)} as a {task.style}-style submission; schedule seed "
                 f"{task.seed} (replay with: {md_text(replay_command(report, name))}).")
    lines.append("")
    if task.error:
        lines += ["**Your submission could not be run:**", "", *code_block(task.error), ""]
    for reason in task.needs_review:
        lines += [f"**Needs review:** {md_text(reason)}. The score stands once your instructor has "
                  "looked at it.", ""]
    for check in task.checks:
        bonus = " (bonus)" if check.bonus else ""
        lines.append(f"- **[{check.mark}] {md_text(check.id)}**{bonus} "
                     f"{points(check.score)}/{points(check.max_score)}"
                     + (f": {md_text(check.summary)}" if check.summary else ""))
        rest = check.message.splitlines()[1:]
        if rest:
            lines += ["", *("  " + line for line in code_block("\n".join(rest))), ""]
        if not check.passed:
            lines.append(f"  - Expected: {md_text(check.expects)}")
            if check.details:
                lines += ["", *("  " + line for line in code_block(check.details)), ""]
    if task.withheld_checks:
        lines.append(f"- {md_text(task.withheld_line())}")
    lines.append("")
    return lines


def render(row: StudentResult, result: BatchResult) -> str:
    lines = [f"# Feedback: {md_text(row.student.name)}", ""]
    lines += ["| Task | Score |", "| --- | --- |"]
    for task in result.tasks:
        lines.append(f"| {md_text(result.title(task))} | {md_text(score_text(row.grades[task]))} |")
    total = total_cell(row) or "withheld"
    lines.append(f"| **Total** | **{md_text(total)} / {points(row.max_total)}** |")
    if row.withheld:
        lines += ["", f"_The total waits for your instructor's review of {md_text(', '.join(row.withheld))}._"]
    lines.append("")
    if row.late:
        lines += ["Submitted late.", ""]
    for task in result.tasks:
        lines += _task_section(result.title(task), row.grades[task])
    lines.append(f"_Graded by grader {md_text(result.engine)}._")
    return "\n".join(lines) + "\n"


@output("feedback")
def write(result: BatchResult, out: Path) -> list[Path]:
    folder = out / "feedback"
    folder.mkdir(parents=True, exist_ok=True)
    names = student_files(result)
    written = []
    for row in result.students:
        path = folder / f"{names[row.student.key]}.md"
        path.write_text(clean.text(render(row, result)), encoding="utf-8")
        written.append(path)
    return written
