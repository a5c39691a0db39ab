"""The batch's parts on their own, without grading: LMS names, zips, rosters, the cache, and
what each output does with hostile text."""
import csv
import io
import json
import re
import stat
import xml.etree.ElementTree as ET
import zipfile

import pytest

from batch_formats import canvas_problems, gradescope_problems
from conftest import ROOT
from grader.batch import naming
from grader.batch.archive import ArchiveError, Caps, extract, safe_member_path
from grader.batch.bundle import DEPENDENCIES
from grader.batch.cache import Cache, content_key
from grader.batch.discover import Discovery
from grader.batch.outputs import canvas, feedback, gradescope, html_report, junit, moodle, plain_csv
from grader.batch.progress import Progress
from grader.batch.records import BatchResult, Found, GradeStatus, Student, StudentResult, TaskGrade
from grader.batch.roster import load_roster
from grader.batch.stage import stage
from grader.errors import GraderError
from grader.results import CheckResult, GradeReport, Status

HOSTILE = "<script>alert('x')</script> ``` =cmd|' /C calc'!A0 \x1b[31m\x00 & ]]>"


# -- LMS names --------------------------------------------------------------------------------

def test_canvas_names_give_user_submission_file_and_lateness():
    parsed = naming.parse_canvas("smith_john_late_41234_9876543_bank-2.py")
    assert (parsed.name, parsed.user_id, parsed.submission_id, parsed.filename, parsed.late) == \
           ("smith_john", "41234", "9876543", "bank-2.py", True)
    assert naming.parse_canvas("smithjohn_41234_9876543_bank.py").name == "smithjohn"
    assert naming.parse_canvas("bank.py") is None
    assert naming.resubmission("bank-2.py") == ("bank.py", 2)
    assert naming.matches_task_file("Bank-1.py", "bank.py") == 1
    assert naming.matches_task_file("bank_old.py", "bank.py") is None
    assert naming.display_name("smith_john") == ("John Smith", "Smith, John")


def test_moodle_names_give_full_name_and_participant_id():
    folder = naming.parse_moodle("Ana María López_1020304_assignsubmission_file_")
    assert (folder.name, folder.participant_id, folder.rest) == ("Ana María López", "1020304", "")
    assert naming.parse_moodle("Ana López_12_assignsubmission_file_bank.py").rest == "bank.py"


def test_classroom_repositories_split_assignment_and_user_even_with_dashes():
    users = naming.classroom_users(["threads-hw-ann-lee", "threads-hw-bob", "threads-hw-ann-kim"])
    assert {u for _, u in users.values()} == {"ann-lee", "bob", "ann-kim"}
    per_task = naming.classroom_users(["bank-alice", "downloader-alice", "bank-bob", "downloader-bob"])
    assert per_task["downloader-bob"] == ("downloader", "bob")
    # two students only, both named ann-*: only the roster can tell the user names
    assert naming.classroom_users(["hw-ann-lee", "hw-ann-kim"], frozenset({"ann-lee", "ann-kim"})) == \
           {"hw-ann-lee": ("hw", "ann-lee"), "hw-ann-kim": ("hw", "ann-kim")}
    assert naming.classroom_users(["alice", "bob"]) is None


# -- zips ---------------------------------------------------------------------------------------

def _zip(path, members):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members:  # a name, or a ZipInfo carrying a file type
            zf.writestr(name, data)
    return path


def test_zip_members_never_land_outside_the_target(tmp_path):
    link = zipfile.ZipInfo("link.py")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive = _zip(tmp_path / "evil.zip", [("../escaped.py", "x"), ("/abs.py", "x"), ("a/../../up.py", "x"),
                                          ("C:\\win.py", "x"), (link, "/etc/passwd"), ("ok/bank.py", "pass")])
    result = extract(archive, tmp_path / "out")
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*")
                  if p.is_file()) == ["ok/bank.py"]
    assert not (tmp_path / "escaped.py").exists() and not (tmp_path / "up.py").exists()
    assert len(result.skipped) == 5
    assert safe_member_path("a/./b.py").as_posix() == "a/b.py"


def test_zip_bombs_are_cut_at_the_caps(tmp_path):
    archive = _zip(tmp_path / "bomb.zip", [("big.bin", b"\0" * 300_000), ("bank.py", "pass")])
    result = extract(archive, tmp_path / "one", Caps(file_bytes=100_000))
    assert not (tmp_path / "one" / "big.bin").exists() and (tmp_path / "one" / "bank.py").exists()
    assert any("larger than" in s for s in result.skipped)
    with pytest.raises(ArchiveError, match="expands to more than"):
        extract(archive, tmp_path / "two", Caps(total_bytes=200_000))
    with pytest.raises(ArchiveError, match="members"):
        extract(archive, tmp_path / "three", Caps(members=1))
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    with pytest.raises(ArchiveError, match="not a readable zip"):
        extract(tmp_path / "junk.zip", tmp_path / "four")


# -- discovery ----------------------------------------------------------------------------------

def test_canvas_flat_folder_gives_each_student_only_their_own_helpers(rubric, tmp_path):
    folder = tmp_path / "canvas"
    folder.mkdir()
    (folder / "smith_john_11_101_bank.py").write_text("import utils\n")
    (folder / "smith_john_11_101_utils-1.py").write_text("NEW = 1\n")
    (folder / "smith_john_11_101_utils.py").write_text("OLD = 1\n")
    (folder / "doe_jane_12_102_bank.py").write_text("x = 1\n")
    (folder / "doe_jane_12_102_secret.py").write_text("y = 1\n")
    (folder / "notes.txt").write_text("instructor's notes")
    discovery = Discovery([rubric.task("bank")], tmp_path / "x")
    layout, _, found = discovery.run(folder)
    assert layout == "canvas" and [f.key for f in found] == ["11", "12"]
    smith = found[0]
    assert [(name, path.read_text()) for name, path in smith.helpers["bank"]] == [("utils.py", "NEW = 1\n")]
    assert [name for name, _ in found[1].helpers["bank"]] == ["secret.py"]
    assert any("notes.txt" in w for w in discovery.warnings)


def test_a_companion_file_renamed_by_canvas_is_staged_under_its_own_name(rubric, tmp_path):
    folder = tmp_path / "canvas"
    folder.mkdir()
    (folder / "smithjohn_123_456_downloader.py").write_text("print(open('urls.txt').read())\n")
    (folder / "smithjohn_123_456_urls.txt").write_text("https://a.example/\n")
    (folder / "doejane_124_457_downloader.py").write_text("x = 1\n")
    (folder / "doejane_124_457_urls.txt").write_text("https://secret.example/\n")
    task = rubric.task("downloader")
    _, _, found = Discovery([task], tmp_path / "x").run(folder)
    smith = next(f for f in found if f.key == "123")
    assert [name for name, _ in smith.helpers["downloader"]] == ["urls.txt"]
    staged = stage(task, smith.files["downloader"], smith.helpers["downloader"], tmp_path / "work",
                   "rubric", "engine")
    assert sorted(p.name for p in staged.main.parent.iterdir()) == ["downloader.py", "urls.txt"]
    assert (staged.main.parent / "urls.txt").read_text() == "https://a.example/\n"


def test_a_students_zip_is_searched_and_cannot_escape(rubric, tmp_path):
    folder = tmp_path / "class" / "alice"
    folder.mkdir(parents=True)
    _zip(folder / "hw.zip", [("hw/bank.py", "x = 1\n"), ("../../../evil.py", "boom")])
    layout, _, found = Discovery([rubric.task("bank")], tmp_path / "work").run(tmp_path / "class")
    assert layout == "folders" and found[0].key == "alice"
    assert found[0].files["bank"].read_text() == "x = 1\n"
    assert found[0].files["bank"].is_relative_to(tmp_path / "work")
    assert not list(tmp_path.rglob("evil.py"))


def test_an_unknown_layout_is_a_one_line_error(rubric, tmp_path):
    (tmp_path / "a.txt").write_text("?")
    with pytest.raises(GraderError, match="cannot tell how the submissions are laid out"):
        Discovery([rubric.task("bank")], tmp_path / "w").run(tmp_path)


# -- roster -------------------------------------------------------------------------------------

def test_a_canvas_export_is_a_roster_and_names_match_lms_spellings(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("Student,ID,SIS User ID,SIS Login ID,Section,Quiz (1)\n"
                    "    Points Possible,,,,,10\n"
                    '"Smith, John",41,S1,jsmith,A,5\n'
                    '"Doe, Jane",42,S2,jdoe,B,7\n')
    roster = load_roster(path)
    assert [(s.key, s.name, s.sortable_name, s.canvas_id, s.section) for s in roster.students] == \
           [("41", "John Smith", "Smith, John", "41", "A"), ("42", "Jane Doe", "Doe, Jane", "42", "B")]
    assert roster.match(Found("x", "smith_john", "folders")) == 0
    assert roster.match(Found("x", "janedoe", "folders")) == 1
    assert roster.match(Found("99", "Someone Else", "canvas", lms_id="42")) == 1


def test_a_roster_without_an_id_column_is_refused(tmp_path):
    (tmp_path / "r.csv").write_text("name,section\nA,1\n")
    with pytest.raises(GraderError, match="no id column"):
        load_roster(tmp_path / "r.csv")


# -- stage and cache ----------------------------------------------------------------------------

def test_identical_files_share_a_key_and_a_helper_changes_it(rubric, tmp_path):
    task = rubric.task("bank")
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "bank.py").write_text("x = 1\n")
    (tmp_path / "b" / "util.py").write_text("y = 2\n")
    a = stage(task, tmp_path / "a" / "bank.py", [], tmp_path / "w", rubric.digest, "v")
    again = stage(task, tmp_path / "b" / "bank.py", [], tmp_path / "w", rubric.digest, "v")
    helped = stage(task, tmp_path / "b" / "bank.py", [("util.py", tmp_path / "b" / "util.py")],
                   tmp_path / "w", rubric.digest, "v")
    assert a.key == again.key != helped.key
    assert a.key != stage(task, tmp_path / "a" / "bank.py", [], tmp_path / "w", rubric.digest, "v2").key
    assert sorted(p.name for p in helped.main.parent.iterdir()) == ["bank.py", "util.py"]


def test_a_damaged_cache_entry_is_a_miss(tmp_path):
    cache = Cache(tmp_path)
    key = content_key("bank", "r", "v", [("bank.py", "0")])
    cache.put(key, _report([]))
    assert cache.get(key).task == "bank"
    next(tmp_path.rglob("*.json")).write_text("{not json")
    assert cache.get(key) is None


# -- outputs with hostile text --------------------------------------------------------------------

def _report(checks, error=None):
    return GradeReport("bank", "bank.py", "contract", sum(c.score for c in checks),
                       sum(c.max_score for c in checks if not c.bonus), 7, checks, error)


def _result(rubric, tmp_path):
    checks = [CheckResult("api", Status.PASSED, 1, 1, "ok", "the api", "visible"),
              CheckResult("no_lost_update", Status.FAILED, 0, 3, HOSTILE, "no lost money", "visible",
                          details="Thread-1 read\n" + HOSTILE),
              CheckResult("secret", Status.FAILED, 0, 2, "hidden reason", "hidden check", "hidden",
                          details="hidden details")]
    graded = TaskGrade("bank", GradeStatus.GRADED, 1, 6, _report(checks), "x/bank.py", "k1")
    missing = TaskGrade("bank", GradeStatus.MISSING, 0, 19, note="no submission")
    students = [StudentResult(Student("=evil", HOSTILE, "e@x", canvas_id="5"), {"bank": graded}),
                StudentResult(Student("nobody", "No Body"), {"bank": missing})]
    return BatchResult(rubric, ["bank"], students, "folders", tmp_path / "class", "0.1.0+test")


def test_a_misnamed_upload_is_named_as_uploaded_in_the_feedback_and_gradescope(rubric, tmp_path):
    checks = [CheckResult("api", Status.PASSED, 1, 1, "ok", "the api", "visible")]
    graded = TaskGrade("bank", GradeStatus.GRADED, 1, 1, _report(checks),
                       "misnamedmia_1003_5004_bank_final.py", "k1",
                       note="no bank.py; graded bank_final.py, the one Python file naming the task")
    row = StudentResult(Student("1003", "Mia"), {"bank": graded})
    result = BatchResult(rubric, ["bank"], [row], "canvas", tmp_path / "class", "0.1.0+test")
    text = feedback.render(row, result)
    assert "Graded bank\\_final.py as a contract-style submission" in text
    assert "Graded bank.py" not in text
    assert "grader check bank bank\\_final.py --seed 7" in text  # the replay names the file they have
    assert "(bank_final.py, contract-style" in gradescope.results(row, ["bank"])["output"]
    assert "graded bank_final.py" in moodle.comments(graded, "")


def test_an_lms_prefix_is_not_part_of_the_uploaded_name():
    assert naming.uploaded_name("amesalice_1001_5001_bank.py") == "bank.py"
    assert naming.uploaded_name("Ann Lee_101_assignsubmission_file_bank_final.py") == "bank_final.py"
    assert naming.uploaded_name("bank (1).py") == "bank (1).py"


def test_html_escapes_everything_a_student_wrote(rubric, tmp_path):
    text = html_report.render(_result(rubric, tmp_path))
    assert "<script>" not in text and "&lt;script&gt;" in text
    assert "hidden details" in text  # the instructor sees hidden checks


def test_markdown_feedback_cannot_be_broken_out_of_and_hides_hidden_checks(rubric, tmp_path):
    result = _result(rubric, tmp_path)
    text = feedback.render(result.students[0], result)
    fence = re.search(r"^ *(`{4,})text$", text, re.M)  # longer than the ``` inside the details
    assert fence
    prose = re.sub(rf"^ *{fence.group(1)}text$.*?^ *{fence.group(1)}$", "", text, flags=re.M | re.S)
    # markup as entities: text in Markdown, and no tag even where the raw file is pasted as HTML
    assert "<script>" not in prose and "&lt;script&gt;" in prose
    assert "\x1b" not in text and "\x00" not in text
    assert "hidden reason" not in text and "hidden details" not in text
    assert "1 hidden check: 0/2" in text


def test_junit_xml_survives_control_characters(rubric, tmp_path):
    root = ET.fromstring(junit.render(_result(rubric, tmp_path)).encode())
    failure = next(root.iter("failure"))
    assert "<script>" in failure.get("message") and "\x1b" not in failure.text
    # the missing submission is the student's failure, not an error
    assert root.get("tests") == "4" and root.get("failures") == "3" and root.get("errors") == "0"


def test_the_batch_junit_keeps_why_a_task_was_not_graded_as_its_case_type(rubric, tmp_path):
    grades = {"101": TaskGrade("bank", GradeStatus.MISSING, 0, 18, note="no submission"),
              "102": TaskGrade("bank", GradeStatus.UNMATCHED, 0, 18, note="could not match bank.py"),
              "103": TaskGrade("bank", GradeStatus.BROKEN, 0, 18, note="the grading failed")}
    students = [StudentResult(Student(key, key), {"bank": grade}) for key, grade in grades.items()]
    root = ET.fromstring(junit.render(BatchResult(rubric, ["bank"], students, "folders", tmp_path,
                                                  "0.1.0+test")).encode())
    cases = {suite.get("name"): suite.find("testcase")[0] for suite in root.iter("testsuite")}
    # missing: the student's failure; unmatched (awaits review) and broken (the grader's): errors
    assert [(c.tag, c.get("type")) for c in cases.values()] == [
        ("failure", "missing"), ("error", "unmatched"), ("error", "failed")]


def test_spreadsheet_formulas_are_defused_in_the_plain_csv(rubric, tmp_path):
    rows = list(csv.reader(io.StringIO(plain_csv.render(_result(rubric, tmp_path)))))
    assert rows[1][0] == "'=evil"
    assert rows[2][-2:] == ["no submission", "bank: no submission"]


def test_canvas_csv_refuses_a_title_canvas_would_drop(rubric, tmp_path):
    result = _result(rubric, tmp_path)
    assert canvas_problems(canvas.render(result)) == []
    result.titles = {"bank": "Final Score"}
    with pytest.raises(GraderError, match="Canvas would not read this column"):
        canvas.render(result)


def test_results_json_marks_skipped_and_missing_as_failed(rubric, tmp_path):
    result = _result(rubric, tmp_path)
    for row in result.students:
        data = gradescope.results(row, result.tasks)
        assert gradescope_problems(json.dumps(data)) == []
    missing = gradescope.results(result.students[1], ["bank"])
    assert missing["tests"] == [{"name": "bank: submission", "number": "1.0", "score": 0.0, "max_score": 19,
                                 "status": "failed", "output": "no submission", "tags": ["bank"],
                                 "visibility": "visible"}]


# -- the rest -----------------------------------------------------------------------------------

def test_progress_in_a_log_is_one_line_per_tenth(tmp_path):
    stream = io.StringIO()
    progress = Progress(40, 2, stream)
    for _ in range(40):
        progress.advance(1, seconds=1.0)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 11 and lines[-1].startswith("[" + "#" * 24 + "] 40/40 done, 0 grader errors")
    assert lines[0].endswith("ETA 0:20")  # 39 left, 1 s each, 2 at a time


def test_bundle_dependencies_are_the_projects():
    text = (ROOT / "pyproject.toml").read_text()
    block = re.search(r"^dependencies = \[(.*?)\]", text, re.S | re.M).group(1)
    assert sorted(re.findall(r'"([^"]+)"', block)) == sorted(DEPENDENCIES)


def test_moodle_flat_files_are_grouped_by_participant(rubric, tmp_path):
    folder = tmp_path / "moodle"
    folder.mkdir()
    (folder / "Ana López_12_assignsubmission_file_bank.py").write_text("a = 1\n")
    (folder / "Ana López_12_assignsubmission_file_helpers.py").write_text("h = 1\n")
    (folder / "Bo Li_13_assignsubmission_onlinetext_onlinetext.html").write_text("<p>see attached</p>")
    layout, _, found = Discovery([rubric.task("bank")], tmp_path / "w").run(folder)
    assert layout == "moodle" and [(f.key, f.name) for f in found] == [("12", "Ana López"), ("13", "Bo Li")]
    assert [n for n, _ in found[0].helpers["bank"]] == ["helpers.py"] and "bank" not in found[1].files


def test_batch_errors_are_one_line_without_a_traceback(tmp_path, capsys):
    from grader.cli import main

    assert main(["batch", str(tmp_path / "missing"), "--quiet"]) == 2
    assert main(["batch", str(tmp_path), "--task", "banking"]) == 2
    assert main(["batch", str(tmp_path), "--assignment", "bank"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("grader: error: ") for line in err)
    assert "no such folder" in err[0] and "no task 'banking'" in err[1] and "TASK=TITLE" in err[2]


# -- a class as an instructor downloads it, graded through the command line ---------------------

# Two tasks with one quick check each: what is under test is which file is graded for whom.
TINY_RUBRIC = """
version: 4
tasks:
  bank:
    file: bank.py
    entry_points: {account_class: BankAccount, simulate: simulate, transfer: transfer}
    checks:
      - {id: api, points: 1, description: the API exists}
      - {id: basic, points: 2, description: single-thread behaviour, depends: [api]}
  downloader:
    file: downloader.py
    entry_points: {download: download_pages}
    checks:
      - {id: api, points: 1, description: the API exists}
"""
BANK = (ROOT / "reference" / "bank.py").read_text()
DOWNLOADER = (ROOT / "reference" / "downloader.py").read_text()


def canvas_class(tmp_path, uploads: dict[str, str], roster_titles: list[str]):
    """A Canvas "Download submissions" zip of `uploads` (name after the Canvas prefix ->
    source), one student each, and a gradebook export with those assignment columns."""
    (tmp_path / "rubric.yaml").write_text(TINY_RUBRIC)
    rows = [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *roster_titles, "Current Score"],
            ["    Points Possible", "", "", "", "", *["3"] * len(roster_titles), ""]]
    with zipfile.ZipFile(tmp_path / "submissions.zip", "w") as zf:
        for n, (name, text) in enumerate(uploads.items()):
            zf.writestr(f"student{n}_pupil_{100 + n}_{900 + n}_{name}", text)
            rows.append([f"Pupil, Student{n}", str(100 + n), f"S{n}", f"s{n}", "A", *[""] * len(roster_titles), ""])
    with open(tmp_path / "export.csv", "w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return tmp_path / "submissions.zip"


def grade_class(tmp_path, source, *extra):
    from grader.cli import main

    out = tmp_path / "out"
    code = main(["batch", str(source), "--rubric", str(tmp_path / "rubric.yaml"), "--out", str(out),
                 "--quiet", "--jobs", "1", *extra])
    assert code == 0
    data = json.loads((out / "grades.json").read_text())
    canvas_rows = list(csv.reader(io.StringIO((out / "canvas.csv").read_text())))
    return data, canvas_rows


def by_name(data):
    return {s["name"]: s for s in data["students"]}


@pytest.mark.sandbox
def test_canvas_titles_are_matched_by_whole_words(tmp_path, capsys):
    source = canvas_class(tmp_path, {"bank.py": BANK, "downloader.py": DOWNLOADER},
                          ["Old quiz (123)", "HW3: Bank account (4711)", "Concurrent downloader (4712)",
                           "Bankruptcy essay (4713)"])
    _, rows = grade_class(tmp_path, source, "--roster", str(tmp_path / "export.csv"))
    assert rows[0][5:] == ["HW3: Bank account (4711)", "Concurrent downloader (4712)"]
    assert "warning" not in capsys.readouterr().err


@pytest.mark.sandbox
def test_bilingual_titles_match_either_language(tmp_path):
    source = canvas_class(tmp_path, {"bank.py": BANK, "downloader.py": DOWNLOADER},
                          ["Hilos: cuenta bancaria / Thread-safe bank (4711)",
                           "Descargas concurrentes / Downloading pages (4712)"])
    _, rows = grade_class(tmp_path, source, "--roster", str(tmp_path / "export.csv"))
    assert rows[0][5:] == ["Hilos: cuenta bancaria / Thread-safe bank (4711)",
                           "Descargas concurrentes / Downloading pages (4712)"]


@pytest.mark.sandbox
def test_a_task_no_column_names_is_one_warning_listing_the_columns(tmp_path, capsys):
    source = canvas_class(tmp_path, {"bank.py": BANK, "downloader.py": DOWNLOADER},
                          ["Cuenta bancaria (4711)", "Concurrent downloader (4712)"])
    _, rows = grade_class(tmp_path, source, "--roster", str(tmp_path / "export.csv"))
    assert rows[0][5:] == ["bank", "Concurrent downloader (4712)"]
    warnings = [line for line in capsys.readouterr().err.splitlines() if "assignment column" in line]
    assert len(warnings) == 1
    assert "task bank" in warnings[0] and "'Cuenta bancaria (4711)'" in warnings[0]
    assert "--assignment bank=" in warnings[0]


@pytest.mark.sandbox
def test_misnamed_uploads_are_graded_or_listed_never_missing(tmp_path):
    source = canvas_class(tmp_path, {
        "bank_final.py": BANK, "bank (1).py": BANK + "\n# 1\n", "bank-v2.py": BANK + "\n# 2\n",
        "bank.docx": "PK not python", "bank_v1.py": BANK + "\n# 3\n", "bank.py": BANK + "\n# 4\n"}, [])
    # the last one: a sixth student uploads two candidates
    with zipfile.ZipFile(source, "a") as zf:
        zf.writestr("student4_pupil_104_904_bank_v2.py", BANK + "\n# 5\n")
    data, rows = grade_class(tmp_path, source, "--task", "bank")
    grades = {s["key"]: s["grades"]["bank"] for s in data["students"]}
    for key, name in (("100", "bank_final.py"), ("101", "bank (1).py"), ("102", "bank-v2.py")):
        assert grades[key]["status"] == "graded" and grades[key]["score"] == 3
        assert f"graded {name}" in grades[key]["note"] and grades[key]["source"].endswith(name)
    assert grades["103"]["status"] == "unmatched"
    assert "bank.docx is not a Python file" in grades["103"]["note"]
    assert grades["104"]["status"] == "unmatched"
    assert "bank_v1.py, bank_v2.py" in grades["104"]["note"]
    assert grades["105"]["status"] == "graded" and grades["105"]["note"] == ""
    cells = {row[1]: row[5] for row in rows[2:]}
    assert cells["103"] == "" and cells["104"] == "" and cells["100"] == "3"


@pytest.mark.sandbox
def test_a_moodle_folder_with_only_bank_final_is_graded_for_bank(tmp_path):
    (tmp_path / "rubric.yaml").write_text(TINY_RUBRIC)
    folder = tmp_path / "moodle"
    for name, files in (("Ann Lee_101", {"bank_final.py": BANK}), ("Bo Kim_102", {"bank.py": BANK + "#\n"}),
                        ("Cy Young_103", {"report.pdf": "%PDF"}), ("Di Ray_104", {"solution.py": BANK + "##\n"})):
        (folder / f"{name}_assignsubmission_file_").mkdir(parents=True)
        for file, text in files.items():
            (folder / f"{name}_assignsubmission_file_" / file).write_text(text)
    data, _ = grade_class(tmp_path, folder)
    people = by_name(data)
    assert data["tasks"] == ["bank"]
    assert people["Ann Lee"]["grades"]["bank"]["score"] == 3
    assert "graded bank_final.py" in people["Ann Lee"]["grades"]["bank"]["note"]
    assert "defining BankAccount" in people["Di Ray"]["grades"]["bank"]["note"]
    cy = people["Cy Young"]["grades"]["bank"]
    assert cy["status"] == "unmatched" and "holds report.pdf" in cy["note"]


@pytest.mark.sandbox
def test_a_one_assignment_zip_without_task_grades_the_task_it_holds(tmp_path, capsys):
    source = canvas_class(tmp_path, {"bank.py": BANK, "bank_done.py": BANK + "#\n"}, ["Bank account (4711)"])
    data, rows = grade_class(tmp_path, source, "--roster", str(tmp_path / "export.csv"))
    assert data["tasks"] == ["bank"]
    assert all(s["max_total"] == 3 and s["total"] == 3 for s in data["students"])
    assert rows[0][5:] == ["Bank account (4711)"]
    err = capsys.readouterr().err
    assert "grading bank only: no submission holds downloader.py" in err


@pytest.mark.sandbox
def test_gradescope_grades_a_misnamed_upload_and_says_which(tmp_path):
    from grader.batch.autograder import grade_submission

    (tmp_path / "rubric.yaml").write_text(TINY_RUBRIC)
    (tmp_path / "submission").mkdir()
    (tmp_path / "submission" / "Bank_final.py").write_text(BANK)
    data = grade_submission(tmp_path / "submission", str(tmp_path / "rubric.yaml"), ["bank"],
                            allow_weak_isolation=True)
    assert data["score"] == 3 and "graded Bank_final.py" in data["output"]


@pytest.mark.parametrize("name, plausible", [
    ("bank_final.py", True), ("bank (1).py", True), ("bank-v2.py", True), ("MyBank2.py", True),
    ("bank.docx", True), ("bankruptcy.py", False), ("test_bank.py", False), ("banks_tests.py", False),
    ("downloader.py", False)])
def test_a_file_name_names_the_task_as_a_whole_word_and_not_its_tests(name, plausible):
    assert naming.names_task(name, "bank.py") is plausible


def test_every_registered_output_writes_only_clean_files(rubric, tmp_path):
    """Issue 22 item 8, for outputs to come too: every writer the batch knows (a new module is
    one more), over a class whose every text field is hostile (the student's key, name, email and
    section, the file's name, the note, the report's file, messages and details, the warnings),
    writes files that are clean for their own format."""
    import dataclasses

    from batch_formats import output_problems
    from grader.batch.outputs import load_outputs

    odd = HOSTILE + ' \u202egnp\n=HYPERLINK("http://x") \u2066'
    result = _result(rubric, tmp_path)
    row = result.students[0]
    row.student = dataclasses.replace(row.student, key="=k" + odd, name=odd, email=odd, section=odd,
                                      moodle_id="1020399")
    grade = row.grades["bank"]
    grade.source, grade.note = "x/" + odd + ".py", odd
    grade.report.file = odd + ".py"
    row.notes.append(odd)
    result.warnings.append(odd)
    written = []
    (tmp_path / "out").mkdir()
    for name, write in load_outputs().items():
        written += write(result, tmp_path / "out")
    assert {p.name for p in written} >= {"grades.csv", "canvas.csv", "moodle-bank.csv", "grades.json",
                                         "junit.xml", "report.html", "results.json"}
    dirty = {str(p.relative_to(tmp_path / "out")): found for p in written
             if (found := output_problems(p.name, p.read_text(encoding="utf-8")))}
    assert dirty == {}
