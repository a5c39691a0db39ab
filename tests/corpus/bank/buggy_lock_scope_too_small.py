# corpus: buggy
# style: contract
# bug: lock-scope-too-small
# must_fail: no_lost_update, no_overdraft, conservation, linearizable
# may_fail: simulate_total
import threading


class BankAccount:
    def __init__(self, balance=0):
        self.balance = balance
        self.lock = threading.Lock()

    def _read(self):
        # reading shared data -> use the lock
        with self.lock:
            return self.balance

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        current = self._read()
        self.balance = current + amount

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        current = self._read()
        if current < amount:
            return False
        self.balance = current - amount
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
