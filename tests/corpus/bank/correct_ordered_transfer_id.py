# corpus: correct
# style: contract
# bug: none
# must_fail:
# may_fail:
"""Bank accounts with one lock per account and a deadlock-free transfer.

Deadlock happens when thread 1 holds A and waits for B while thread 2 holds
B and waits for A.  We break the cycle by ordering the locks: every transfer
locks the account with the lower id() first, no matter which way the money
goes.
"""
import threading


class BankAccount:
    def __init__(self, balance=0):
        self._balance = balance
        self.lock = threading.Lock()

    @property
    def balance(self):
        return self._balance

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("deposit must be positive")
        with self.lock:
            self._balance += amount

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError("withdrawal must be positive")
        with self.lock:
            if self._balance < amount:
                return False
            self._balance -= amount
            return True


def transfer(src, dst, amount):
    if amount <= 0:
        raise ValueError("transfer must be positive")
    if src is dst:
        # a plain Lock is not re-entrant, so don't lock it twice
        with src.lock:
            return src._balance >= amount

    first, second = sorted([src, dst], key=id)
    with first.lock:
        with second.lock:
            if src._balance < amount:
                return False
            src._balance -= amount
            dst._balance += amount
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
