# corpus: buggy
# style: contract
# bug: simulate-no-threads
# must_fail: simulate_threads
# may_fail:
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
    # every customer makes their deposits
    for customer in range(customers):
        for d in range(deposits_each):
            account.deposit(amount)
    return account.balance
