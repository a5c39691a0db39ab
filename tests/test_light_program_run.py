"""A contract bank's program run is light (issue 21): once the names check passes, the contract
checks grade the file and its run as a program only feeds notes, so it runs the serial run and
one forced schedule; a file whose names check then fails has its program track run again in
full, so its grade is the one the full run gives."""
from __future__ import annotations

import pytest

import grader.grading as grading_module
from conftest import ROOT
from grader.grading import grade
from grader.grading.profile import GradingProfile

pytestmark = pytest.mark.sandbox

REFERENCE = (ROOT / "reference" / "bank.py").read_text(encoding="utf-8")

# Every contract name is defined, but simulate takes other parameters: the names check fails,
# and the program (an unlocked balance, 4 threads) is what gets graded.
NAMES_BUT_WRONG_SIGNATURE = '''
import threading


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


def simulate(n):
    account = BankAccount()
    workers = [threading.Thread(target=lambda: [account.deposit(1) for _ in range(200)])
               for _ in range(n)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return account.balance


def transfer(source, target, amount):
    if source.withdraw(amount):
        target.deposit(amount)


if __name__ == "__main__":
    print("balance:", simulate(4))
'''


def _script_runs(profile: GradingProfile) -> dict[str, int]:
    return {key: runs for key, runs in profile.schedules.items() if key.startswith("bank.script")}


def test_a_contract_bank_runs_its_program_light_in_one_child(grading):
    path = grading.write(REFERENCE)
    profile = GradingProfile()
    report = grade(grading.rubric(), "bank", path, profile=profile)
    assert report.style == "contract" and report.score >= report.max_score  # (+ bonus)
    assert _script_runs(profile) == {'bank.script{"budget": 2000, "schedules": 1}': 1}
    assert len(profile.sandboxes) == 1


def test_a_program_with_only_some_contract_names_keeps_its_full_program_run(grading):
    path = grading.write(REFERENCE.split("\ndef simulate")[0] + '''

if __name__ == "__main__":
    account = BankAccount(0)
    print(account.balance)
''')
    profile = GradingProfile()
    grade(grading.rubric(), "bank", path, profile=profile)
    assert list(_script_runs(profile)) == ["bank.script{}"]


def test_a_failed_names_check_is_graded_as_the_full_program_run_grades_it(grading, monkeypatch):
    path = grading.write(NAMES_BUT_WRONG_SIGNATURE)
    light_profile = GradingProfile()
    light = grade(grading.rubric(), "bank", path, profile=light_profile)
    monkeypatch.setattr(grading_module, "LIGHT_PARAMS", {})
    full = grade(grading.rubric(), "bank", path)
    assert len(light_profile.sandboxes) == 2  # the light run, then the program track in full
    assert "bank.script{}" in light_profile.schedules
    assert light.style == full.style == "program"
    assert [(c.id, c.status, c.score) for c in light.checks] == [(c.id, c.status, c.score) for c in full.checks]
    assert light.score < light.max_score  # the unlocked balance is the program's bug


# A correct contract, whose program first makes 10 x 1,000 locked deposits (far past the light
# run's 2,000 recorded points), then counts its customers in a global from threads, unlocked.
LATE_RACE = REFERENCE.replace('''if __name__ == "__main__":''', '''served = 0


def _serve():
    global served
    for _ in range(50):
        served += 1


if __name__ == "__main__":
    helpers = [threading.Thread(target=_serve) for _ in range(4)]''') + '''    for helper in helpers:
        helper.start()
    for helper in helpers:
        helper.join()
    print("served:", served)
'''


def test_a_race_past_the_light_runs_recorded_points_is_still_noted(grading):
    """Past its recorded points the light run is watched: a conflict there is recorded in full,
    so the note names the race in the student's lines."""
    assert "import threading" in REFERENCE
    path = grading.write(LATE_RACE)
    report = grade(grading.rubric(), "bank", path)
    assert report.style == "contract" and report.score >= report.max_score
    line = next(i for i, text in enumerate(LATE_RACE.splitlines(), 1) if "served += 1" in text)
    noted = [n for n in report.notes if n.startswith("running your file as a program")]
    assert any("served" in note and f"bank.py:{line}" in note for note in noted), report.notes
