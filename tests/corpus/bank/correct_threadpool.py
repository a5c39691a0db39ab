# corpus: correct
# style: contract
# bug: none
# must_fail:
# may_fail:
import threading
from concurrent.futures import ThreadPoolExecutor


class BankAccount:
    def __init__(self, balance=0):
        self.balance = balance
        self._lock = threading.Lock()

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        with self._lock:
            self.balance += amount

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        with self._lock:
            if self.balance < amount:
                return False
            self.balance -= amount
        return True


def simulate(account, customers, deposits_each, amount):
    """Each customer is a task in a pool with one worker per customer."""

    def customer(_):
        for _ in range(deposits_each):
            account.deposit(amount)

    # the `with` block waits for every task (shutdown(wait=True))
    with ThreadPoolExecutor(max_workers=customers) as pool:
        results = list(pool.map(customer, range(customers)))  # re-raises errors
    return account.balance


if __name__ == "__main__":
    print(simulate(BankAccount(), 16, 250, 4))
