import threading
from concurrent.futures import ThreadPoolExecutor


class BankAccount:
    """One worker thread per account applies every change: no two changes ever overlap."""

    def __init__(self, balance=0):
        self._balance = balance
        self._teller = ThreadPoolExecutor(max_workers=1)

    def _apply(self, change):
        if self._balance + change < 0:
            return False
        self._balance += change
        return True

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("deposit must be positive")
        self._teller.submit(self._apply, amount).result()

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError("withdrawal must be positive")
        return self._teller.submit(self._apply, -amount).result()

    @property
    def balance(self):
        return self._teller.submit(lambda: self._balance).result()


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
