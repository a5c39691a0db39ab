# corpus: correct
# style: contract
# bug: none
# must_fail:
# may_fail:
"""Homework 4 - thread-safe bank account.

Every method that touches the balance grabs the account's lock first,
so two threads can never update the balance at the same time.
"""
import threading


class BankAccount:
    def __init__(self, balance=0):
        self.balance = balance
        self.lock = threading.Lock()

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("deposit amount must be positive")
        with self.lock:
            self.balance += amount

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError("withdraw amount must be positive")
        with self.lock:
            if amount > self.balance:
                return False  # not enough money, nothing changes
            self.balance -= amount
            return True


def simulate(account, customers, deposits_each, amount):
    def customer():
        for _ in range(deposits_each):
            account.deposit(amount)

    threads = []
    for _ in range(customers):
        t = threading.Thread(target=customer)
        threads.append(t)
        t.start()

    for t in threads:
        t.join()

    return account.balance


if __name__ == "__main__":
    acc = BankAccount()
    print("final balance:", simulate(acc, 10, 1000, 1))  # expect 10000
