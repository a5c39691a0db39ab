"""The sequential checks' steps (grader/checks/bank/harness.py `apply_sequences`): many sequences
run in one serial schedule where that schedule can be made a fresh one, and each sequence's
outcomes are what it gets when it runs alone in a schedule of its own (`apply_steps`). In
process: the account classes are this file's own, imported as the child imports a submission."""
from __future__ import annotations

import importlib.util
import itertools
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from grader.checks.bank import harness
from grader.checks.bank.harness import apply_sequences, apply_steps

LOCKED = """
import threading

class BankAccount:
    def __init__(self, balance=0):
        self._balance = balance
        self._lock = threading.Lock()

    @property
    def balance(self):
        with self._lock:
            return self._balance

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        with self._lock:
            self._balance += amount

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        with self._lock:
            if amount > self._balance:
                return False
            self._balance -= amount
            return True
"""

# deposit takes its own lock again: it never returns; withdraw and balance take no lock
DEPOSIT_DEADLOCKS = """
import threading

class BankAccount:
    def __init__(self, balance=0):
        self.balance = balance
        self._lock = threading.Lock()

    def deposit(self, amount):
        with self._lock:
            with self._lock:
                self.balance += amount

    def withdraw(self, amount):
        if amount > self.balance:
            return False
        self.balance -= amount
        return True
"""

# what a method sees of the process: virtual time, `random`, thread names, a thread per deposit
WORLDLY = """
import random
import threading
import time

class BankAccount:
    made = []

    def __init__(self, balance=0):
        self.balance = balance
        BankAccount.made.append(time.monotonic())

    def deposit(self, amount):
        time.sleep(amount)
        self.balance += amount + random.randint(0, 3)

    def withdraw(self, amount):
        if amount > self.balance:
            return False
        worker = threading.Thread(target=self._take, args=(amount,))
        worker.start()
        worker.join()
        return worker.name

    def _take(self, amount):
        self.balance -= amount
"""

# deposit sleeps 70 virtual seconds: the limit of a sequence is a minute per step of its own
SLEEPY = """
import time

class BankAccount:
    def __init__(self, balance=0):
        self.balance = balance

    def deposit(self, amount):
        time.sleep(70)
        self.balance += amount

    def withdraw(self, amount):
        if amount > self.balance:
            return False
        self.balance -= amount
        return True
"""

SEQUENCES = [
    [["new", 10], ["deposit", 5], ["balance"], ["withdraw", 3], ["balance"]],
    [["new", 7], ["balance"], ["withdraw", 8], ["deposit", 0], ["balance"]],
    [],
    [["new"], ["deposit", 2], ["deposit", 2], ["balance"], ["withdraw", 4], ["balance"]],
    [["new", 1], ["deposit", -1], ["withdraw", 1], ["balance"]],
]

_names = itertools.count()


def _account_class(tmp_path: Path, source: str) -> Any:
    """The class as the child gets it: the file imported as a module of its own."""
    name = f"seqbank_{next(_names)}"
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(source))
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module.BankAccount


def _calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the serial schedules (`call_quietly`) the harness makes."""
    made: list[int] = []
    real = harness.call_quietly

    def counted(*args: Any, **kwargs: Any) -> Any:
        made.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(harness, "call_quietly", counted)
    return made


@pytest.mark.parametrize("source", [LOCKED, DEPOSIT_DEADLOCKS, WORLDLY, SLEEPY],
                         ids=["locked", "deposit-deadlocks", "worldly", "sleepy"])
def test_each_sequence_gets_what_it_gets_alone(tmp_path, source):
    cls = _account_class(tmp_path, source)
    together = apply_sequences(cls, SEQUENCES, "bank.py")
    cls = _account_class(tmp_path, source)
    alone = [apply_steps(cls, steps, "bank.py") for steps in SEQUENCES]
    assert together == alone


def test_plain_sequences_share_one_schedule(tmp_path, monkeypatch):
    cls = _account_class(tmp_path, LOCKED)
    calls = _calls(monkeypatch)
    histories = apply_sequences(cls, SEQUENCES, "bank.py")
    assert len(calls) == 1
    assert [entry["value"] for entry in histories[0]] == [None, None, 15, True, 12]
    assert histories[4][1]["error"]["type"] == "ValueError"
    assert histories[2] == []


def test_a_step_that_never_returns_is_stuck_and_the_rest_still_runs(tmp_path, monkeypatch):
    """The second step (a deposit taking its own lock again) never returns: recorded as such;
    the rest of its sequence runs afresh, and so do the sequences after it."""
    cls = _account_class(tmp_path, DEPOSIT_DEADLOCKS)
    calls = _calls(monkeypatch)
    histories = apply_sequences(cls, SEQUENCES, "bank.py")
    first = histories[0]
    assert first[1]["error"]["type"] == "NeverReturned"
    assert "already holds itself" in first[1]["error"]["message"]
    assert [entry.get("value") for entry in first[2:]] == [10, True, 7]
    assert [entry.get("value") for entry in histories[1]] == [None, 7, False, None, 7]
    assert histories[3][1]["error"]["type"] == "NeverReturned"
    assert histories[3][-1]["value"] == 0  # withdraw(4) refused, nothing deposited
    assert len(calls) == 1 + 5  # one call, then a fresh one after each of the 5 stuck deposits


def test_a_sequence_that_starts_threads_ends_its_schedule(tmp_path, monkeypatch):
    cls = _account_class(tmp_path, WORLDLY)
    calls = _calls(monkeypatch)
    histories = apply_sequences(cls, SEQUENCES, "bank.py")
    assert histories[0][3]["value"] == "Thread-1 (_take)"  # numbered from its own schedule's start
    assert histories[3][4]["value"] == "Thread-1 (_take)"
    assert len(calls) > 1


def test_virtual_time_and_its_limit_start_again_with_each_sequence(tmp_path):
    cls = _account_class(tmp_path, WORLDLY)
    apply_sequences(cls, SEQUENCES, "bank.py")
    assert set(cls.made) == {1000.0}  # every account made at virtual time zero
    sleepy = _account_class(tmp_path, SLEEPY)
    histories = apply_sequences(sleepy, SEQUENCES, "bank.py")
    # the 5 deposits sleep 350 s in all, more than any one sequence's limit (4 steps: 240 s)
    assert all("error" not in entry for history in histories for entry in history)
    assert [entry["value"] for entry in histories[4]] == [None, None, False, 0]
