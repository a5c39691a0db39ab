"""Balances kept as Decimal; the transfer debits under the source's lock, then credits under the destination's.

Written for tests/test_transfer_gap.py (a transfer shape; not atomic): the scheduler's log records
no Decimal write, so the gap is found by the account's attribute being replaced."""
import threading
from decimal import Decimal


class BankAccount:
    def __init__(self, balance=0):
        self._balance = Decimal(balance)
        self._lock = threading.Lock()

    @property
    def balance(self):
        with self._lock:
            return int(self._balance)

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        with self._lock:
            self._balance += Decimal(amount)

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        with self._lock:
            if self._balance < amount:
                return False
            self._balance -= Decimal(amount)
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


def transfer(src, dst, amount):
    if amount <= 0:
        raise ValueError("amount must be positive")
    with src._lock:
        if src._balance < amount:
            return False
        src._balance -= Decimal(amount)
    with dst._lock:
        dst._balance += Decimal(amount)
    return True
