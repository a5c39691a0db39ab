"""End-to-end grading of one submission: what a student or a course script sees."""
import json

import pytest

from conftest import ROOT
from grader.cli import main
from grader.grading import grade
from grader.results import Status
from grader.rubric import parse_rubric


def test_reference_bank_scores_full_marks(rubric):
    report = grade(rubric, "bank", ROOT / "reference" / "bank.py")
    assert [c.id for c in report.checks if c.status != "passed"] == []
    assert report.score >= report.max_score > 0


@pytest.mark.sandbox
def test_json_report_has_the_stable_keys(capsys):
    assert main(["check", "bank", str(ROOT / "reference" / "bank.py"), "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["exit_code"] == 0 and document["score"] == document["max_score"]
    (data,) = document["reports"]
    assert {"task", "score", "max_score", "checks"} <= data.keys()
    assert data["task"] == "bank"
    for entry in data["checks"]:
        assert {"id", "status", "score", "max_score", "message"} <= entry.keys()
        assert entry["status"] in ("passed", "failed", "skipped")


def test_folder_submission_is_found_by_the_rubric_file_name(rubric, tmp_path):
    (tmp_path / "bank.py").write_text((ROOT / "reference" / "bank.py").read_text())
    assert grade(rubric, "bank", tmp_path).error is None


def test_syntax_error_scores_zero_with_file_and_line(grading, rubric):
    path = grading.write("""
        class BankAccount:
            def deposit(self, amount)
                pass
    """)
    report = grade(rubric, "bank", path)
    assert report.score == 0
    assert "bank.py:3" in report.error and "SyntaxError" in report.error
    assert all(c.status == "failed" for c in report.checks)


def test_a_file_without_the_names_that_does_nothing_when_run_scores_zero(grading, rubric):
    path = grading.write("""
        class Account:
            def deposit(self, amount): pass
            def withdraw(self, amount): return True
        def run(account, n, m, amount): return 0
    """)
    report = grade(rubric, "bank", path)
    assert report.score == 0 and report.style == "program"
    api = report.checks[0]
    assert api.status == Status.NOTE and api.max_score == 0  # nothing at stake: said, not failed
    assert "BankAccount" in api.message and "it defines Account, run" in api.message
    assert {c.id: c.status for c in report.checks[1:]} == {
        "script_runs": "skipped", "script_threads": "failed", "script_consistent": "skipped",
        "script_uses_lock": "skipped", "script_refuses_overdraft": "skipped"}


def test_exception_at_top_level_scores_zero_with_the_line(grading, rubric):
    path = grading.write("""
        import threading
        x = {}["missing"]
    """)
    report = grade(rubric, "bank", path)
    assert report.score == 0
    threads = next(c for c in report.checks if c.id == "script_threads")
    assert "KeyError" in threads.message and "bank.py:3" in threads.message


def test_exit_at_import_is_a_failure_not_a_pass(grading, rubric):
    path = grading.write("""
        import sys
        class BankAccount: pass
        sys.exit(0)
    """)
    report = grade(rubric, "bank", path)
    assert report.score == 0
    assert "SystemExit" in report.checks[0].message  # the names check says why no contract check ran


def test_hang_at_import_is_killed_at_the_limit(grading):
    rubric = grading.rubric(import_seconds=1)
    path = grading.write("""
        class BankAccount: pass
        while True:
            pass
    """)
    report = grade(rubric, "bank", path)
    assert report.score == 0
    assert "did not finish within 1 s" in report.error


def test_a_hanging_method_costs_only_its_own_check(grading):
    rubric = grading.rubric(check_seconds=2)  # the simulate checks run real threads, held up to the limit
    source = (ROOT / "reference" / "bank.py").read_text()
    path = grading.write("""
        def _hang(self, amount):
            if amount <= 0:
                while True:
                    pass
            return _orig(self, amount)
        _orig = BankAccount.deposit
        BankAccount.deposit = _hang
    """, prefix=source)
    report = grade(rubric, "bank", path)
    by_id = {c.id: c for c in report.checks}
    assert by_id["validation"].status == "failed" and "timed out" in by_id["validation"].message
    assert by_id["basic"].status == "passed"
    assert by_id["no_lost_update"].status == "passed"


def test_sleeps_inside_methods_cost_no_real_time_in_the_contract_checks(grading):
    """Each direct call of the student's methods runs with virtual time: a 30 s sleep per
    deposit would otherwise time every sequential check out."""
    rubric = grading.rubric(check_seconds=2)  # the simulate checks run real threads, held up to the limit
    source = (ROOT / "reference" / "bank.py").read_text()
    path = grading.write("""
        import time
        _orig = BankAccount.deposit
        def _slow(self, amount):
            time.sleep(30)
            return _orig(self, amount)
        BankAccount.deposit = _slow
    """, prefix=source)
    report = grade(rubric, "bank", path)
    by_id = {c.id: c for c in report.checks}
    assert {by_id[c].status for c in ("basic", "validation", "model")} == {"passed"}


def test_a_method_that_takes_its_own_lock_twice_is_named_at_once(grading):
    rubric = grading.rubric(check_seconds=2)  # the simulate checks run real threads, held up to the limit
    source = (ROOT / "reference" / "bank.py").read_text()
    path = grading.write("""
        import threading
        _orig = BankAccount.deposit
        def _twice(self, amount):
            with self._grader_test_lock:
                with self._grader_test_lock:
                    return _orig(self, amount)
        BankAccount._grader_test_lock = threading.Lock()
        BankAccount.deposit = _twice
    """, prefix=source)
    report = grade(rubric, "bank", path)
    basic = next(c for c in report.checks if c.id == "basic")
    assert basic.status == "failed" and "it waits forever" in basic.message, basic.message
    assert "timed out" not in basic.message


def test_os_exit_inside_a_method_fails_that_check_with_a_reason(grading, rubric):
    source = (ROOT / "reference" / "bank.py").read_text()
    path = grading.write("""
        import os
        BankAccount.withdraw = lambda self, amount: os._exit(0)
    """, prefix=source)
    report = grade(rubric, "bank", path)
    basic = next(c for c in report.checks if c.id == "basic")
    assert basic.status == "failed" and "exited during this check" in basic.message
    assert next(c for c in report.checks if c.id == "api").status == "passed"


def test_missing_file_is_a_clear_zero(rubric, tmp_path):
    report = grade(rubric, "bank", tmp_path / "nothing.py")
    assert report.score == 0 and "no such file" in report.error


def test_unknown_task_is_a_one_line_error(capsys):
    assert main(["check", "banking", str(ROOT / "reference" / "bank.py")]) == 2
    err = capsys.readouterr().err
    assert "no task 'banking'" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_same_submission_same_report(rubric):
    path = ROOT / "tests" / "corpus" / "bank" / "buggy_temp_race.py"
    first, second = grade(rubric, "bank", path), grade(rubric, "bank", path)
    assert [(c.id, c.status, c.message, c.details) for c in first.checks] == \
           [(c.id, c.status, c.message, c.details) for c in second.checks]


def test_seed_flag_replays_the_reported_interleaving(rubric):
    path = ROOT / "tests" / "corpus" / "bank" / "buggy_temp_race.py"
    lost = next(c for c in grade(rubric, "bank", path).checks if c.id == "no_lost_update")
    seed = lost.data["seed"]
    replayed = next(c for c in grade(rubric, "bank", path, seed=seed).checks if c.id == "no_lost_update")
    assert replayed.status == "failed"
    assert replayed.data["seed"] == seed
    assert replayed.details == lost.details


@pytest.mark.sandbox
def test_instructor_pytest_file_scores_each_test(tmp_path):
    from test_rubric import EXTRA_TESTS, PYTEST_ENTRY

    (tmp_path / "extra_tests.py").write_text(EXTRA_TESTS)
    text = (ROOT / "rubric.yaml").read_text().replace("      - id: simulate_total", PYTEST_ENTRY, 1)
    rubric = parse_rubric(tmp_path / "rubric.yaml", text)
    report = grade(rubric, "bank", ROOT / "reference" / "bank.py")
    by_id = {c.id: c for c in report.checks}
    assert by_id["extra::test_passes"].status == "passed" and by_id["extra::test_passes"].score == 1
    failing = by_id["extra::test_fails"]
    assert failing.status == "failed" and "AssertionError" in failing.message


def test_the_static_audit_runs_beside_the_sandbox_and_gives_the_same_findings(tmp_path, monkeypatch):
    """The audit runs on its own thread (it may import `requests` to resolve an attribute);
    what it finds, and what it raises, reach the report as if it had run first."""
    from grader.grading import GradingProfile, _static_findings
    from grader.rubric import load_rubric
    from grader.submission import load_submission
    from grader.submission.audit_static import audit_submission

    task = load_rubric(None).task("downloader")
    path = tmp_path / "downloader.py"
    path.write_text("import pickle\nimport requests\n\n\ndef download_pages(urls, max_workers=8, "
                    "timeout=10.0):\n    return {u: requests.get(u, timeout=timeout).status_code "
                    "for u in urls}\n", encoding="utf-8")
    submission = load_submission(task, path)
    findings = _static_findings(task, submission, GradingProfile())
    assert findings() == [f.text() for f in audit_submission(path, task.imports_allowed)]
    assert any("pickle" in f for f in findings())

    def broken(*args: object) -> None:
        raise RuntimeError("audit bug")

    monkeypatch.setattr("grader.grading.audit_submission", broken)
    with pytest.raises(RuntimeError, match="audit bug"):
        _static_findings(task, submission, GradingProfile())()



def test_the_graders_parses_never_run_two_at_once(monkeypatch):
    """gh-106905: CPython counts an AST's construction depth per interpreter, so two threads
    parsing at once (a finalizer can switch threads mid-parse) can fail with SystemError, which
    a Dask worker grading beside its own threads did: an internal error on a correct bank. The
    grader's parses (batch threads, the static audit's thread) go one at a time."""
    import threading
    import time

    from grader.probes import syntax

    inside, most = [0], [0]
    real = syntax.ast.parse

    def slow_parse(*args, **kwargs):
        inside[0] += 1
        most[0] = max(most[0], inside[0])
        time.sleep(0.01)  # another thread would enter here if nothing kept it out
        inside[0] -= 1
        return real(*args, **kwargs)

    monkeypatch.setattr(syntax.ast, "parse", slow_parse)
    threads = [threading.Thread(target=lambda: [syntax.parse("x = 1") for _ in range(5)]) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == 1
