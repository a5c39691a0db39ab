# corpus: buggy
# style: contract
# bug: temp-race
# must_fail: no_lost_update, conservation, linearizable
# may_fail: simulate_total
# Lab 5 - bank account
# withdraw needs a lock because of the "is there enough money" check.
# deposit only adds money so it can't go wrong (I think?)
import threading


class BankAccount:
    def __init__(self, balance=0):
        self.balance = balance
        self.lock = threading.Lock()

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        temp = self.balance
        temp += amount
        self.balance = temp

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        with self.lock:
            temp = self.balance
            if temp < amount:
                return False
            temp -= amount
            self.balance = temp
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
