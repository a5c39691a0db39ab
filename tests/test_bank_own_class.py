"""A program's own account class is tried on an overdraft (script_refuses_overdraft).

A bank graded as a program is judged by what its run does, and its run may never ask for more
money than there is. The check finds the program's own account classes by behaviour and fails
only a class that tries to refuse and cannot: its withdraw method checks the funds, yet
withdrawing more than the balance still takes it below zero. The programs under
tests/programs/bank/ were written for these tests, each with a correct twin.
"""
import ast
import textwrap
from pathlib import Path

import pytest

from grader.checks.bank.funds import definitions, funds_check
from grader.grading import grade

PROGRAMS = Path(__file__).resolve().parent / "programs" / "bank"


def graded(rubric, name):
    report = grade(rubric, "bank", PROGRAMS / name)
    return report, {c.id: c for c in report.checks}


def not_passed(report):
    return {c.id: c.message for c in report.checks if c.status != "passed"}


# -- the funds check, read from the source ---------------------------------------------------
def check_of(source, attribute="balance", amount="amount", class_name="Account"):
    source = textwrap.dedent(source)
    tree = ast.parse(source)
    fn = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "withdraw")
    return funds_check(tree, source.splitlines(), fn.lineno, attribute, class_name, amount)


@pytest.mark.parametrize("body, line", [
    ("if self.balance < self.balance - amount:\n        return False\n    self.balance -= amount", 3),
    ("if amount > self.balance:\n        print('refused')\n    else:\n        self.balance -= amount", 3),
    ("if self.balance >= amount:\n        self.balance -= amount\n        return True\n    return False", 3),
    ("left = self.balance - amount\n    if left < 0:\n        raise ValueError(left)\n    self.balance = left", 4),
    ("while self.balance < amount:\n        self.cond.wait()\n    self.balance -= amount", 3),
])
def test_a_comparison_of_balance_and_amount_that_leads_to_a_refusal_is_a_funds_check(body, line):
    source = f"class Account:\n  def withdraw(self, amount):\n    {body}\n"
    found = check_of(source)
    assert found is not None and found.line == line
    assert found.text == source.splitlines()[line - 1].strip()


@pytest.mark.parametrize("body", [
    "self.balance -= amount",
    "if amount > self.balance:\n        print('overdrawn, booking it anyway')\n    self.balance -= amount",
    "if self.balance <= 0:\n        return False\n    self.balance -= amount",
    "if amount <= 0:\n        raise ValueError(amount)\n    self.balance -= amount",
])
def test_no_check_a_warning_or_a_check_not_on_the_funds_is_no_funds_check(body):
    assert check_of(f"class Account:\n  def withdraw(self, amount):\n    {body}\n") is None


def test_a_name_mangled_balance_is_found_under_its_stored_name():
    found = check_of("""
        class Till:
            def withdraw(self, amount):
                if self.__cash < amount:
                    return "no"
                self.__cash -= amount
    """, attribute="_Till__cash", class_name="Till")
    assert found is not None and found.text == "if self.__cash < amount:"


def test_only_the_definitions_of_a_program_are_kept_to_build_its_classes():
    source = textwrap.dedent("""\
        import threading
        lock = threading.Lock()
        START = 100
        class Account:
            pass
        account = Account()
        answer = input()
        for _ in range(3):
            threading.Thread(target=print).start()
        if __name__ == "__main__":
            print(account)
    """)
    assert definitions(source) == [(1, 1), (2, 2), (3, 3), (4, 5)]


# -- programs ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name, line, text", [
    ("konto_never_refuses.py", 14, "if self.kontostand - betrag > self.kontostand:"),
    ("wallet_never_refuses.py", 17, "if self.funds < self.funds - amount:"),
])
def test_a_funds_check_that_is_never_true_fails_naming_its_line(rubric, name, line, text):
    report, checks = graded(rubric, name)
    result = checks["script_refuses_overdraft"]
    assert result.status == "failed"
    assert f"at {name}:{line} checks the funds first (`{text}`): the check never refuses" in result.message
    assert "left -" in result.message
    assert set(not_passed(report)) == {"api", "script_refuses_overdraft"}
    assert report.score == report.max_score - result.max_score


def test_a_reversed_funds_check_fails_and_says_it_refuses_the_wrong_withdrawals(rubric):
    report, checks = graded(rubric, "wallet_reversed_check.py")
    result = checks["script_refuses_overdraft"]
    assert result.status == "failed"
    assert "withdrawing 2000 from a balance of 1000 left -1000" in result.message
    assert "wallet_reversed_check.py:18" in result.message and "it refused 50" in result.message
    assert set(not_passed(report)) == {"api", "script_refuses_overdraft"}


@pytest.mark.parametrize("name", ["konto_refuses.py", "wallet_refuses.py", "till_and_vault_refuse.py"])
def test_the_correct_twins_refusing_in_their_own_ways_keep_every_behaviour_point(rubric, name):
    report, checks = graded(rubric, name)
    assert set(not_passed(report)) == {"api"}, not_passed(report)
    assert " refused withdrawing " in checks["script_refuses_overdraft"].message


def test_a_class_with_no_refusal_path_is_not_judged_for_going_negative(rubric):
    report, checks = graded(rubric, "counter_no_refusal.py")
    assert set(not_passed(report)) == {"api"}, not_passed(report)
    assert "has no funds check of its own" in checks["script_refuses_overdraft"].message


def test_a_credit_line_that_refuses_past_its_limit_is_not_an_overdraft(rubric):
    report, checks = graded(rubric, "credit_line.py")
    assert set(not_passed(report)) == {"api"}, not_passed(report)
    assert "a credit line" in checks["script_refuses_overdraft"].message


def test_a_class_the_grader_cannot_make_is_left_alone(rubric):
    report, checks = graded(rubric, "account_needs_owner.py")
    assert set(not_passed(report)) == {"api"}, not_passed(report)
    assert "nothing to judge" in checks["script_refuses_overdraft"].message


def probed(tmp_path, source):
    """The probe and its judge, in this process, on a program of ours."""
    from grader.checks.bank.own_class import own_class_probe, script_refuses_overdraft
    from grader.probes.probing import ProbeContext
    from grader.probes.registry import JudgeContext

    path = tmp_path / "bank.py"
    path.write_text(textwrap.dedent(source))
    obs = own_class_probe(ProbeContext(None, path, path.read_text(), {}, {}, 0, {}))
    return script_refuses_overdraft(obs, JudgeContext({}, "bank.py", 0))


def test_an_account_that_waits_for_the_funds_is_not_an_overdraft(tmp_path):
    verdict = probed(tmp_path, """\
        import threading

        class Account:
            def __init__(self, balance=0):
                self.balance = balance
                self.changed = threading.Condition()

            def deposit(self, amount):
                with self.changed:
                    self.balance += amount
                    self.changed.notify_all()

            def withdraw(self, amount):
                with self.changed:
                    while self.balance < amount:
                        self.changed.wait()
                    self.balance -= amount
    """)
    assert verdict.status == "passed"
    assert verdict.message == ("Account.withdraw waited instead of withdrawing 2000 from a balance "
                               "of 1000 (its funds check at bank.py:15): it never overdraws")


def test_threads_and_classes_that_cannot_be_made_are_left_alone(tmp_path):
    verdict = probed(tmp_path, """\
        import threading

        class Teller(threading.Thread):
            def __init__(self, account, rounds):
                super().__init__()
                self.account, self.rounds = account, rounds

            def pay(self, amount):
                if self.account.balance < self.account.balance - amount:
                    return False
                self.account.balance -= amount

        class Broken:
            def __init__(self, balance=0):
                raise RuntimeError("not today")

            def withdraw(self, amount):
                if self.balance < self.balance - amount:
                    return False
                self.balance -= amount
    """)
    assert verdict.status == "passed" and "nothing to judge" in verdict.message


def test_a_class_whose_methods_name_it_under_future_annotations_is_still_tried(tmp_path):
    """Each definition runs on its own, with the file's __future__ imports: `other: Account`
    in the class's own body does not keep the class from being made."""
    verdict = probed(tmp_path, """\
        from __future__ import annotations
        import threading

        lock = threading.Lock()


        class Account:
            def __init__(self, balance: int = 0) -> None:
                self.balance = balance

            def absorb(self, other: Account) -> None:
                self.balance += other.balance

            def withdraw(self, amount: int) -> bool:
                with lock:
                    if self.balance < self.balance - amount:
                        return False
                    self.balance -= amount
                    return True


        account = Account(10)
        threading.Thread(target=account.withdraw, args=(5,)).start()
    """)
    assert verdict.status == "failed"
    assert verdict.message.startswith("withdrawing 2000 from a balance of 1000 left -1000 (and it returned True)")
    assert "Account.withdraw at bank.py:16 checks the funds first" in verdict.message
