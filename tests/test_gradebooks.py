"""Gradebook imports right the first time: column titles from the roster, no column for a task
nobody submitted, blanks for missing work and for work flagged for review, identical submissions
flagged, the seed and isolation of every grading recorded, the same figures in every output."""
import csv
import io
import json

import pytest

from batch_formats import canvas_problems
from grader.batch.outputs import canvas, feedback, gradescope, html_report, json_grades, junit, plain_csv
from grader.batch.records import BatchResult, GradeStatus, Student, StudentResult, TaskGrade
from grader.batch.roster import assignment_titles, load_roster
from grader.errors import GraderError
from grader.results import CheckResult, GradeReport, Status
from grader.presentation import FEEDBACK, view

CANVAS_EXPORT = ("Student,ID,SIS User ID,SIS Login ID,Section,Bank account (4711),Downloader lab (4712),"
                 "Current Score,Unposted Final Score\n"
                 "    Points Possible,,,,,19,16,,\n"
                 '"Smith, John",41,S1,jsmith,A,,,,\n')


def _report(task="bank", score=10.0, maximum=10.0, style="script", review=()):
    checks = [CheckResult("script_runs", Status.PASSED, score, maximum, "ran", "runs", "visible")]
    return GradeReport(task, f"{task}.py", style, score, maximum, 4242, checks, isolation="bubblewrap, uid 65534",
                       needs_review=list(review))


def _row(key, grades):
    return StudentResult(Student(key, key.title(), canvas_id=str(abs(hash(key)) % 1000)), grades)


def _result(rubric, tmp_path, students):
    return BatchResult(rubric, ["bank", "downloader"], students, "folders", tmp_path / "class", "0.1.0+test",
                       titles={"bank": "Bank account (4711)"})


@pytest.fixture
def result(rubric, tmp_path):
    script = TaskGrade("bank", GradeStatus.GRADED, 10, 10, _report(), "ann/bank.py", key="same")
    copy = TaskGrade("bank", GradeStatus.GRADED, 10, 10, _report(), "bob/bank.py", key="same")
    flagged = TaskGrade("bank", GradeStatus.GRADED, 7, 10, _report(score=7, review=["reads frames at bank.py:3"]),
                        "cy/bank.py", key="other")
    nobody = {"downloader": TaskGrade("downloader", GradeStatus.MISSING, 0, 16, note="no submission")}
    return _result(rubric, tmp_path, [
        _row("ann", {"bank": script, **nobody}), _row("bob", {"bank": copy, **nobody}),
        _row("cy", {"bank": flagged, **nobody}),
        _row("dee", {"bank": TaskGrade("bank", GradeStatus.MISSING, 0, 19, note="no submission"), **nobody})])


def test_roster_assignment_columns_title_the_tasks(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(CANVAS_EXPORT)
    roster = load_roster(path)
    assert roster.assignments == ["Bank account (4711)", "Downloader lab (4712)"]
    titles = assignment_titles(roster, [("bank", "bank.py"), ("downloader", "downloader.py")], {})
    assert titles == {"bank": "Bank account (4711)", "downloader": "Downloader lab (4712)"}
    given = assignment_titles(roster, [("bank", "bank.py")], {"bank": "Bank (9)"})
    assert given == {"bank": "Bank (9)"}


def test_several_matching_assignment_columns_ask_for_assignment(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(CANVAS_EXPORT.replace("Downloader lab (4712)", "Bank account retake (4713)"))
    with pytest.raises(GraderError, match="--assignment bank="):
        assignment_titles(load_roster(path), [("bank", "bank.py")], {})


def test_canvas_has_no_column_for_a_task_nobody_submitted_and_blanks_missing_and_flagged(result):
    text = canvas.render(result)
    assert canvas_problems(text) == []
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][5:] == ["Bank account (4711)"]  # no downloader column
    cells = {row[0]: row[5] for row in rows[2:]}
    assert cells == {"Ann": "10", "Bob": "10", "Cy": "", "Dee": ""}


def test_plain_csv_flags_review_and_identical_submissions(result):
    rows = {r["ID"]: r for r in csv.DictReader(io.StringIO(plain_csv.render(result)))}
    assert "downloader" not in rows["ann"]
    assert rows["cy"]["Status"] == "needs review" and "needs review: reads frames" in rows["cy"]["Notes"]
    assert rows["cy"]["Bank account (4711)"] == "" and rows["dee"]["Bank account (4711)"] == ""
    assert "identical to 1 other submission" in rows["ann"]["Notes"]
    assert "identical" not in rows["cy"]["Notes"]


def test_grades_json_records_seed_isolation_review_and_copies(result):
    data = json_grades.render(result)
    ann, cy = data["students"][0]["grades"]["bank"], data["students"][2]["grades"]["bank"]
    assert (ann["seed"], ann["isolation"]) == (4242, "bubblewrap, uid 65534")
    assert ann["identical_to_others"] == 1 and cy["needs_review"] == ["reads frames at bank.py:3"]
    assert data["students"][3]["grades"]["bank"]["seed"] is None  # never graded


def test_review_flag_shows_in_every_instructor_and_student_output(result):
    cy = result.students[2]
    assert "needs review" in html_report.render(result)
    assert "Needs review" in feedback.render(cy, result)
    assert "needs-review" in junit.render(result)
    results = gradescope.results(cy, ["bank"])
    assert any("needs review" in t["name"] for t in results["tests"])


def test_a_script_submission_reads_the_same_figures_everywhere(result):
    """10/10 for a script-style bank: the feedback, Gradescope and the CSVs all say 10 of 10."""
    ann = result.students[0]
    grade = ann.grades["bank"]
    assert "## Bank account (4711): 10 / 10" in feedback.render(ann, result)
    assert view(grade.report, FEEDBACK).maximum == grade.max_score == 10
    rows = {r["ID"]: r for r in csv.DictReader(io.StringIO(plain_csv.render(result)))}
    assert (rows["ann"]["Bank account (4711)"], rows["ann"]["Bank account (4711) max"]) == ("10", "10")
    results = gradescope.results(ann, ["bank"])
    assert results["score"] == 10 and sum(t["max_score"] for t in results["tests"]) == 10
    assert json.loads(json.dumps(json_grades.render(result)))["students"][0]["grades"]["bank"]["max_score"] == 10


def test_a_released_flag_leaves_every_output(result):
    """Once the instructor decided (--overrides), no output says "needs review" any more."""
    from dataclasses import replace

    cy = result.students[2]
    cy.grades["bank"] = replace(cy.grades["bank"], decision="released after review")
    assert "Needs review" not in feedback.render(cy, result)
    assert not any("needs review" in t["name"] for t in gradescope.results(cy, ["bank"])["tests"])
    assert "needs-review" not in junit.render(result)
    rows = {r["ID"]: r for r in csv.DictReader(io.StringIO(plain_csv.render(result)))}
    assert rows["cy"]["Bank account (4711)"] == "7" and rows["cy"]["Status"] == "submitted"
