"""One module-wide lock for every account operation and for transfers: correct.

Written for tests/test_transfer_gap.py (a transfer shape; correct)."""
import threading

BANK = threading.Lock()


class BankAccount:
    def __init__(self, balance=0):
        self.balance = balance

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        with BANK:
            self.balance += amount

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        with BANK:
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
    with BANK:
        if src.balance < amount:
            return False
        src.balance -= amount
        dst.balance += amount
        return True
