"""The contract's BankAccount writing its balance through object.__setattr__, with no lock."""
import threading


class BankAccount:
    def __init__(self, balance=0):
        self.balance = balance

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("deposit must be positive")
        object.__setattr__(self, "balance", self.__getattribute__("balance") + amount)

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError("withdrawal must be positive")
        if object.__getattribute__(self, "balance") < amount:
            return False
        object.__setattr__(self, "balance", object.__getattribute__(self, "balance") - amount)
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
