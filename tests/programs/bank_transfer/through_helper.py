"""Moves the money through a helper that takes and gives in two locked steps.

Written for tests/test_transfer_gap.py (a transfer shape; not atomic)."""
import threading


class BankAccount:
    def __init__(self, balance=0):
        self.balance = balance
        self.lock = threading.Lock()

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        with self.lock:
            self.balance += amount

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        with self.lock:
            if self.balance < amount:
                return False
            self.balance -= amount
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


def _take(account, amount):
    with account.lock:
        if account.balance < amount:
            return False
        account.balance -= amount
        return True


def _give(account, amount):
    with account.lock:
        account.balance += amount


def _move(src, dst, amount):
    if not _take(src, amount):
        return False
    _give(dst, amount)
    return True


def transfer(src, dst, amount):
    if amount <= 0:
        raise ValueError("amount must be positive")
    return _move(src, dst, amount)
