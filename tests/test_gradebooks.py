"""Gradebook imports right the first time: column titles from the roster, no column for a task
nobody submitted, blanks for missing work and for work flagged for review, identical submissions
flagged, the seed and isolation of every grading recorded, the same figures in every output."""
import csv
import io
import json
import re
import xml.etree.ElementTree as ET

import pytest

from batch_formats import canvas_problems, moodle_worksheet_problems
from conftest import ROOT
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


# -- one grade of record, through the command line ----------------------------------------------

TINY_RUBRIC = """
version: 4
tasks:
  bank:
    file: bank.py
    entry_points: {account_class: BankAccount, simulate: simulate, transfer: transfer}
    checks:
      - {id: api, points: 1, description: the API exists}
      - {id: basic, points: 2, description: single-thread behaviour, depends: [api]}
"""
REFERENCE = (ROOT / "reference" / "bank.py").read_text()
MOODLE_HEADER = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
                 "Grade can be changed", "Last modified (grade)", "Feedback comments"]


@pytest.fixture(scope="module")
def moodle_class(tmp_path_factory):
    """A Moodle download: Alice (full marks), Mallory (flagged, undecided), Trent (flagged, the
    instructor gives 2 of 3); Moodle's own worksheet as the roster, with Nora who submitted
    nothing. Graded once through the command line with the decisions file."""
    from grader.cli import main

    base = tmp_path_factory.mktemp("moodle")
    (base / "rubric.yaml").write_text(TINY_RUBRIC)
    flagged = REFERENCE + "\nimport sys\n_here = sys._getframe()\n"
    for pid, name, text in (("101", "Alice Ames", REFERENCE), ("102", "Mallory Moss", flagged),
                            ("103", "Trent Toms", flagged + "# another\n")):
        folder = base / "class" / f"{name}_{pid}_assignsubmission_file_"
        folder.mkdir(parents=True)
        (folder / "bank.py").write_text(text)
    with open(base / "worksheet.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(MOODLE_HEADER)
        for pid, name in (("101", "Alice Ames"), ("102", "Mallory Moss"), ("103", "Trent Toms"), ("104", "Nora Noon")):
            writer.writerow([f"Participant {pid}", name, f"{name.split()[0].lower()}@example.edu",
                             "No submission", "", "3.00", "Yes", "Friday, 4 December 2026, 10:00 AM", ""])
    (base / "decisions.csv").write_text("student,task,decision,note\nTrent Toms,bank,2,debug leftover\n")
    code = main(["batch", str(base / "class"), "--rubric", str(base / "rubric.yaml"), "--out", str(base / "out"),
                 "--roster", str(base / "worksheet.csv"), "--overrides", str(base / "decisions.csv"),
                 "--quiet", "--jobs", "1"])
    assert code == 0
    return base / "out"


def _csv_rows(path, key):
    return {row[key]: row for row in csv.DictReader(io.StringIO(path.read_text()))}


def test_an_override_and_a_withheld_grade_reach_every_output(moodle_class):
    out = moodle_class
    canvas_cells = {r[0]: r[5] for r in csv.reader(io.StringIO((out / "canvas.csv").read_text()))}
    assert (canvas_cells["Alice Ames"], canvas_cells["Mallory Moss"], canvas_cells["Trent Toms"]) == ("3", "", "2")
    plain = _csv_rows(out / "grades.csv", "Full name")
    assert [plain[n]["Total"] for n in ("Alice Ames", "Mallory Moss", "Trent Toms")] == ["3", "", "2"]
    data = {s["name"]: s for s in json.loads((out / "grades.json").read_text())["students"]}
    assert (data["Trent Toms"]["total"], data["Trent Toms"]["grades"]["bank"]["automated_score"]) == (2, 3)
    assert data["Mallory Moss"]["total"] == 0 and data["Mallory Moss"]["withheld"] == ["bank"]
    files = {s["name"]: s["key"].replace(" ", "_") for s in data.values()}  # safe file names
    scores = {n: json.loads((out / "gradescope" / files[n] / "results.json").read_text())["score"]
              for n in ("Alice Ames", "Mallory Moss", "Trent Toms")}
    assert scores == {"Alice Ames": 3, "Mallory Moss": 0, "Trent Toms": 2}
    trent = (out / "feedback" / f"{files['Trent Toms']}.md").read_text()
    assert "| bank | 2 / 3 (set by your instructor) |" in trent and "**Total** | **2 / 3**" in trent
    assert "## bank: 2 / 3 (set by your instructor)" in trent and "3 / 3" not in trent
    mallory = (out / "feedback" / f"{files['Mallory Moss']}.md").read_text()
    assert "withheld / 3" in mallory and re.search(r"\b3 / 3\b", mallory) is None
    junit_scores = {p.get("value") for p in ET.parse(out / "junit.xml").getroot().iter("property")
                    if p.get("name") == "score"}
    assert junit_scores == {"3", "withheld", "2", "0"}
    html = (out / "report.html").read_text()
    assert "Trent Toms</a></td><td>103</td><td class=num>2</td>" in html.replace("Participant 103", "103")
    worksheet = _csv_rows(out / "moodle-bank.csv", "Identifier")
    assert {k: v["Grade"] for k, v in worksheet.items()} == {
        "Participant 101": "3", "Participant 102": "", "Participant 103": "2", "Participant 104": ""}


def test_the_moodle_worksheet_is_what_upload_grading_worksheet_imports(moodle_class):
    text = (moodle_class / "moodle-bank.csv").read_text()
    assert moodle_worksheet_problems(text, 3) == []
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == MOODLE_HEADER
    by_id = {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
    assert by_id["Participant 104"]["Status"] == "No submission"
    assert by_id["Participant 102"]["Status"] == "Submitted for grading - needs review"
    # the worksheet's own time is kept: Moodle refuses what was changed in Moodle since
    assert by_id["Participant 101"]["Last modified (grade)"] == "Friday, 4 December 2026, 10:00 AM"
    assert "debug leftover" in by_id["Participant 103"]["Feedback comments"]


# Cleaning at the output (issue 22 item 8): one function per kind of output, used by every writer.

def test_the_text_report_keeps_its_own_colours_and_shows_a_students_escapes_as_text():
    from grader.reports.text import render_view

    report = _report()
    report.checks[0].message = "printed \x1b[2J\x1b[35mFAKE\u202e and \x00" + "forged\x00"
    coloured = render_view(view(report), colour=True)
    assert "\x1b[35mFAKE" not in coloured and "\\x1b[2J\\x1b[35mFAKE\\u202e" in coloured
    assert coloured.count("\x1b[") == coloured.count("\x1b[0m") * 2  # only the report's own marks
    plain = render_view(view(report), colour=False)
    assert "\x1b" not in plain and "\x00" not in plain and "[PASS] script_runs" in plain


def test_a_csv_cell_is_data_whatever_the_student_wrote():
    from grader.reports.clean import csv_cell

    assert csv_cell('=HYPERLINK("http://x","y")') == "'=HYPERLINK(\"http://x\",\"y\")"
    assert csv_cell(" +1+cmd|' /C calc'!A0") == "' +1+cmd|' /C calc'!A0"
    assert csv_cell("\uff1dSUM(A1)").startswith("'")  # a full-width equals sign
    assert csv_cell("-1") == "-1" and csv_cell("16.5") == "16.5"  # numbers stay numbers
    assert csv_cell("Ada\x1b[31m\u202e") == "Ada\\x1b[31m\\u202e"


def test_markdown_and_html_render_a_students_markup_as_text():
    from grader.reports.clean import code_block, html, markdown

    # on one line; the backslash of the shown newline is escaped too, so it renders as "\\n"
    assert markdown("<script>a_b</script>\n| x") == "&lt;script&gt;a\\_b&lt;/script&gt;\\\\n\\| x"
    assert html('<img src=x onerror="a">\u2066') == "&lt;img src=x onerror=&quot;a&quot;&gt;\\u2066"
    block = code_block("```\ninside")
    assert block[0] == "````text" and block[-1] == "````"


def test_every_text_and_attribute_of_a_junit_document_is_cleaned():
    from grader.reports.junit import document

    root = ET.Element("testsuites")
    case = ET.SubElement(root, "testcase", name="x\x1b[31m\ud800", classname="bank.\u202ebank.py")
    case.text = "]]> \x07 <script>"
    text = document(root, {"tests": 1})
    parsed = ET.fromstring(text.split("\n", 1)[1])
    assert "\x1b" not in text and "\u202e" not in text and "]]>" not in text
    assert parsed.find("testcase").text == "]]> \\x07 <script>"
