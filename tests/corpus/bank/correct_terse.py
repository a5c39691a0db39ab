# corpus: correct
# style: contract
# bug: none
# must_fail:
# may_fail:
from threading import Lock, Thread


class BankAccount:
    def __init__(self, balance=0):
        self.balance, self._l = balance, Lock()

    def deposit(self, amount):
        if amount <= 0: raise ValueError(amount)
        with self._l: self.balance += amount

    def withdraw(self, amount):
        if amount <= 0: raise ValueError(amount)
        with self._l:
            ok = self.balance >= amount
            if ok: self.balance -= amount
        return ok


def simulate(account, customers, deposits_each, amount):
    ts = [Thread(target=lambda: [account.deposit(amount) for _ in range(deposits_each)]) for _ in range(customers)]
    for t in ts: t.start()
    for t in ts: t.join()
    return account.balance
