"""Every output, as users produce it through the CLI, reads right (issue 20) and is clean (issue 22).

`grader check --format text|json|junit`, `grader check --github --junit` (job summary, annotations,
Classroom result) and `grader batch` (every file it writes: grades.csv, canvas.csv, the Moodle
worksheet, grades.json, junit.xml, report.html, feedback, Gradescope results.json) are run on:

* a correct bank and a correct downloader graded by what they do (top-level scripts with their
  own names, none of the contract's): no output may say FAIL or failed anywhere;
* a bank script with no lock, whose two race checks see one bug: the check whose deduction the
  finding's cap gives back in full is a note in every output, never a failure;
* an attack submission whose file name, printed output, exception message and class name carry
  terminal escapes, markup, `]]>`, a spreadsheet formula, newlines and bidi overrides: every
  output is clean and still names the student's line.
"""
from __future__ import annotations

import base64
import csv
import io
import json
import os
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from batch_formats import output_problems
from grader.cli import main

pytestmark = pytest.mark.sandbox

# A bank of its own naming, run as a script: the textbook shape, correct.
VAULT = '''\
"""A vault shared by tellers: a top-level script with its own names."""
import threading


class Vault:
    def __init__(self, start):
        self.money = start
        self.guard = threading.Lock()

    def put_in(self, amount):
        with self.guard:
            self.money += amount

    def take_out(self, amount):
        with self.guard:
            if amount > self.money:
                return False
            self.money -= amount
            return True


vault = Vault(50)


def teller(rounds):
    for _ in range(rounds):
        vault.put_in(3)
        vault.take_out(1)


tellers = [threading.Thread(target=teller, args=(25,)) for _ in range(5)]
for t in tellers:
    t.start()
for t in tellers:
    t.join()
print("vault holds", vault.money)
'''

# The same script with no lock: one race, seen by script_consistent and script_uses_lock.
RACY_VAULT = '''\
import threading


class Vault:
    def __init__(self, start):
        self.money = start

    def put_in(self, amount):
        money = self.money
        self.money = money + amount


vault = Vault(50)


def teller(rounds):
    for _ in range(rounds):
        vault.put_in(3)


tellers = [threading.Thread(target=teller, args=(25,)) for _ in range(5)]
for t in tellers:
    t.start()
for t in tellers:
    t.join()
print("vault holds", vault.money)
'''

# A downloader of its own shape: one thread per page, the statuses in a dict under a lock.
PAGES = '''\
"""Fetch a few pages at once: one thread per page, the statuses kept in a shared dict."""
import threading

import requests

PAGES = ["https://example.com/", "https://example.org/news", "https://example.net/about",
         "https://example.com/contact"]
statuses = {}
statuses_lock = threading.Lock()


def fetch(page):
    try:
        status = requests.get(page, timeout=5).status_code
        print(page, status)
    except requests.RequestException as exc:
        status = None
        print(page, "error", type(exc).__name__)
    with statuses_lock:
        statuses[page] = status


workers = [threading.Thread(target=fetch, args=(page,)) for page in PAGES]
for worker in workers:
    worker.start()
for worker in workers:
    worker.join()
print(len(statuses), "pages checked")
'''

MOODLE_FOLDER = "Ada Smith_1020300_assignsubmission_file_"
# A status mark (FAIL, as the text report, summary and feedback write it) or the word failed in
# any case; "a URL that fails" in the downloader's own vocabulary is no verdict.
FAILURE = re.compile(r"\bFAIL(?:ED)?\b|\b[Ff]ailed\b")


class VisibleText(HTMLParser):
    """The text a browser shows (and the attribute values a reader may see: titles, labels)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._style = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._style += tag == "style"
        self.parts += [value or "" for name, value in attrs if name in ("title", "aria-label", "alt")]

    def handle_endtag(self, tag: str) -> None:
        self._style -= tag == "style"

    def handle_data(self, data: str) -> None:
        if not self._style:
            self.parts.append(data)


def visible(path: Path) -> str:
    """What a reader of the file sees: an HTML page's text, a results file's strings, else the file."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".html":
        parser = VisibleText()
        parser.feed(text)
        return "\n".join(parser.parts)
    return text


def check_outputs(folder: Path, file: Path, monkeypatch: pytest.MonkeyPatch,
                  capsys: pytest.CaptureFixture[str], task: tuple[str, ...] = ("--task", "bank")) -> dict[str, str]:
    """Every `grader check` output for `file` (a folder: every task's file in it, with `task=()`),
    by name: streams and the CI files."""
    outputs: dict[str, str] = {}
    for fmt in ("text", "json", "junit"):
        main(["check", str(file), *task, "--format", fmt])
        out, err = capsys.readouterr()
        outputs[f"check --format {fmt}"] = out
        outputs[f"check --format {fmt} (stderr)"] = err
    summary, result = folder / "summary.md", folder / "github_output"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_OUTPUT", str(result))
    monkeypatch.setenv("GITHUB_WORKSPACE", str(file if file.is_dir() else file.parent))
    main(["check", str(file), *task, "--github", "--junit", str(folder / "ci.xml")])
    out, err = capsys.readouterr()
    outputs["check --github (stdout: report and annotations)"] = out
    outputs["check --github (stderr)"] = err
    outputs["job summary"] = summary.read_text(encoding="utf-8")
    outputs["ci junit"] = (folder / "ci.xml").read_text(encoding="utf-8")
    encoded = result.read_text(encoding="utf-8").strip().removeprefix("result=")
    outputs["classroom result"] = base64.b64decode(encoded).decode("utf-8")
    return outputs


def batch_outputs(klass: Path, out: Path, capsys: pytest.CaptureFixture[str],
                  task: tuple[str, ...] = ("--task", "bank"), quiet: bool = True) -> dict[str, str]:
    """Every file `grader batch` writes (the cache aside), by its path in the output folder, and
    what it printed (with `quiet=False`, its progress lines too)."""
    main(["batch", str(klass), *task, "--out", str(out), *(["--quiet"] if quiet else [])])
    stdout, stderr = capsys.readouterr()
    files = {str(p.relative_to(out)): visible(p) for p in sorted(out.rglob("*"))
             if p.is_file() and ".cache" not in p.relative_to(out).parts}
    return {"batch (stdout)": stdout, "batch (stderr)": stderr, **files}


def written_by_batch(outputs: dict[str, str], tasks: tuple[str, ...] = ("bank",)) -> None:
    """The outputs `grader batch --help` lists are all there (the Moodle worksheets too)."""
    names = set(outputs)
    for expected in ("grades.csv", "canvas.csv", *(f"moodle-{t}.csv" for t in tasks), "grades.json",
                     "junit.xml", "report.html"):
        assert expected in names, sorted(names)
    assert any(n.startswith("feedback/") for n in names), sorted(names)
    assert any(n.startswith("gradescope/") and n.endswith("results.json") for n in names), sorted(names)


@pytest.fixture(scope="module")
def correct(tmp_path_factory: pytest.TempPathFactory) -> Path:
    klass = tmp_path_factory.mktemp("correct") / "class"
    (klass / MOODLE_FOLDER).mkdir(parents=True)
    (klass / MOODLE_FOLDER / "bank.py").write_text(VAULT, encoding="utf-8")
    (klass / MOODLE_FOLDER / "downloader.py").write_text(PAGES, encoding="utf-8")
    return klass


def test_a_correct_program_graded_by_what_it_does_shows_no_failure_anywhere(
        correct: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    outputs = check_outputs(tmp_path, correct / MOODLE_FOLDER, monkeypatch, capsys, task=())
    text = outputs["check --format text"]
    assert text.count("[NOTE] api") == 2  # the names each lacks: said, not failed
    assert "score: 18/18" in text and "score: 20/20" in text
    batch = batch_outputs(correct, tmp_path / "grades", capsys, task=(), quiet=False)
    assert "2/2 done, 0 grader errors" in batch["batch (stderr)"]  # the progress lines
    written_by_batch(batch, ("bank", "downloader"))
    assert "1020300" in batch["grades.csv"] and ",18,18," in batch["grades.csv"]
    outputs.update(batch)
    failing = {name: FAILURE.findall(text) for name, text in outputs.items() if FAILURE.search(text)}
    assert failing == {}
    classroom = json.loads(outputs["classroom result"])
    assert classroom["status"] == "pass" and {t["status"] for t in classroom["tests"]} == {"pass"}
    assert "::error" not in outputs["check --github (stdout: report and annotations)"]
    (results,) = [json.loads(text) for name, text in batch.items() if name.endswith("results.json")]
    assert {t["status"] for t in results["tests"]} == {"passed"} and results["score"] == 18 + 20 + 2
    suites = ET.fromstring(batch["junit.xml"])
    assert suites.get("failures") == "0" and suites.get("errors") == "0"


def test_a_race_check_whose_deduction_the_cap_gives_back_is_a_note_in_every_output(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    klass = tmp_path / "class"
    (klass / MOODLE_FOLDER).mkdir(parents=True)
    file = klass / MOODLE_FOLDER / "bank.py"
    file.write_text(RACY_VAULT, encoding="utf-8")
    outputs = check_outputs(tmp_path, file, monkeypatch, capsys)
    text = outputs["check --format text"]
    assert re.search(r"\[FAIL\] script_consistent +0/6", text)
    assert re.search(r"\[NOTE\] script_uses_lock +4/4", text)
    assert "the same finding as script_consistent" in text
    (report,) = json.loads(outputs["check --format json"])["reports"]
    statuses = {c["id"]: c["status"] for c in report["checks"]}
    assert statuses["script_consistent"] == "failed" and statuses["script_uses_lock"] == "note"
    for xml in (outputs["check --format junit"], outputs["ci junit"]):
        case = ET.fromstring(xml).find(".//testcase[@name='script_uses_lock']")
        assert case is not None and case.find("failure") is None and case.find("error") is None
    annotations = outputs["check --github (stdout: report and annotations)"]
    assert "script_consistent" in annotations and "bank.script_uses_lock" not in annotations
    assert re.search(r"\| script\\_uses\\_lock \| \S+ NOTE \| 4/4 \|", outputs["job summary"])
    classroom = {t["name"]: t["status"] for t in json.loads(outputs["classroom result"])["tests"]}
    assert classroom["bank: script_uses_lock"] == "pass" and classroom["bank: script_consistent"] == "fail"

    batch = batch_outputs(klass, tmp_path / "grades", capsys)
    feedback = next(text for name, text in batch.items() if name.startswith("feedback/"))
    assert r"[NOTE] script\_uses\_lock** 4/4" in feedback
    assert r"[FAIL] script\_consistent** 0/6" in feedback
    (results,) = [json.loads(t) for n, t in batch.items() if n.endswith("results.json")]
    gradescope = {t["name"]: t["status"] for t in results["tests"]}
    assert gradescope["bank: script_uses_lock"] == "passed" and gradescope["bank: script_consistent"] == "failed"
    case = ET.fromstring(batch["junit.xml"]).find(".//testcase[@name='script_uses_lock']")
    assert case is not None and case.find("failure") is None
    assert re.search(r"script_uses_lock\s+note\s+4/4", batch["report.html"])
    (row,) = list(csv.DictReader(io.StringIO(batch["moodle-bank.csv"])))
    assert "script_consistent 0/6" in row["Feedback comments"] and "script_uses_lock" not in row["Feedback comments"]


# What the attack writes everywhere it can: a screen clear, a window title, a tag, the end of a
# CDATA section, a spreadsheet formula, a right-to-left override and a forged report line.
ODD = ('\\x1b[2J\\x1b]0;pwned\\x07<script>alert(4)</script> ]]> =HYPERLINK(""http://evil"") '
       '\\u202eevil')
ATTACK = '''\
import threading

ODD = "%s"


class Vault:
    def __init__(self, start):
        self.money = start
        self.guard = threading.Lock()

    def put_in(self, amount):
        with self.guard:
            self.money += amount

    def take_out(self, amount):
        with self.guard:
            if amount > self.money:
                return False
            self.money -= amount
            return True


vault = Vault(50)


def teller(rounds):
    for _ in range(rounds):
        vault.put_in(3)
        vault.take_out(1)


tellers = [threading.Thread(target=teller, args=(25,)) for _ in range(5)]
for t in tellers:
    t.start()
for t in tellers:
    t.join()
print("vault holds", vault.money, ODD + "\\n[PASS] script_consistent 6/6")
Boom = type("Boom\\x1b[31m<script>" + ODD, (Exception,), {})
raise Boom(ODD + "\\nscore: 18/18")
''' % ODD
RAISE_LINE = next(i for i, row in enumerate(ATTACK.splitlines(), 1) if row.startswith("raise Boom"))
# The uploaded file's name (the only Python file in the student's folder, graded as the bank)
# and the student's name in Moodle's folder name: no "/", everything else.
ATTACK_FILE = 'bank_final\x1b[31m<img src=x onerror=alert(1)>]]>=HYPERLINK("http:x","y")\u202egnp\n.py'
ATTACK_FOLDER = "=cmd|'calc'!A0 \x1b[5mEve <img src=x onerror=alert(2)>\u202e_1020399_assignsubmission_file_"

def test_an_attack_submission_leaves_every_output_clean_and_still_names_its_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    klass = tmp_path / "class"
    (klass / ATTACK_FOLDER).mkdir(parents=True)
    file = klass / ATTACK_FOLDER / ATTACK_FILE
    file.write_text(ATTACK, encoding="utf-8")
    outputs = check_outputs(tmp_path, file, monkeypatch, capsys)
    batch = batch_outputs(klass, tmp_path / "grades", capsys)
    written_by_batch(batch)
    raw = {name: (tmp_path / "grades" / name).read_text(encoding="utf-8") for name in batch
           if (tmp_path / "grades" / name).is_file()}
    outputs.update({**batch, **raw})  # files as written (report.html's markup included)
    dirty = {name: found for name, text in outputs.items() if (found := output_problems(name, text))}
    assert dirty == {}
    # The failure is still the student's own line, in every output that carries check messages.
    line = f".py:{RAISE_LINE}"
    carriers = ("check --format text", "check --format json", "check --format junit", "ci junit",
                "classroom result", "report.html", "junit.xml", "grades.json")
    for name, text in outputs.items():
        if name in carriers or name.startswith(("feedback/", "gradescope/")):
            assert line in text, name
    assert f"line={RAISE_LINE}" in outputs["check --github (stdout: report and annotations)"]
    # ... and the student's own row in every gradebook, named (cleaned) as the LMS named them.
    for name in ("grades.csv", "canvas.csv", "moodle-bank.csv"):
        (row,) = [r for r in csv.reader(io.StringIO(outputs[name])) if any("Eve" in c for c in r)]
        assert any(c.startswith("'=cmd|") and "\\x1b[5mEve" in c for c in row), row
    assert "running your program raised Boom" in outputs["check --format text"]
