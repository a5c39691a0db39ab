# corpus: buggy
# style: contract
# bug: simulate-join-in-loop
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


def customer(account, deposits_each, amount):
    for _ in range(deposits_each):
        account.deposit(amount)


def simulate(account, customers, deposits_each, amount):
    for i in range(customers):
        t = threading.Thread(target=customer, args=(account, deposits_each, amount))
        t.start()
        t.join()  # wait for this customer to finish
    return account.balance
