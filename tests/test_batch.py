"""Batch grading of a whole class: every layout, every output, the cache, hostile students.

One generated class of 44 students (42 submit; copies of a few real submissions, so grades
are known) is graded once per layout in a module-scoped fixture; the layouts share one cache,
so only the first run grades (each distinct content once) and the tests inspect the outputs.
"""
import html
import json
import os
import re
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
import zipfile
import zlib
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

from batch_class import SYNTAX_ERROR, corpus, make_class, write_layout, write_roster
from batch_formats import canvas_problems, canvas_title, gradescope_problems
from conftest import ROOT
from grader.batch.app import BatchOptions, run_batch
from grader.batch.outputs import student_files
from grader.batch.outputs._svg import BAR
from grader.batch.records import BatchResult
from grader.cli import main
from grader.rubric import parse_rubric

BANK = ["reference", "buggy_temp_race", "buggy_no_lock", "buggy_api_misnamed", "script_correct_global_lock"]
DOWNLOADER = ["reference", "buggy_lambda_late_binding", "buggy_no_try_except", "script_correct_threads"]
# layout written -> (roster kind, layout detected)
LAYOUTS = {"folders": ("plain", "folders"), "canvas": ("canvas", "canvas"), "canvas-zip": ("canvas", "canvas"),
           "moodle": ("moodle", "moodle"), "classroom": ("classroom", "classroom")}
SIZE, EXTRAS = 42, 2


@dataclass
class Run:
    result: BatchResult
    out: Path
    source: Path


@pytest.fixture(scope="module")
def klass(rubric, tmp_path_factory):
    tasks = [t for t in ("bank", "downloader") if t in rubric.tasks]
    sources = {"bank": [corpus("bank", n) for n in BANK] + [SYNTAX_ERROR],
               "downloader": [corpus("downloader", n) for n in DOWNLOADER]}
    pupils = make_class(SIZE, tasks, sources, missing_every=8, extras=EXTRAS)
    # Canvas re-uploads: the newest upload is graded, whatever came before
    pupils[5].older["bank"] = corpus("bank", "buggy_no_lock")  # newest: the syntax error
    pupils[6].older["bank"] = SYNTAX_ERROR  # newest: the reference solution
    pupils[3].zipped = True
    base = tmp_path_factory.mktemp("class")
    return tasks, pupils, base


@pytest.fixture(scope="module")
def runs(klass, rubric):
    tasks, pupils, base = klass
    done = {}
    for layout, (roster_kind, _) in LAYOUTS.items():
        source = write_layout([p for p in pupils if p.files], layout, base / layout)
        roster = write_roster(pupils, roster_kind, base / f"{layout}-roster.csv")
        titles = {"bank": "Bank account (12345)"} if layout == "canvas" else {}
        result, _ = run_batch(source, rubric, BatchOptions(
            out=base / f"{layout}-grades", roster=roster, cache_dir=base / "cache", jobs=2,
            progress=False, titles=titles))
        done[layout] = Run(result, base / f"{layout}-grades", source)
    return done


def by_name(result):
    return {row.student.name: row for row in result.students}


def full(pupil):
    return f"{pupil.first} {pupil.last}"


def test_every_layout_finds_every_student_and_their_files(klass, runs):
    tasks, pupils, _ = klass
    for layout, run in runs.items():
        assert run.result.layout == LAYOUTS[layout][1]
        rows = by_name(run.result)
        assert len(rows) == SIZE + EXTRAS, layout
        for pupil in pupils:
            row = rows[full(pupil)]
            assert row.student.on_roster, (layout, pupil.index)
            for task in tasks:
                status = row.grades[task].status
                assert status == ("graded" if task in pupil.files else "missing"), (layout, pupil.index, task)


def test_a_grade_depends_only_on_the_content_whatever_the_layout(klass, runs):
    tasks, pupils, _ = klass
    first = runs["folders"].result
    distinct = {(t, p.files[t]) for p in pupils for t in p.files}
    assert first.stats.gradings == len(distinct)  # identical files were graded once
    reference = by_name(first)
    for layout, run in runs.items():
        if layout != "folders":
            assert run.result.stats.gradings == 0 and run.result.stats.cached == len(distinct)
        for name, row in by_name(run.result).items():
            assert {t: g.score for t, g in row.grades.items()} == \
                   {t: g.score for t, g in reference[name].grades.items()}, (layout, name)


def test_known_submissions_get_known_grades(klass, runs, rubric):
    tasks, pupils, _ = klass
    rows = by_name(runs["folders"].result)
    for pupil in pupils:
        row = rows[full(pupil)]
        for task in tasks:
            grade = row.grades[task]
            text = pupil.files.get(task)
            if text is None:
                assert grade.score == 0 and grade.note in ("no submission", f"no {task}.py in the submission")
            elif text == corpus(task, "reference"):
                assert grade.score >= rubric.task(task).max_score("contract")
            elif text == SYNTAX_ERROR:
                assert grade.score == 0 and "SyntaxError" in grade.note
    extras = [rows[full(p)] for p in pupils if not p.files]  # on the roster, nothing submitted
    assert len(extras) >= EXTRAS and all(r.total == 0 and not r.submitted for r in extras)
    plain = (runs["folders"].out / "grades.csv").read_text()
    for row in extras:
        assert re.search(rf"^{row.student.key},{row.student.name},.*,no submission,", plain, re.M)


def test_canvas_takes_the_newest_upload_and_flags_late_ones(klass, runs):
    tasks, pupils, _ = klass
    rows = by_name(runs["canvas"].result)
    folders = by_name(runs["folders"].result)
    for index in (5, 6):  # older upload kept the name, the newest is bank-1.py
        pupil = pupils[index]
        assert rows[full(pupil)].grades["bank"].source.endswith("_bank-1.py")
        assert rows[full(pupil)].grades["bank"].score == folders[full(pupil)].grades["bank"].score
    assert rows[full(pupils[6])].grades["bank"].note == ""  # not the broken older upload
    late = {full(p) for p in pupils if p.late and p.files}
    assert late and {n for n, r in rows.items() if r.late} == late
    lines = (runs["canvas"].out / "grades.csv").read_text().splitlines()
    assert sum(1 for line in lines if ",yes,submitted," in line) == len(late)


def test_canvas_csv_follows_canvas_importer_rules(klass, runs, rubric):
    tasks, pupils, _ = klass
    for layout in ("canvas", "folders"):
        text = (runs[layout].out / "canvas.csv").read_text(encoding="utf-8")
        assert canvas_problems(text) == [], layout
    rows = [line for line in (runs["canvas"].out / "canvas.csv").read_text().splitlines()]
    header = rows[0].split(",")
    assert header[:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert canvas_title(header[5]) == ("Bank account", "12345")
    points = rows[1].split(",")
    assert points[5] == f"{rubric.task('bank').max_score('contract'):g}"
    import csv
    parsed = list(csv.reader(rows))[2:]
    ids = {p.canvas_id: p for p in pupils}
    assert len(parsed) == SIZE + EXTRAS and {r[1] for r in parsed} == set(ids)
    for r in parsed:
        pupil = ids[r[1]]
        assert r[0] == f"{pupil.last}, {pupil.first}" and r[3] == pupil.login and r[4] == pupil.section


def test_results_json_follows_gradescope_spec(runs):
    for layout, run in runs.items():
        files = sorted((run.out / "gradescope").glob("*/results.json"))
        assert len(files) == SIZE + EXTRAS
        for path in files:
            text = path.read_text()
            assert gradescope_problems(text) == [], (layout, path)
            data = json.loads(text)
            if "(needs review)" not in data["output"]:  # a withheld grade is left out of the score
                assert data["score"] == pytest.approx(sum(t["score"] for t in data["tests"]))
    row = next(r for r in runs["folders"].result.students if r.grades["bank"].report and
               r.grades["bank"].report.checks and r.grades["bank"].score == 0 and not r.grades["bank"].note)
    name = student_files(runs["folders"].result)[row.student.key]
    data = json.loads((runs["folders"].out / "gradescope" / name / "results.json").read_text())
    failed = [t for t in data["tests"] if t["status"] == "failed" and t["name"].startswith("bank:")]
    assert failed and all(t["output"] for t in failed)


def test_junit_xml_parses_with_one_case_per_check(klass, runs):
    tasks, _, _ = klass
    result = runs["moodle"].result
    root = ET.parse(runs["moodle"].out / "junit.xml").getroot()
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == len(result.students) * len(tasks)
    assert int(root.get("tests")) == sum(1 for _ in root.iter("testcase"))
    assert int(root.get("failures")) == sum(1 for _ in root.iter("failure"))
    for suite in suites:
        assert int(suite.get("tests")) == len(suite.findall("testcase"))
    # a missing task is the student's failure (no file, no points), not an error
    missing = [s for s in suites if s.find("testcase/failure[@type='missing']") is not None]
    assert len(missing) == sum(1 for r in result.students for g in r.grades.values() if g.status == "missing")


def test_each_student_gets_markdown_feedback_with_the_details(runs):
    run = runs["classroom"]
    files = sorted((run.out / "feedback").glob("*.md"))
    assert len(files) == SIZE + EXTRAS
    names = student_files(run.result)
    for row in run.result.students:
        text = (run.out / "feedback" / f"{names[row.student.key]}.md").read_text()
        assert text.startswith("# Feedback: ")
        for grade in row.grades.values():
            for check in grade.report.checks if grade.report else []:
                if check.status == "failed" and check.visibility != "hidden" and check.details:
                    assert check.details.splitlines()[0] in text


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.external = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for name, value in attrs:
            if name in ("src", "srcset", "data") or (name in ("href", "xlink:href") and not (value or "").startswith("#")):
                self.external.append((tag, name, value))


def test_html_report_is_self_contained_and_shows_every_check(klass, runs):
    tasks, _, _ = klass
    run = runs["canvas"]
    text = (run.out / "report.html").read_text()
    parser = _Assets()
    parser.feed(text)
    assert parser.external == [] and not {"script", "link", "img", "iframe", "object"} & set(parser.tags)
    assert "url(" not in text and "@import" not in text
    assert text.count('<svg class="histogram"') == len(tasks)
    assert '<rect class="bar"' in text
    for row in run.result.students:
        assert html.escape(row.student.name) in text
        for grade in row.grades.values():
            for check in grade.report.checks if grade.report else []:
                if check.details:
                    assert html.escape(check.details, quote=True) in text


def _png_pixels(path):
    """(width, height, rows of RGB(A) bytes) of an 8-bit, non-interlaced PNG, as Chromium writes."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    width, height, depth, color, _, _, interlace = header
    assert depth == 8 and interlace == 0 and color in (2, 6)
    bpp = 3 if color == 2 else 4
    raw, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed (install.sh installs it as root)")
def test_html_report_renders_its_histogram_in_headless_chromium(runs, tmp_path):
    report = runs["folders"].out / "report.html"
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--force-color-profile=srgb", "--hide-scrollbars"]
    dom = subprocess.run(flags + ["--dump-dom", report.as_uri()], capture_output=True, text=True, timeout=60)
    assert dom.returncode == 0 and '<rect class="bar"' in dom.stdout and "</svg>" in dom.stdout
    shot = tmp_path / "report.png"
    done = subprocess.run(flags + ["--window-size=1000,700", f"--screenshot={shot}", report.as_uri()],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and shot.exists()
    width, height, bpp, rows = _png_pixels(shot)
    target = bytes(int(BAR[i:i + 2], 16) for i in (1, 3, 5))
    bar_pixels = sum(1 for row in rows for x in range(0, width * bpp, bpp) if row[x:x + 3] == target)
    assert bar_pixels > 500  # the first task's histogram bars are on screen, drawn in their colour


def test_rerun_is_answered_by_the_cache_and_writes_the_same_files(runs, klass, rubric, capsys):
    _, _, base = klass
    run = runs["folders"]
    before = {p: p.read_bytes() for p in run.out.rglob("*") if p.is_file() and ".cache" not in p.parts}
    code = main(["batch", str(run.source), "--out", str(run.out), "--roster", str(base / "folders-roster.csv"),
                 "--cache", str(base / "cache"), "--jobs", "2", "--rubric", str(rubric.path)])
    assert code == 0
    out = capsys.readouterr()
    assert " 0 graded" in out.out and "[" in out.err and "done" in out.err
    after = {p: p.read_bytes() for p in run.out.rglob("*") if p.is_file() and ".cache" not in p.parts}
    assert after == before


def test_force_regrades_and_gives_the_same_grades(rubric, tmp_path):
    folder = tmp_path / "class"
    for name, source in (("ann", "reference"), ("bob", "buggy_temp_race")):
        (folder / name).mkdir(parents=True)
        (folder / name / "bank.py").write_text(corpus("bank", source))
    options = BatchOptions(tasks=["bank"], out=tmp_path / "out", jobs=2, progress=False)
    first, _ = run_batch(folder, rubric, options)
    options.force = True
    second, _ = run_batch(folder, rubric, options)
    assert first.stats.gradings == second.stats.gradings == 2
    for a, b in zip(first.students, second.students):
        report_a, report_b = a.grades["bank"].report, b.grades["bank"].report
        assert [(c.id, c.status, c.message, c.details) for c in report_a.checks] == \
               [(c.id, c.status, c.message, c.details) for c in report_b.checks]


def test_hostile_submissions_cost_only_their_own_time_limit(tmp_path):
    text = (ROOT / "rubric.yaml").read_text()
    text = re.sub(r"import_seconds: \d+", "import_seconds: 2", text)
    text = re.sub(r"check_seconds: \d+", "check_seconds: 3", text)
    fast = parse_rubric(tmp_path / "rubric.yaml", text)
    folder = tmp_path / "class"
    hostile = {
        "loop": "class BankAccount: pass\nwhile True:\n    pass\n",
        "forkbomb": "import os\nclass BankAccount: pass\nwhile True:\n    try:\n        os.fork()\n"
                    "    except OSError:\n        pass\n",
    }
    for name, source in list(hostile.items()) + [("good", corpus("bank", "reference"))]:
        (folder / name).mkdir(parents=True)
        (folder / name / "bank.py").write_text(source)
    result, _ = run_batch(folder, fast, BatchOptions(tasks=["bank"], out=tmp_path / "out", jobs=2, progress=False))
    rows = {r.student.key: r.grades["bank"] for r in result.students}
    for name in hostile:
        assert rows[name].score == 0 and "did not finish within 2 s" in rows[name].note
    assert rows["good"].score >= fast.task("bank").max_score("contract")


def test_gradescope_bundle_grades_a_submission_as_gradescope_would(rubric, tmp_path, capsys):
    bundle = tmp_path / "autograder.zip"
    assert main(["gradescope-bundle", "--task", "bank", "-o", str(bundle)]) == 0
    assert "autograder.zip" in capsys.readouterr().out
    with zipfile.ZipFile(bundle) as zf:
        names = zf.namelist()
        assert {"setup.sh", "run_autograder", "rubric.yaml", "grader-src/pyproject.toml",
                "grader-src/grader/grading/__init__.py", "grader-src/grader/batch/autograder.py"} <= set(names)
        assert all(not n.endswith(".pyc") and "__pycache__" not in n for n in names)
        for script in ("setup.sh", "run_autograder"):
            assert (zf.getinfo(script).external_attr >> 16) & 0o111
        root = tmp_path / "autograder"
        zf.extractall(root / "source")
    (root / "submission" / "src").mkdir(parents=True)  # a student who uploaded a folder
    (root / "submission" / "src" / "bank.py").write_text(corpus("bank", "reference"))
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), PYTHONPATH=str(root / "source" / "grader-src"))
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, capture_output=True,
                          text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = (root / "results" / "results.json").read_text()
    assert gradescope_problems(text) == []
    data = json.loads(text)
    assert data["score"] >= rubric.task("bank").max_score("contract")
    assert all(t["status"] == "passed" for t in data["tests"] if "bonus" not in t["tags"])
    first = bundle.read_bytes()
    assert main(["gradescope-bundle", "--task", "bank", "-o", str(bundle)]) == 0
    assert bundle.read_bytes() == first  # the same zip, byte for byte


def test_a_file_name_that_is_not_utf8_costs_nobody_their_grade(rubric, tmp_path):
    """Red team round 3: one student's helper file named with invalid UTF-8 and an escape code
    crashed the whole batch (the cache key, then grades.csv). Now everyone is graded and no
    output carries the escape."""
    folder = tmp_path / "class"
    for student in ("alice", "bob"):
        (folder / student).mkdir(parents=True)
        (folder / student / "bank.py").write_text(corpus("bank", "reference"))
    odd = os.fsencode(folder / "alice") + b"/helper\xff\x1b[31m.py"
    with open(odd, "w") as helper:
        helper.write("import sys\nFRAME = sys._getframe(0).f_back\n")
    result, _ = run_batch(folder, rubric, BatchOptions(tasks=["bank"], out=tmp_path / "out", jobs=2,
                                                       progress=False))
    grades = {r.student.key: r.grades["bank"] for r in result.students}
    assert grades["alice"].score == grades["bob"].score > 0
    for output in (tmp_path / "out").rglob("*"):
        if output.is_file() and ".cache" not in output.parts:
            assert b"\x1b" not in output.read_bytes(), output


def test_a_finding_names_its_file_cleaned_of_escape_codes_and_bad_bytes():
    from grader.submission.audit_static import Finding

    text = Finding("helper\udcff\x1b[31m.py", 2, "takes an interpreter frame").text()
    assert "\x1b" not in text and "\udcff" not in text and text.endswith("line 2: takes an interpreter frame")
    text.encode("utf-8")
