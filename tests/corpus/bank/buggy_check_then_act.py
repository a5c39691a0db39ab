# corpus: buggy
# style: contract
# bug: check-then-act
# must_fail: no_overdraft
# may_fail: conservation, linearizable
import threading


class BankAccount:
    def __init__(self, balance=0):
        self.balance = balance
        self._lock = threading.Lock()

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("Deposit amount must be > 0")
        with self._lock:
            self.balance += amount

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError("Withdraw amount must be > 0")
        # check first, no need to hold the lock just for reading
        if self.balance < amount:
            return False
        with self._lock:
            self.balance -= amount
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
