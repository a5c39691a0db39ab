"""Deposits first, then withdraws (undoing the deposit when the source is short): the money is in both accounts between the two.

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
    dst.deposit(amount)
    if src.withdraw(amount):
        return True
    dst.withdraw(amount)
    return False
