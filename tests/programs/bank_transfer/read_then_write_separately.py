"""Reads both balances under their locks, then writes them back under the locks again: another thread's update in between is overwritten.

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


def transfer(src, dst, amount):
    if amount <= 0:
        raise ValueError("amount must be positive")
    with src.lock:
        have = src.balance
    with dst.lock:
        had = dst.balance
    if have < amount:
        return False
    with src.lock:
        src.balance = have - amount
    with dst.lock:
        dst.balance = had + amount
    return True
