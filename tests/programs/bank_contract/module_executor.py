import threading

class BankAccount:
    def __init__(self, balance=0):
        self._balance = balance
        self._lock = threading.Lock()
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
    @property
    def balance(self):
        with self._lock:
            return self._balance

from concurrent.futures import ThreadPoolExecutor, wait

POOL = ThreadPoolExecutor(max_workers=8)


def simulate(account, customers, deposits_each, amount):
    def customer():
        for _ in range(deposits_each):
            account.deposit(amount)
    wait([POOL.submit(customer) for _ in range(customers)])
    return account.balance
