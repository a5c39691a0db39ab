"""`grader check` as a student runs it: in their own folder, with or without a path, piped or on
a terminal; exit codes, input errors, hidden checks, colour."""
import json
import os
import shlex
import pty
import re
import select
import shutil
import subprocess
import sys
import textwrap
import time

import pytest

from conftest import ROOT
from grader.cli import fail_under, main, passes
from grader.errors import GraderError
from grader.presentation import FEEDBACK, SELF_CHECK, STAFF, student_line, view
from grader.results import CheckResult, GradeReport, Status
from grader.rubric import load_rubric
from grader.sandbox.platform_support import require_grading_support

ANSI = "\x1b["
# A small rubric (fast) with one check of each visibility.
SMALL_RUBRIC = """
version: 3
tasks:
  bank:
    file: bank.py
    entry_points: {account_class: BankAccount, simulate: simulate, transfer: transfer}
    names_check: api
    checks:
      - {id: api, points: 1, description: the API exists}
      - {id: basic, points: 2, description: single-thread behaviour, depends: [api], visibility: hidden}
      - {id: validation, points: 1, description: amounts are validated, depends: [api], visibility: after_due_date}
      - {id: script_threads, points: 1, description: the program starts threads}
      - {id: script_runs, points: 2, description: the program runs}
"""


def env(**extra):
    values = dict(os.environ, PYTHONPATH=str(ROOT))
    values.pop("NO_COLOR", None)
    values.update(extra)
    return values


def run_check(cwd, *args, **extra):
    return subprocess.run([sys.executable, "-m", "grader", "check", *args], cwd=cwd, env=env(**extra),
                          capture_output=True, text=True, timeout=240)


@pytest.fixture
def small_rubric(tmp_path_factory):
    path = tmp_path_factory.mktemp("rubric") / "rubric.yaml"
    path.write_text(SMALL_RUBRIC)
    return path


@pytest.fixture
def student(tmp_path):
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


@pytest.mark.sandbox
def test_no_path_grades_every_task_file_in_the_folder_and_exits_0_at_full_marks(student):
    shutil.copy(ROOT / "reference" / "bank.py", student / "bank.py")
    shutil.copy(ROOT / "reference" / "downloader.py", student / "downloader.py")
    done = run_check(student)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "bank: bank.py" in done.stdout and "downloader: downloader.py" in done.stdout
    total = re.search(r"^total: (\S+)/(\S+)", done.stdout, re.M)
    assert total and total.group(1) == total.group(2)  # full marks of both tasks
    assert ANSI not in done.stdout  # piped: plain


@pytest.mark.sandbox
def test_a_buggy_file_given_by_path_exits_1_with_its_score(student, small_rubric):
    (student / "bank.py").write_text(textwrap.dedent("""\
        class BankAccount:
            def __init__(self, balance=0):
                self.balance = balance
            def deposit(self, amount):
                self.balance += amount
            def withdraw(self, amount):
                if amount > self.balance:
                    return False
                self.balance -= amount
                return True
        def simulate(account, customers, deposits_each, amount):
            return account.balance
        """))
    done = run_check(student, "bank.py", "--rubric", str(small_rubric), "--staff")
    assert done.returncode == 1
    assert "[FAIL] validation" in done.stdout and "score: 3/4" in done.stdout
    staff = ("bank.py", "--rubric", str(small_rubric), "--staff")
    assert run_check(student, *staff, "--fail-under", "3").returncode == 0
    assert run_check(student, *staff, "--fail-under", "80%").returncode == 1  # 3/4 is 75%
    # a student's threshold counts what they see: api, 1/1 (validation shows after the due date)
    assert run_check(student, "bank.py", "--rubric", str(small_rubric), "--fail-under", "100%").returncode == 0


@pytest.mark.parametrize("name, content, problem", [
    ("missing.py", None, "no such file"),
    ("empty.py", b"", "the file is empty"),
    ("blob.py", b"\x7fELF\x00\x01\x02", "binary data"),
    ("notes.txt", b"print(1)\n", "not a Python file"),
    ("bank.zip", b"PK\x03\x04", "an archive; unpack it"),
])
def test_a_path_that_cannot_be_graded_is_one_line_and_exit_2(student, monkeypatch, capsys, name, content, problem):
    if content is not None:
        (student / name).write_bytes(content)
    monkeypatch.chdir(student)
    assert main(["check", name]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and problem in lines[0] and name in lines[0] and "Traceback" not in captured.err


def test_an_empty_folder_says_which_files_it_looked_for(student, monkeypatch, capsys):
    monkeypatch.chdir(student)
    assert main(["check"]) == 2
    err = capsys.readouterr().err
    assert "bank.py" in err and "downloader.py" in err and len(err.strip().splitlines()) == 1


def test_a_file_named_otherwise_needs_the_task(student, monkeypatch, capsys):
    shutil.copy(ROOT / "reference" / "bank.py", student / "my_bank.py")
    monkeypatch.chdir(student)
    assert main(["check", "my_bank.py"]) == 2
    assert "--task" in capsys.readouterr().err


@pytest.mark.sandbox
def test_task_name_alone_finds_its_file_in_the_folder(student, small_rubric, monkeypatch, capsys):
    shutil.copy(ROOT / "reference" / "bank.py", student / "bank.py")
    monkeypatch.chdir(student)
    assert main(["check", "bank", "--rubric", str(small_rubric), "--staff"]) == 0
    assert "bank: bank.py" in capsys.readouterr().out


@pytest.mark.sandbox
def test_hidden_checks_are_one_line_for_students_and_itemised_for_staff(student, small_rubric):
    shutil.copy(ROOT / "reference" / "bank.py", student / "bank.py")
    mine = run_check(student, "--rubric", str(small_rubric))
    assert "basic" not in mine.stdout and "validation" not in mine.stdout
    assert "3 more points (2 checks) are checked at grading time" in mine.stdout
    assert "score: 1/1 on the checks shown" in mine.stdout
    assert mine.returncode == 0  # full marks of what the student can see
    staff = run_check(student, "--rubric", str(small_rubric), "--staff")
    assert "[PASS] basic" in staff.stdout and "(hidden)" in staff.stdout and "score: 4/4" in staff.stdout


@pytest.mark.sandbox
def test_check_flag_runs_one_check_and_its_dependencies(student, monkeypatch, capsys):
    shutil.copy(ROOT / "reference" / "bank.py", student / "bank.py")
    monkeypatch.chdir(student)
    assert main(["check", "bank.py", "--check", "validation", "--format", "json"]) == 0
    import json
    (data,) = json.loads(capsys.readouterr().out)["reports"]
    assert [c["id"] for c in data["checks"]] == ["api", "validation"]
    points = {c.id: c.points for c in load_rubric().task("bank").checks}
    assert data["max_score"] == points["api"] + points["validation"]
    assert main(["check", "bank.py", "--check", "nope"]) == 2


def _read_pty(args, cwd, **extra):
    """Run the command on a pseudo-terminal, as in a student's shell; return its output."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "grader", "check", *args], cwd=cwd, env=env(**extra),
                            stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    chunks, deadline = [], time.monotonic() + 240
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 1)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # the other end closed: the command exited
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    os.close(master)
    return proc.wait(timeout=30), b"".join(chunks).decode(errors="replace")


@pytest.mark.sandbox
def test_colour_on_a_terminal_unless_no_color(student, small_rubric):
    shutil.copy(ROOT / "reference" / "bank.py", student / "bank.py")
    code, out = _read_pty(["--rubric", str(small_rubric)], student)
    assert code == 0 and ANSI + "32mPASS" in out
    code, out = _read_pty(["--rubric", str(small_rubric)], student, NO_COLOR="1")
    assert code == 0 and "PASS" in out and ANSI not in out


def _report(**changes):
    checks = [CheckResult("api", Status.PASSED, 1, 1, "ok", "the API", "visible"),
              CheckResult("basic", Status.FAILED, 0, 2, "lost at bank.py:7", "basic", "hidden",
                          details="see bank.py:9"),
              CheckResult("extra", Status.PASSED, 1, 1, "", "bonus", "after_published", bonus=True)]
    values = dict(task="bank", file="bank.py", style="contract", score=2, max_score=3, seed=5, checks=checks)
    values.update(changes)
    return GradeReport(**values)


def test_views_apply_visibility_once_per_audience():
    report = _report()
    mine, feedback, staff = view(report, SELF_CHECK), view(report, FEEDBACK), view(report, STAFF)
    assert [c.id for c in mine.checks] == ["api"] and mine.withheld_checks == 2 and mine.withheld_points == 2
    assert (mine.score, mine.maximum) == (1, 1)
    assert [c.id for c in feedback.checks] == ["api", "extra"] and feedback.bonus == 1
    assert (staff.score, staff.bonus, staff.maximum) == (1, 1, 3) and staff.withheld_checks == 0
    assert staff.checks[1].line == 7  # the first of the student's lines the check names
    assert staff.replay == "grader check bank bank.py --seed 5"


def test_review_flag_and_thresholds_decide_the_exit_code():
    full = view(_report(checks=[CheckResult("api", Status.PASSED, 3, 3, "", "", "visible")], score=3), STAFF)
    assert passes([full], None)
    flagged = view(_report(checks=full and [CheckResult("api", Status.PASSED, 3, 3, "", "", "visible")], score=3,
                           needs_review=["reads the grader's frames at bank.py:3"]), STAFF)
    assert not passes([flagged], None) and not passes([flagged], fail_under("0"))
    partial = view(_report(), STAFF)
    assert not passes([partial], None)
    assert passes([partial], fail_under("2")) and not passes([partial], fail_under("3"))
    assert passes([partial], fail_under("60%")) and not passes([partial], fail_under("70%"))
    with pytest.raises(GraderError):
        fail_under("lots")


def test_student_line_matches_the_file_name_only():
    assert student_line("bank.py", "at mybank.py:3 then bank.py:12") == 12
    assert student_line("bank.py", "nothing here") is None


def test_native_windows_is_one_line_pointing_to_wsl(monkeypatch, capsys, student):
    with pytest.raises(GraderError, match="WSL"):
        require_grading_support(platform="win32", name="nt")
    require_grading_support(platform="darwin", name="posix")
    monkeypatch.setattr(sys, "platform", "win32")
    assert main(["check", str(student)]) == 2
    err = capsys.readouterr().err
    assert "WSL" in err and len(err.strip().splitlines()) == 1


DRIVER = """
import shutil, sys
from pathlib import Path
import grader.sandbox as sandbox
real = shutil.which
shutil.which = lambda name, *a, **k: None if name in ("bwrap", "unshare") else real(name, *a, **k)
sandbox.PIDS_ROOT = Path("/nonexistent/pids")  # no cgroups either
from grader.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.sandbox
def test_without_namespaces_bubblewrap_or_cgroups_it_grades_in_a_plain_child(student, small_rubric):
    """What a Mac (or a container without namespaces) has: the report says so, grades stay."""
    shutil.copy(ROOT / "reference" / "bank.py", student / "bank.py")
    done = subprocess.run([sys.executable, "-c", DRIVER, "check", "--rubric", str(small_rubric), "--staff"],
                          cwd=student, env=env(), capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"isolation: process\b[^\n]*\(a plain child process", done.stdout), done.stdout
    assert "[PASS] api" in done.stdout and "[PASS] basic" in done.stdout


BOTH_TASKS_RUBRIC = SMALL_RUBRIC + """
  downloader:
    file: downloader.py
    entry_points: {download: download_pages}
    checks:
      - {id: api, points: 1, description: the API exists}
"""


@pytest.mark.sandbox
def test_a_syntax_error_is_said_once_with_its_line_and_caret(student):
    (student / "sub").mkdir()
    (student / "sub" / "bank.py").write_text("import threading\n\nclass BankAccount:\n"
                                             "    def deposit(self, amount)\n        pass\n")
    done = run_check(student, "sub/bank.py")
    assert done.returncode == 1
    out = done.stdout.splitlines()
    assert done.stdout.count("SyntaxError") == 1 and len(out) <= 8, done.stdout
    line, caret = out[out.index(next(l for l in out if "SyntaxError" in l)) + 1:][:2]
    assert line.strip() == "4 | def deposit(self, amount)"
    assert caret.index("^") == line.index(")") + 1  # just after the missing colon's place
    assert re.search(r"not run \(\d+ points\): api, basic", done.stdout)


@pytest.mark.sandbox
def test_the_replay_hint_keeps_the_folder_and_the_rubric_and_runs_as_printed(student, small_rubric):
    (student / "sub").mkdir()
    shutil.copy(ROOT / "reference" / "bank.py", student / "sub" / "bank.py")
    done = run_check(student, "sub/bank.py", "--rubric", str(small_rubric), "--seed", "77")
    hint = re.search(r"replay: (grader check .*?)\)", done.stdout).group(1)
    assert hint == f"grader check bank sub/bank.py --rubric {small_rubric} --seed 77"
    again = run_check(student, *shlex.split(hint)[2:])
    assert again.returncode == done.returncode == 0 and "seed: 77" in again.stdout


@pytest.mark.sandbox
def test_format_json_is_one_object_holding_a_list_for_one_task_or_two(student, tmp_path):
    rubric = tmp_path / "both.yaml"
    rubric.write_text(BOTH_TASKS_RUBRIC)
    shutil.copy(ROOT / "reference" / "bank.py", student / "bank.py")
    shutil.copy(ROOT / "reference" / "downloader.py", student / "downloader.py")
    one = json.loads(run_check(student, "bank.py", "--rubric", str(rubric), "--format", "json").stdout)
    two = json.loads(run_check(student, "--rubric", str(rubric), "--format", "json").stdout)
    for document, tasks in ((one, ["bank"]), (two, ["bank", "downloader"])):
        assert set(document) == {"reports", "score", "bonus", "max_score", "exit_code", "exit_reason"}
        assert [r["task"] for r in document["reports"]] == tasks
        assert document["exit_code"] == 0 and all(r["replay"].startswith("grader check ") for r in document["reports"])


def test_an_exit_reason_gives_the_score_as_the_report_prints_it_bonus_apart():
    from grader.cli import exit_reason

    partial = view(_report(), STAFF)  # 1/3 and a bonus point
    assert exit_reason([partial], None, None).startswith("1/3 (+1 bonus) is below full marks")
    assert exit_reason([partial], fail_under("3"), "3") == ("1/3 (+1 bonus) is below --fail-under 3 "
                                                            "(3 points, bonus included)")


@pytest.mark.sandbox
def test_an_exit_1_says_why_and_fail_under_is_named(student, small_rubric):
    (student / "bank.py").write_text("class BankAccount:\n    pass\n")
    done = run_check(student, "bank.py", "--rubric", str(small_rubric), "--fail-under", "80%")
    assert done.returncode == 1
    assert re.search(r"^grader: exit 1: \S+ is below --fail-under 80% \(\S+ points, bonus included\)$",
                     done.stderr, re.M), done.stderr
    below = run_check(student, "bank.py", "--rubric", str(small_rubric))
    assert "is below full marks" in below.stderr


@pytest.mark.sandbox
def test_progress_check_by_check_on_a_terminal_only(student, small_rubric):
    shutil.copy(ROOT / "reference" / "bank.py", student / "bank.py")
    code, out = _read_pty(["bank.py", "--rubric", str(small_rubric), "--staff"], student)
    assert code == 0
    shown = re.findall(r"\r\x1b\[Kgrading bank\.py: (\w+) \d+ s", out)
    assert "starting" in shown and len(set(shown)) >= 3, out  # the checks, one after another
    assert out.rindex("\r\x1b[K") < out.index("bank: bank.py")  # erased before the report prints
    piped = run_check(student, "bank.py", "--rubric", str(small_rubric))
    assert "grading bank.py" not in piped.stderr + piped.stdout and "\x1b" not in piped.stderr


@pytest.mark.sandbox
def test_check_builds_only_its_own_parser_and_imports_no_batch_or_ci_module():
    """`grader check` starts without importing what batch, init-ci or doctor list as options;
    `grader --help` still lists every command."""
    code = ("import sys; from grader.cli import _parser; _parser(['check', 'x.py']); "
            "print(sorted(m for m in sys.modules if m.startswith(('grader.batch', 'grader.ci'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    from grader.cli import COMMANDS, _parser

    usage = _parser(["--help"]).format_help()
    assert all(command in usage for command in COMMANDS)
    assert _parser(["check"]).parse_args(["check", "bank.py", "--staff"]).staff
