# corpus: correct
# style: contract
# bug: none
# must_fail:
# may_fail:
# Money should never be a float, so I store it as a Decimal.
# (ints still work: Decimal(5) == 5)
import threading
from decimal import Decimal


class BankAccount:
    def __init__(self, balance=0):
        self._balance = Decimal(balance)
        self._lock = threading.Lock()

    @property
    def balance(self):
        return self._balance

    def deposit(self, amount):
        amount = Decimal(amount)
        if amount <= 0:
            raise ValueError("Deposit must be positive")
        with self._lock:
            self._balance += amount

    def withdraw(self, amount):
        amount = Decimal(amount)
        if amount <= 0:
            raise ValueError("Withdrawal must be positive")
        with self._lock:
            if amount > self._balance:
                return False
            self._balance -= amount
            return True


def simulate(account, customers, deposits_each, amount):
    def customer():
        for _ in range(deposits_each):
            account.deposit(amount)

    threads = [threading.Thread(target=customer) for _ in range(customers)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    return account.balance


if __name__ == "__main__":
    acc = BankAccount(10)
    print(simulate(acc, 3, 10, 1))
