# corpus: buggy
# style: contract
# bug: simulate-unlocked-counter
# must_fail: simulate_total
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
    total = account.balance  # keep a running total of what we expect

    def customer():
        nonlocal total
        for _ in range(deposits_each):
            account.deposit(amount)
            total += amount

    threads = [threading.Thread(target=customer) for _ in range(customers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return total
