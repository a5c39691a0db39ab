# corpus: buggy
# style: contract
# bug: transfer-nonreentrant-lock
# must_fail: transfer_atomic, transfer_no_deadlock
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


def transfer(src, dst, amount):
    # lock both accounts (lowest id first so no deadlock) and reuse
    # withdraw/deposit -- but these take the same Lock again, so the
    # thread blocks on a lock it already holds (Lock is not re-entrant)
    first, second = sorted([src, dst], key=id)
    with first.lock:
        with second.lock:
            if src.withdraw(amount):
                dst.deposit(amount)
                return True
            return False


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
