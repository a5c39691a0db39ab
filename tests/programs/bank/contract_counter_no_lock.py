"""The contract's BankAccount with its balance in a Counter, updated with no lock."""
import threading
from collections import Counter


class BankAccount:
    def __init__(self, balance=0):
        self._book = Counter(balance=balance)

    @property
    def balance(self):
        return self._book["balance"]

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("deposit must be positive")
        self._book.update(balance=amount)

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError("withdrawal must be positive")
        if self._book["balance"] < amount:
            return False
        self._book.subtract(balance=amount)
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
