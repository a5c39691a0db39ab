"""Bank programs written another way earn nothing and lose nothing for it (issue 18).

Each program under tests/programs/bank/ was written for these tests, with a correct twin or a
plain twin beside it: the same bug scores the same however the code spells it.
"""
import re
from pathlib import Path

import pytest

from grader.grading import grade

PROGRAMS = Path(__file__).resolve().parent / "programs" / "bank"
# Programs importing a module nobody has, kept apart: a file's sibling modules are audited with it
ENVIRONMENT = Path(__file__).resolve().parent / "programs" / "bank_environment"


def graded(rubric, name, folder=PROGRAMS):
    report = grade(rubric, "bank", folder / name)
    return report, {c.id: c for c in report.checks}


# -- item 12: an evasion of the race oracle never pays ----------------------------------------
@pytest.mark.parametrize("name", ["ledger_counter_no_lock.py", "vault_dunder_no_lock.py"])
def test_a_lost_update_written_another_way_scores_as_the_plain_one(rubric, name):
    plain, _ = graded(rubric, "vault_plain_no_lock.py")
    report, checks = graded(rubric, name)
    assert report.score == plain.score < plain.max_score
    message = checks["script_consistent"].message
    assert checks["script_consistent"].status == "failed"
    assert "an update can be lost" in message and f"{name}:" in message


@pytest.mark.parametrize("name", ["ledger_counter_locked.py", "vault_dunder_locked.py"])
def test_the_locked_twins_of_those_programs_keep_every_behaviour_point(rubric, name):
    report, checks = graded(rubric, name)
    assert [c.id for c in report.checks if c.status != "passed"] == ["api"], \
        [c.message for c in report.checks if c.status != "passed"]


@pytest.mark.parametrize("name", ["contract_counter_no_lock.py", "contract_dunder_no_lock.py"])
def test_a_contract_bank_updating_through_a_counter_or_dunder_loses_the_race_points(rubric, name):
    plain, _ = graded(rubric, "contract_plain_no_lock.py")
    report, checks = graded(rubric, name)
    assert report.style == "contract"
    assert report.score == plain.score < plain.max_score
    assert checks["no_lost_update"].status == "failed"
    assert f"{name}:" in checks["no_lost_update"].details


# -- item 2: stdout, stderr and logging are all the program's output --------------------------
@pytest.mark.parametrize("name, line", [("logging_balance.py", "final balance 2400"),
                                        ("stderr_balance.py", "balance: 600")])
def test_a_balance_reported_on_stderr_or_through_logging_is_printed(rubric, name, line):
    report, checks = graded(rubric, name)
    assert checks["script_runs"].status == "passed" and line in checks["script_runs"].message
    assert [c.id for c in report.checks if c.status != "passed"] == ["api"], \
        [c.message for c in report.checks if c.status != "passed"]


def test_a_logging_bank_with_no_lock_still_loses_the_race_points(rubric):
    report, checks = graded(rubric, "logging_balance_no_lock.py")
    assert checks["script_runs"].status == "passed"
    assert checks["script_consistent"].status == "failed"
    assert "self.money" in checks["script_consistent"].message
    assert report.score == report.max_score - rubric.task("bank").findings["race"]


def test_a_chatty_program_is_judged_on_the_last_line_it_printed(rubric):
    """Past the output the grader keeps whole, the end is kept: the closing balance counts."""
    report, checks = graded(rubric, "chatty_tellers.py")
    assert "printed 'closing balance 1200'" in checks["script_runs"].message
    assert [c.id for c in report.checks if c.status != "passed"] == ["api"]


def test_its_twin_printing_the_total_before_joining_fails_for_that_line(rubric):
    report, checks = graded(rubric, "chatty_tellers_early_total.py")
    assert checks["script_consistent"].status == "failed"
    assert "chatty_tellers_early_total.py:19" in checks["script_consistent"].message
    assert "join the threads before printing" in checks["script_consistent"].message


def test_each_run_starts_with_fresh_logging_and_leaves_the_configuration_it_found():
    import logging

    from grader.probes.preempt.logstate import fresh_logging

    root = logging.getLogger()
    before = list(root.handlers)
    with fresh_logging():
        assert root.handlers == []
        logging.basicConfig(level=logging.DEBUG)
        logging.getLogger("teller.audit").addHandler(logging.NullHandler())
        assert len(root.handlers) == 1
    assert root.handlers == before
    assert "teller.audit" not in logging.Logger.manager.loggerDict


# -- item 6: input() answers from a scripted session ----------------------------------------
def with_bank_key(tmp_path, line):
    """The bundled rubric with one more key under the bank task."""
    from grader.rubric import parse_rubric

    text = (ROOT / "rubric.yaml").read_text().replace("  bank:\n    file: bank.py\n",
                                                      f"  bank:\n    file: bank.py\n    {line}\n", 1)
    assert line in text
    return parse_rubric(tmp_path / "rubric.yaml", text)


ROOT = Path(__file__).resolve().parent.parent


def test_a_program_reading_input_under_its_lock_is_graded_on_a_scripted_session(rubric):
    report, checks = graded(rubric, "kiosk_input_locked.py")
    assert [c.id for c in report.checks if c.status != "passed"] == ["api"], \
        [c.message for c in report.checks if c.status != "passed"]
    assert "reads input(), so it was graded on a scripted session" in checks["script_runs"].message
    assert "deadlock" not in checks["script_runs"].message


def test_its_unlocked_twin_loses_the_race_points_for_its_own_lines(rubric):
    report, checks = graded(rubric, "kiosk_input_no_lock.py")
    assert checks["script_runs"].status == "passed"
    assert checks["script_consistent"].status == "failed"
    assert "kiosk_input_no_lock.py:9" in checks["script_consistent"].message
    assert report.score == report.max_score - rubric.task("bank").findings["race"]


def test_a_program_asking_for_more_than_the_session_holds_is_stopped_not_failed(rubric):
    report, checks = graded(rubric, "teller_menu_loop.py")
    assert [c.id for c in report.checks if c.status != "passed"] == ["api"]
    message = checks["script_runs"].message
    assert "waiting for more input than the grader's scripted session gives" in message
    assert "not a fault" in message


def test_more_threads_than_the_default_cycle_each_get_an_answer_on_stdin(rubric):
    report, checks = graded(rubric, "stdin_readline_clerks.py")
    assert [c.id for c in report.checks if c.status != "passed"] == ["api"]
    assert "printed 'balance 28'" in checks["script_runs"].message  # 5+2+10+1+3, then 5+2
    assert "it read 7" in checks["script_runs"].message


def test_reading_stdin_past_a_short_session_stops_the_run_instead_of_raising(tmp_path):
    rubric = with_bank_key(tmp_path, "input: [4, 4]")
    report, checks = graded(rubric, "stdin_readline_clerks.py")
    assert checks["script_runs"].status == "failed"  # stopped before printing anything
    assert "printed nothing" in checks["script_runs"].message
    assert "waiting for more input than the grader's scripted session gives" in \
        checks["script_runs"].message
    assert "ValueError" not in checks["script_runs"].message and "deadlock" not in \
        checks["script_runs"].message


def test_the_rubric_scripts_the_session(tmp_path):
    rubric = with_bank_key(tmp_path, "input: [7, 0, 0]")
    assert rubric.task("bank").input == ("7", "0", "0")
    report, checks = graded(rubric, "teller_menu_loop.py")
    assert checks["script_runs"].message.startswith(
        "your program ran and printed 'day closed with 7'"), checks["script_runs"].message
    assert "answers '7', '0', '0': it read 3" in checks["script_runs"].message


@pytest.mark.parametrize("line, key", [("input: {amount: 5}", "tasks.bank.input"),
                                       ("input: [true]", "tasks.bank.input"),
                                       ("packages: numpy", "tasks.bank.packages"),
                                       ("packages: ['numpy; rm -rf /']", "tasks.bank.packages[0]"),
                                       ("packages: [{pip: x, module: '1x'}]",
                                        "tasks.bank.packages[0].module")])
def test_a_malformed_input_or_packages_key_is_refused_in_one_line(tmp_path, line, key):
    from grader.errors import GraderError

    with pytest.raises(GraderError) as info:
        with_bank_key(tmp_path, line)
    assert "\n" not in str(info.value) and f": {key}: " in str(info.value)


# -- item 7: a module the grading environment lacks is a review, not a silent 0 ---------------
@pytest.mark.parametrize("name", ["needs_missing_module.py", "contract_needs_missing_module.py"])
def test_a_program_needing_a_module_the_environment_lacks_is_flagged_for_review(rubric, name):
    report, _ = graded(rubric, name, ENVIRONMENT)
    assert [r for r in report.needs_review if "grading environment" in r] == [
        "the program needs tellerstats_not_installed, which this course's grading environment "
        "does not provide (the score reflects a run that stopped at `import "
        "tellerstats_not_installed`; a course that allows it lists it under the rubric's "
        "`packages:`)"]


def test_a_downloader_needing_a_missing_module_is_flagged_the_same_way(rubric, tmp_path):
    path = tmp_path / "downloader.py"
    path.write_text("import threading\nimport requests\nimport progressbar_not_installed\n\n"
                    "def fetch(url):\n    print(url, requests.get(url, timeout=5).status_code)\n\n"
                    "t = threading.Thread(target=fetch, args=('http://example.com/',))\n"
                    "t.start()\nt.join()\n", encoding="utf-8")
    report = grade(rubric, "downloader", path)
    assert any(r.startswith("the program needs progressbar_not_installed, which this course's "
                            "grading environment does not provide") for r in report.needs_review)


def test_an_allowed_package_missing_at_grading_time_is_the_graders_environment_error(tmp_path):
    rubric = with_bank_key(tmp_path, "packages: [tellerstats-not-installed]")
    report, _ = graded(rubric, "needs_missing_module.py", ENVIRONMENT)
    [reason] = report.needs_review  # the static audit accepts what the course allows
    assert reason.startswith("grading environment error (the grader's side, not the student's)")
    assert "python3 -m pip install tellerstats-not-installed" in reason


def test_a_correct_program_importing_only_what_is_there_is_not_flagged(rubric):
    report, _ = graded(rubric, "kiosk_input_locked.py")
    assert report.needs_review == []


def test_a_module_the_child_merely_claims_missing_is_not_blamed_on_the_environment(rubric):
    from grader.grading.environment import environment_reasons

    forged = {"k": {"errors": [{"type": "ModuleNotFoundError", "message": "No module named 'numpy'"}]}}
    task = rubric.task("bank")
    assert environment_reasons(task, PROGRAMS / "kiosk_input_locked.py", None, forged) == []
    assert environment_reasons(task, ENVIRONMENT / "needs_missing_module.py", None, forged) == []



def test_a_missing_module_is_found_anywhere_in_a_run_and_only_where_it_is_said():
    from grader.grading.environment import reported_missing

    deep = {"k": {"runs": [{"errors": [{"type": "ModuleNotFoundError",
                                         "message": "No module named 'numpy.linalg'"}]}] * 3}}
    assert reported_missing(None, deep) == {"numpy"}
    assert reported_missing("No module named 'scipy'", {"k": {"runs": [{"value": 1}]}}) == {"scipy"}
    said_elsewhere = {"k": {"story": ["No module named 'pandas'"]}}  # not an import error's message
    assert reported_missing(None, said_elsewhere) == set()

def test_packages_the_course_allows_are_installed_by_the_gradescope_setup(tmp_path):
    from grader.batch.bundle import SETUP, setup_script
    from grader.rubric import parse_rubric

    text = (ROOT / "rubric.yaml").read_text().replace(
        "version: 4\n", "version: 4\npackages: [numpy]\n", 1).replace(
        "  bank:\n    file: bank.py\n",
        "  bank:\n    file: bank.py\n    packages: [{pip: 'scikit-learn>=1.3', module: sklearn}]\n", 1)
    rubric = parse_rubric(tmp_path / "rubric.yaml", text)
    assert [(p.pip, p.module) for p in rubric.task("bank").packages] == [
        ("numpy", "numpy"), ("scikit-learn>=1.3", "sklearn")]
    assert [p.module for p in rubric.task("downloader").packages] == ["numpy"]
    setup = setup_script(rubric, ["bank"])
    assert "python3 -m pip install -q numpy 'scikit-learn>=1.3'" in setup
    assert 'python3 -c "import numpy, sklearn' in setup
    assert setup_script(parse_rubric(tmp_path / "plain.yaml", (ROOT / "rubric.yaml").read_text()),
                        ["bank"]) == SETUP


TELLERS = """
import contextlib
import operator
import threading

class Safe:
    def __init__(self):
        self.cash = 0


safe = Safe()
book = {{"cash": 0}}
guard = threading.Lock()


def teller():
    for _ in range(200):
        with {lock}:
            {update}


tellers = [threading.Thread(target=teller) for _ in range(2)]
for t in tellers:
    t.start()
for t in tellers:
    t.join()
print("cash", safe.cash, book["cash"])
"""
UPDATES = ['book["cash"] = book["cash"] + 1',  # the plain one the others must score as
           'book.update(cash=book["cash"] + 1)',
           'book.update({"cash": book["cash"] + 1})',
           'operator.setitem(book, "cash", operator.getitem(book, "cash") + 1)',
           'book.__setitem__("cash", book.__getitem__("cash") + 1)',
           'vars(safe).update(cash=safe.cash + 1)',
           'safe.__dict__.update({"cash": safe.__getattribute__("cash") + 1})',
           'object.__setattr__(safe, "cash", object.__getattribute__(safe, "cash") + 1)',
           'safe.cash, book["cash"] = safe.cash + 1, book["cash"] + 1',  # a tuple assignment
           '[safe.cash, (book["cash"], *_)] = safe.cash + 1, (book["cash"] + 1, 0)',
           'safe.cash = book["cash"] = book["cash"] + 1',  # chained: both targets, in turn
           'safe.cash: int = safe.cash + 1']  # annotated


def teller_program(tmp_path, update, locked):
    """The tellers with `update` as their line 19, under `guard` or under a `with` that locks
    nothing."""
    tmp_path.mkdir(exist_ok=True)
    path = tmp_path / "bank.py"
    source = TELLERS.format(update=update, lock="guard" if locked else "contextlib.nullcontext()")
    path.write_text(source, encoding="utf-8")
    return path


@pytest.mark.parametrize("update", UPDATES[1:])
def test_every_spelling_of_an_unlocked_update_scores_as_the_plain_one(rubric, tmp_path, update):
    plain = grade(rubric, "bank", teller_program(tmp_path / "plain", UPDATES[0], False))
    report = grade(rubric, "bank", teller_program(tmp_path, update, False))
    checks = {c.id: c for c in report.checks}
    assert report.score == plain.score == plain.max_score - rubric.task("bank").findings["race"]
    assert "an update can be lost" in checks["script_consistent"].message
    assert "bank.py:19" in checks["script_consistent"].message


@pytest.mark.parametrize("update", UPDATES)
def test_every_spelling_of_a_locked_update_keeps_every_behaviour_point(rubric, tmp_path, update):
    report = grade(rubric, "bank", teller_program(tmp_path, update, True))
    assert [c.id for c in report.checks if c.status != "passed"] == ["api"], \
        [c.message for c in report.checks if c.status != "passed"]


# -- private attributes (`self.__saldo`): Python renames them inside the class -----------------
def test_a_program_keeping_its_balance_and_lock_in_private_attributes_gets_full_marks(rubric):
    report, checks = graded(rubric, "cuenta_private_locked.py")
    assert [c.id for c in report.checks if c.status != "passed"] == ["api"], \
        [c.message for c in report.checks if c.status != "passed"]
    assert "Saldo final: 4100" in checks["script_runs"].message


def test_a_lost_update_of_a_private_attribute_is_named_as_the_student_wrote_it(rubric):
    report, checks = graded(rubric, "cuenta_private_no_lock.py")
    message = checks["script_consistent"].message
    assert checks["script_consistent"].status == "failed"
    assert "reads and then writes self.__saldo (cuenta_private_no_lock.py:10, then " \
           "cuenta_private_no_lock.py:11" in message, message


def test_a_contract_account_with_private_attributes_gets_full_marks(rubric):
    folder = Path(__file__).resolve().parent / "programs" / "bank_contract"
    report, _ = graded(rubric, "private_attributes.py", folder)
    assert report.style == "contract"
    assert report.score == report.max_score, \
        [(c.id, c.message) for c in report.checks if c.status == "failed"]


# -- tuple and chained assignments (`a.balance, b.balance = ...`) are updates like any other ----
@pytest.mark.parametrize("name", ["transfer_tuple_locked.py", "till_globals_locked.py"])
def test_a_locked_tuple_or_chained_assignment_of_shared_state_gets_full_marks(rubric, name):
    report, checks = graded(rubric, name)
    assert [c.id for c in report.checks if c.status != "passed"] == ["api"], \
        [c.message for c in report.checks if c.status != "passed"]
    assert checks["script_uses_lock"].status == "passed"


@pytest.mark.parametrize("name, written", [
    ("transfer_tuple_no_lock.py", r"(source|target)\.balance \(transfer_tuple_no_lock\.py:(11, then "
                                  r"transfer_tuple_no_lock\.py:)?12;"),
    ("till_globals_no_lock.py", r"writes (till|sales) \(till_globals_no_lock\.py:12;")])
def test_an_unlocked_tuple_assignment_is_a_lost_update_named_at_its_line(rubric, name, written):
    report, checks = graded(rubric, name)
    message = checks["script_consistent"].message
    assert checks["script_consistent"].status == "failed"
    assert "an update can be lost" in message and re.search(written, message), message
    assert report.score == report.max_score - rubric.task("bank").findings["race"]
