"""report.html: the instructor's one-page view of a batch, in a single self-contained file.

Per task: the score histogram (inline SVG), the pass rate of every check, the most common
failure messages (numbers folded, so "lost 300" and "lost 200" count as one kind), then every
student with every check's message and details (interleavings, request timelines). No script,
no stylesheet link, no image, no font: the file can be mailed, archived or opened offline, and
nothing in it calls out. Every string is cleaned for HTML where it is written
(`grader.reports.clean.html`), and the finished page once more for control characters.
"""
from __future__ import annotations

import re
import statistics
from collections import Counter
from pathlib import Path

from grader.batch.outputs import grade_notes, gradebook_score, output, points, score_text, total_cell
from grader.presentation import STAFF, nominal_maximum, view
from grader.batch.outputs._svg import histogram
from grader.batch.records import BatchResult, GradeStatus, StudentResult
from grader.reports import clean
from grader.results import Status

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1d1d1f;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}.meta{color:#555;margin:0 0 12px}
table{border-collapse:collapse;margin:6px 0 12px}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num,th.num{text-align:right}
.rate{display:inline-block;width:160px;height:10px;background:#eee;vertical-align:middle;margin-right:6px}
.rate span{display:block;height:10px;background:#73b163}
.passed{color:#1a7f37}.failed{color:#c62828}.skipped{color:#777}.note{color:#1565c0}.error{color:#6a1b9a}.missing{color:#8a6d00}
pre{background:#f6f8fa;border:1px solid #e1e4e8;padding:6px 8px;overflow-x:auto;white-space:pre;margin:4px 0;font-size:12px;max-width:900px}
details{margin:4px 0;border:1px solid #e5e5e5;border-radius:4px;padding:4px 8px}summary{cursor:pointer}
.histogram .axis{font-size:11px;fill:#444}.histogram .count{font-size:10px;fill:#222}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:8px 0}.card{border:1px solid #ddd;border-radius:6px;padding:6px 12px}
.card b{display:block;font-size:18px}.warn{color:#8a6d00}
"""

_NUMBER = re.compile(r"\d+(?:\.\d+)?")


_e = clean.html


def failure_kinds(result: BatchResult, task: str) -> list[tuple[str, str, int, str]]:
    """(check id, folded message, count, one real message), most common first. Submissions that
    could not run at all are left out: their one error would fill the table, once per check."""
    counts: Counter[tuple[str, str]] = Counter()
    example: dict[tuple[str, str], str] = {}
    for row in result.students:
        grade = row.grades[task]
        if grade.report is None or grade.report.error:  # could not run: counted on its own
            continue
        for check in grade.report.checks:
            if check.status != Status.FAILED:
                continue
            first = check.message.splitlines()[0] if check.message.strip() else "(no message)"
            kind = (check.id, _NUMBER.sub("N", first))
            counts[kind] += 1
            example.setdefault(kind, first)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [(cid, folded, n, example[(cid, folded)]) for (cid, folded), n in ranked]


def _task_summary(result: BatchResult, task: str) -> str:
    spec = result.rubric.task(task)
    maximum = nominal_maximum(spec)
    graded = [r.grades[task] for r in result.students if r.grades[task].status != GradeStatus.MISSING]
    # grades of record only: not a withheld score, nor the 0 of a grading that did not happen
    scores = [g.score for g in graded if g.overridden or (g.status == GradeStatus.GRADED and not g.withheld)]
    missing = sum(1 for r in result.students if r.grades[task].status == GradeStatus.MISSING)
    failed = sum(1 for g in graded if g.status == GradeStatus.BROKEN or (g.report is not None and g.report.error))
    parts = [f'<h2 id="task-{_e(task)}">{_e(result.title(task))}</h2>']
    cards = [("submissions", len(graded)), ("missing", missing), ("could not run", failed),
             ("mean", points(statistics.fmean(scores)) if scores else "-"),
             ("median", points(statistics.median(scores)) if scores else "-"),
             ("full marks", sum(1 for s in scores if s >= maximum))]
    parts.append('<div class="cards">' + "".join(f'<div class="card"><b>{_e(v)}</b>{_e(k)}</div>'
                                                 for k, v in cards) + "</div>")
    parts.append(histogram(scores, maximum, f"{result.title(task)}: scores of {len(scores)} submissions"))

    parts.append("<h3>Pass rate per check</h3><table><tr><th>check</th><th class=num>points</th>"
                 "<th>passed</th><th class=num>lost points</th><th class=num>note</th>"
                 "<th class=num>skipped</th><th class=num>grader error</th></tr>")
    order: list[str] = [c.id for c in spec.checks]
    tally: dict[str, Counter[Status]] = {cid: Counter() for cid in order}
    for grade in graded:
        for check in grade.report.checks if grade.report else []:
            tally.setdefault(check.id, Counter())[check.status] += 1
    for check_spec in spec.checks:
        counter = tally.get(check_spec.id, Counter())
        total = sum(counter.values())
        if not total:
            continue
        rate = counter[Status.PASSED] / total
        bonus = " (bonus)" if check_spec.bonus else ""
        parts.append(f"<tr><td>{_e(check_spec.id)}{bonus}</td><td class=num>{points(check_spec.points)}</td>"
                     f'<td><span class="rate"><span style="width:{rate * 100:.0f}%"></span></span>'
                     f"{counter[Status.PASSED]}/{total} ({rate * 100:.0f}%)</td>"
                     f"<td class=num>{counter[Status.FAILED]}</td><td class=num>{counter[Status.NOTE]}</td>"
                     f"<td class=num>{counter[Status.SKIPPED]}</td>"
                     f"<td class=num>{counter[Status.ERROR]}</td></tr>")
    parts.append("</table>")

    kinds = failure_kinds(result, task)[:10]
    parts.append("<h3>Most common failures</h3>")
    if kinds:
        parts.append("<table><tr><th class=num>count</th><th>check</th><th>message (one example)</th></tr>")
        for cid, _, count, sample in kinds:
            parts.append(f"<tr><td class=num>{count}</td><td>{_e(cid)}</td><td>{_e(sample)}</td></tr>")
        parts.append("</table>")
    else:
        parts.append("<p>No check lost points.</p>")
    return "\n".join(parts)


def _student_details(row: StudentResult, result: BatchResult) -> str:
    s = row.student
    scores = ", ".join(f"{_e(result.title(t))} {_e(score_text(row.grades[t]))}" for t in result.tasks)
    late = " &middot; late" if row.late else ""
    parts = [f'<details id="student-{_e(s.key)}"><summary><b>{_e(s.name)}</b> ({_e(s.key)}) &middot; '
             f"{_e(total_cell(row) or 'withheld')}/{points(row.max_total)} &middot; {scores}{late}</summary>"]
    for task in result.tasks:
        grade = row.grades[task]
        parts.append(f"<h3>{_e(result.title(task))}: {_e(score_text(grade))}</h3>")
        if grade.decision:
            parts.append(f'<p class="meta">{_e(grade.decision)} (the checks gave {points(grade.automated)})</p>')
        if grade.source:
            parts.append(f'<p class="meta">file: {_e(grade.source)}'
                         + (" &middot; same content as another submission" if result.identical(grade) else "")
                         + (f" &middot; seed {grade.report.seed} &middot; {grade.report.style}-style"
                            if grade.report else "") + "</p>")
        if grade.status != GradeStatus.GRADED or (grade.report and grade.report.error):
            css = "missing" if grade.status == GradeStatus.MISSING else "failed"
            parts.append(f'<p class="{css}">{_e(grade.note)}</p>')
        for reason in grade.needs_review:
            parts.append(f'<p class="warn"><b>needs review:</b> {_e(reason)}</p>')
        if grade.report is None or not grade.report.checks:
            continue
        parts.append("<table><tr><th>check</th><th>result</th><th class=num>points</th><th>message</th></tr>")
        for check in view(grade.report, STAFF).checks:
            detail = f"<pre>{_e(check.details)}</pre>" if check.details else ""
            visibility = "" if check.visibility == "visible" else f" <small>({_e(check.visibility)})</small>"
            parts.append(f"<tr><td>{_e(check.id)}{visibility}</td><td class=\"{_e(check.status)}\">{_e(check.status)}</td>"
                         f"<td class=num>{points(check.score)}/{points(check.max_score)}</td>"
                         f"<td>{_e(check.message)}{detail}</td></tr>")
        parts.append("</table>")
    parts.append("</details>")
    return "\n".join(parts)


def render(result: BatchResult) -> str:
    submitted = sum(1 for r in result.students if r.submitted)
    head = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Grades: {_e(result.source.name)}</title><style>{CSS}</style></head><body>",
        f"<h1>Grades: {_e(result.source.name)}</h1>",
        f'<p class="meta">{len(result.students)} students, {submitted} with a submission &middot; '
        f"layout: {_e(result.layout)} &middot; tasks: {_e(', '.join(result.tasks))} &middot; "
        f"grader {_e(result.engine)} &middot; rubric {_e(result.rubric.digest[:12])}</p>",
    ]
    if result.warnings:
        head.append("<details><summary class=warn>" + f"{len(result.warnings)} warning(s)</summary><ul>"
                    + "".join(f"<li>{_e(w)}</li>" for w in result.warnings) + "</ul></details>")
    body = [_task_summary(result, task) for task in result.tasks]
    rows = ["<h2>Students</h2><table><tr><th>student</th><th>id</th>"
            + "".join(f"<th class=num>{_e(result.title(t))}</th>" for t in result.tasks)
            + "<th class=num>total</th><th>notes</th></tr>"]
    for row in result.students:
        notes = [f"{t}: {note}" for t in result.tasks for note in grade_notes(row.grades[t], result)]
        if row.late:
            notes.append("late")
        notes += row.notes
        cells = "".join(f"<td class=num>{gradebook_score(row.grades[t]) or '-'}"
                        + (" (review)" if row.grades[t].withheld else "") + "</td>" for t in result.tasks)
        rows.append(f'<tr><td><a href="#student-{_e(row.student.key)}">{_e(row.student.name)}</a></td>'
                    f"<td>{_e(row.student.key)}</td>{cells}<td class=num>{total_cell(row) or 'withheld'}</td>"
                    f"<td>{_e('; '.join(notes))}</td></tr>")
    rows.append("</table><h2>Details</h2>")
    details = [_student_details(row, result) for row in result.students]
    return "\n".join(head + body + rows + details + ["</body></html>"]) + "\n"


@output("html")
def write(result: BatchResult, out: Path) -> list[Path]:
    path = out / "report.html"
    path.write_text(clean.text(render(result)), encoding="utf-8")
    return [path]
