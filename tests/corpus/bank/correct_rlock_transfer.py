# corpus: correct
# style: contract
# bug: none
# must_fail:
# may_fail:
# Name: Priya S.   Lab 6 (threads)
#
# I used an RLock (re-entrant lock) so that transfer() can hold the locks of
# both accounts and still call withdraw()/deposit(), which lock again.
# To avoid deadlock when two transfers go in opposite directions, the locks
# are always taken in the same global order (by id of the account object).

import threading


class BankAccount:
    def __init__(self, balance=0):
        self._balance = balance
        self._lock = threading.RLock()

    @property
    def balance(self):
        with self._lock:
            return self._balance

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError(f"invalid amount {amount}")
        with self._lock:
            self._balance = self._balance + amount

    def withdraw(self, amount):
        if amount <= 0:
            raise ValueError(f"invalid amount {amount}")
        with self._lock:
            if self._balance < amount:
                return False
            self._balance = self._balance - amount
            return True

    def __repr__(self):
        return f"BankAccount(balance={self.balance})"


def transfer(src, dst, amount):
    """Move amount from src to dst. Returns False if src can't afford it."""
    if amount <= 0:
        raise ValueError(f"invalid amount {amount}")
    # always lock the account with the smaller id first
    first, second = (src, dst) if id(src) <= id(dst) else (dst, src)
    with first._lock:
        with second._lock:      # RLock: fine even if src is dst
            if not src.withdraw(amount):
                return False
            dst.deposit(amount)
            return True


def simulate(account, customers, deposits_each, amount):
    def run():
        for i in range(deposits_each):
            account.deposit(amount)

    workers = [threading.Thread(target=run, name=f"customer-{i}") for i in range(customers)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return account.balance


if __name__ == "__main__":
    a = BankAccount(500)
    b = BankAccount(500)
    ts = [threading.Thread(target=transfer, args=(a, b, 1)) for _ in range(100)]
    ts += [threading.Thread(target=transfer, args=(b, a, 1)) for _ in range(100)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print(a, b, a.balance + b.balance)
