"""Every route to the submission's own code runs instrumented (red team round 3, item 3).

A racy bank must lose its race points however its code is reached: through `import bank`
inside bank.py (the plain copy the child imported first would run unscheduled, its races
unseen), from a function at call time, or through a helper imported by a computed name. The
correct twin of each keeps full marks.
"""
from __future__ import annotations

import pytest

from grader.results import Status

ACCOUNT = '''
import threading


class _Account:
    def __init__(self, balance=0):
        self.balance = balance
        self._lock = threading.Lock()

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        with LOCK(self):
            current = self.balance
            self.balance = current + amount

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        with LOCK(self):
            if amount > self.balance:
                return False
            current = self.balance
            self.balance = current - amount
            return True


def simulate(account, customers, deposits_each, amount):
    def customer():
        for _ in range(deposits_each):
            account.deposit(amount)
    threads = [threading.Thread(target=customer) for _ in range(customers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return account.balance
'''
RACY = "import contextlib\nLOCK = lambda account: contextlib.nullcontext()\n"
LOCKED = "LOCK = lambda account: account._lock\n"
RACE_CHECKS = ("no_lost_update", "no_overdraft")


@pytest.mark.parametrize("locking, passes", [(RACY, False), (LOCKED, True)], ids=["racy", "locked"])
def test_a_bank_that_imports_itself_is_graded_by_its_scheduled_code(grading, locking, passes):
    graded = grading.graded("bank", ACCOUNT + "\nfrom bank import _Account as BankAccount\n",
                            prefix=locking)

    assert [graded[c].status == Status.PASSED for c in RACE_CHECKS] == [passes, passes]


@pytest.mark.parametrize("locking, passes", [(RACY, False), (LOCKED, True)], ids=["racy", "locked"])
def test_a_method_that_imports_its_own_module_at_call_time_runs_scheduled(grading, locking, passes):
    graded = grading.graded("bank", ACCOUNT + '''

class BankAccount(_Account):
    def deposit(self, amount):
        import bank
        return bank._Account.deposit(self, amount)

    def withdraw(self, amount):
        import bank
        return bank._Account.withdraw(self, amount)
''', prefix=locking)

    assert [graded[c].status == Status.PASSED for c in RACE_CHECKS] == [passes, passes]


@pytest.mark.parametrize("locking, passes", [(RACY, False), (LOCKED, True)], ids=["racy", "locked"])
def test_a_helper_imported_by_a_computed_name_is_instrumented(grading, locking, passes):
    grading.write(locking + ACCOUNT, "account_impl.py")
    graded = grading.graded("bank", '''
import importlib

BankAccount = importlib.import_module("account" + "_impl")._Account
simulate = importlib.import_module("account" + "_impl").simulate
''')

    assert [graded[c].status == Status.PASSED for c in RACE_CHECKS] == [passes, passes]


SCRIPT = '''
import threading

balance = 0
LOCK = threading.Lock() if LOCKED else None


def deposit(amount):
    global balance
    if LOCK is not None:
        LOCK.acquire()
    current = balance
    balance = current + amount
    if LOCK is not None:
        LOCK.release()


if __name__ == "__main__":
    import bank as me
    threads = [threading.Thread(target=lambda: [me.deposit(1) for _ in range(1000)]) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("final balance:", me.balance)
    print("expected:", 10000)
'''


@pytest.mark.parametrize("locked", [False, True], ids=["racy", "locked"])
def test_a_script_that_runs_its_twin_module_is_graded_on_the_twin_scheduled(grading, locked):
    graded = grading.graded("bank", SCRIPT, prefix=f"LOCKED = {locked}\n")

    assert graded.report.style == "program"
    assert (graded.report.score == graded.report.max_score) is locked
