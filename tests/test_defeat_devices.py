"""A program cannot tell the grader's threading from CPython's by what it may ask of it
(red team round 3, item 5): a bank that locks only when it sees the grader's scheduler is
graded as the unlocked bank it is everywhere else.
"""
from __future__ import annotations

import threading
import time

import pytest

from grader.probes.preempt import primitives
from grader.results import Status

BANK = '''
import threading

GRADED = {test}


class BankAccount:
    def __init__(self, balance=0):
        self.balance = balance
        self._lock = threading.Lock() if GRADED else None

    def _locked(self, fn):
        if self._lock is None:
            return fn()
        with self._lock:
            return fn()

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        def add():
            current = self.balance
            self.balance = current + amount
        self._locked(add)

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        def take():
            if amount > self.balance:
                return False
            current = self.balance
            self.balance = current - amount
            return True
        return self._locked(take)


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
DEVICES = {
    "lock type name": 'type(threading.Lock()).__name__ != "lock"',
    "lock repr": 'not repr(threading.Lock()).startswith("<unlocked _thread.lock object")',
    "thread type name": 'type(threading.Thread(target=print)).__name__ != "Thread"',
    "sleep name": 'getattr(__import__("time").sleep, "__name__", "") != "sleep"',
}


@pytest.mark.parametrize("device", DEVICES.values(), ids=list(DEVICES))
def test_a_bank_locking_only_under_the_grader_loses_its_race_points(grading, device):
    graded = grading.graded("bank", BANK.format(test=device))

    assert graded["no_lost_update"].status == Status.FAILED


@pytest.mark.parametrize("name, native", [("CoopLock", "lock"), ("CoopRLock", "RLock"), ("CoopCondition", "Condition"),
                                          ("CoopEvent", "Event"), ("ManagedThread", "Thread")])
def test_the_grader_s_primitives_carry_cpython_s_type_names(name, native):
    cls = getattr(primitives, name)
    assert cls.__name__ == cls.__qualname__ == native


def test_the_grader_s_locks_print_as_cpython_s():
    def shape(text: str) -> str:
        return text.rsplit(" at ", 1)[0]

    assert shape(repr(primitives.CoopLock())) == shape(repr(threading.Lock()))
    assert shape(repr(primitives.CoopRLock())) == shape(repr(threading.RLock()))
    assert primitives._sleep.__name__ == time.sleep.__name__
