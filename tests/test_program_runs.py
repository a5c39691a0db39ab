"""Every bank submission is graded as the program it is, whatever its shape and size.

The programs under tests/programs/bank/ were written for these tests; each is run by the
grader as `__main__` under its scheduler (virtual time, seeded thread switches).
"""
import textwrap
from pathlib import Path

import pytest

from grader.grading import grade
from grader.results import Status

PROGRAMS = Path(__file__).resolve().parent / "programs" / "bank"


def graded(rubric, name):
    report = grade(rubric, "bank", PROGRAMS / name)
    return report, {c.id: c for c in report.checks}


def assert_full_behaviour(rubric, report, checks):
    """A correct program without the contract's names loses the names check's point only."""
    names = rubric.task("bank").names_check
    assert report.style == "program"
    assert checks[names].status == (Status.FAILED if checks[names].max_score else Status.NOTE)
    assert [c.id for c in report.checks if c.status != "passed"] == [names], \
        [c.message for c in report.checks if c.status != "passed"]
    assert report.score == report.max_score - checks[names].max_score


@pytest.mark.parametrize("name", ["own_class_main.py", "thread_subclass.py", "executor.py",
                                  "other_bankaccount_toplevel.py"])
def test_a_correct_program_of_any_shape_earns_every_behaviour_point(rubric, name):
    report, checks = graded(rubric, name)
    assert_full_behaviour(rubric, report, checks)


def test_the_names_check_says_which_names_were_expected_and_which_are_there(rubric):
    _, checks = graded(rubric, "own_class_main.py")
    message = checks["api"].message
    assert "BankAccount" in message and "simulate" in message
    assert "it defines Account, customer, main" in message
    assert "graded as a program" in message.lower() and "cost only" in message


def test_a_bankaccount_with_another_signature_is_graded_as_a_program(rubric):
    report, checks = graded(rubric, "other_bankaccount_toplevel.py")
    assert "BankAccount" in checks["api"].message and "owner" in checks["api"].message
    assert checks["script_consistent"].status == "passed"


def test_the_textbook_100_threads_by_1000_deposits_grades_in_full(rubric):
    report, checks = graded(rubric, "textbook_100x1000.py")
    assert_full_behaviour(rubric, report, checks)
    assert "100000" in checks["script_runs"].message


def test_two_threads_by_a_million_locked_increments_grade_in_full(rubric):
    report, checks = graded(rubric, "race_demo_2x1000000.py")
    assert_full_behaviour(rubric, report, checks)
    assert "2000000" in checks["script_runs"].message


def test_two_threads_by_a_million_unlocked_increments_lose_the_race_points(rubric):
    report, checks = graded(rubric, "race_demo_2x1000000_no_lock.py")
    assert checks["script_consistent"].status == "failed"
    # the same race, found again: its points come back under the race cap, so it is a note
    lock = checks["script_uses_lock"]
    assert lock.status == "note" and lock.score == lock.max_score and "counter" in lock.message
    assert "counter" in checks["script_consistent"].message
    assert "an update can be lost" in checks["script_consistent"].message
    race = rubric.task("bank").findings["race"]
    assert report.score == report.max_score - checks["api"].max_score - race


def test_top_level_sleeps_cost_no_real_time(rubric):
    report, checks = graded(rubric, "top_level_sleeps.py")  # 60 s of sleeping if run for real
    assert_full_behaviour(rubric, report, checks)
    assert "135" in checks["script_runs"].message


def test_a_simulation_that_never_ends_is_stopped_and_graded_on_what_it_did(rubric):
    report, checks = graded(rubric, "forever_simulation.py")
    assert_full_behaviour(rubric, report, checks)
    assert "was stopped there (not a fault)" in checks["script_runs"].message


def test_a_program_asking_how_many_customers_is_answered_from_the_scripted_session(rubric):
    report, checks = graded(rubric, "asks_input.py")
    assert_full_behaviour(rubric, report, checks)
    assert checks["script_threads"].message.startswith("5 threads")  # the session's first answer
    assert "How many customers? 5" in checks["script_runs"].message or \
        "balance 5" in checks["script_runs"].message
    assert "graded on a scripted session" in checks["script_runs"].message


def test_an_exception_in_a_thread_points_at_the_students_line(rubric):
    report, checks = graded(rubric, "thread_raises.py")
    assert checks["script_runs"].status == "failed"
    assert "KeyError" in checks["script_runs"].message
    assert "(at thread_raises.py:10)" in checks["script_runs"].message


def test_a_contract_submission_is_still_graded_by_the_contract_checks(rubric):
    report = grade(rubric, "bank", Path(__file__).resolve().parent.parent / "reference" / "bank.py")
    assert report.style == "contract" and report.score >= report.max_score
    assert not any(c.id.startswith("program_") for c in report.checks)


def test_six_hundred_customer_threads_alive_at_once_fit_the_sandbox(rubric, tmp_path):
    """A pool of hundreds of workers (a textbook `max_workers=1000`) is not a fork bomb: the
    sandbox's task cap leaves room for it."""
    path = tmp_path / "bank.py"
    path.write_text(textwrap.dedent("""
        import threading, time
        balance = 0
        lock = threading.Lock()
        def customer():
            global balance
            time.sleep(0.5)
            with lock:
                balance += 1
        threads = [threading.Thread(target=customer) for _ in range(600)]
        for t in threads: t.start()
        for t in threads: t.join()
        print("balance", balance)
    """), encoding="utf-8")
    report = grade(rubric, "bank", path)
    checks = {c.id: c for c in report.checks}
    assert checks["script_runs"].status == "passed", checks["script_runs"].message
    assert "balance 600" in checks["script_runs"].message
    assert checks["script_threads"].message.startswith("600 threads, up to 600 running at once")
