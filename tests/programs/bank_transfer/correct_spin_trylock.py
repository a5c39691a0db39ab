"""Every lock taken by spinning on a non-blocking acquire (yielding with sleep(0)), the transfer's
two locks in id order and the move in one holding of both: correct.

Written for tests/test_transfer_gap.py: a thread that spins instead of blocking must not starve
a mover kept waiting in its gap while it holds the lock the spinner wants."""
import threading
import time


def _take(lock):
    while not lock.acquire(blocking=False):
        time.sleep(0)


class BankAccount:
    def __init__(self, balance=0):
        self.balance = balance
        self.lock = threading.Lock()

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        _take(self.lock)
        try:
            self.balance += amount
        finally:
            self.lock.release()

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        _take(self.lock)
        try:
            if self.balance < amount:
                return False
            self.balance -= amount
            return True
        finally:
            self.lock.release()


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
    first, second = sorted((src, dst), key=id)
    _take(first.lock)
    try:
        _take(second.lock)
        try:
            if src.balance < amount:
                return False
            src.balance -= amount
            dst.balance += amount
            return True
        finally:
            second.lock.release()
    finally:
        first.lock.release()
