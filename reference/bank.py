"""Reference solution: a thread-safe bank account.

Every account owns its own ``threading.Lock``; all reads and writes of the
balance happen while holding that lock, so concurrent deposits never lose
updates and concurrent withdrawals can never overdraw the account.
"""

import threading


class BankAccount:
    """A bank account whose operations are safe to call from many threads."""

    def __init__(self, balance=0):
        self._balance = balance
        self._lock = threading.Lock()  # one lock per account

    @property
    def balance(self):
        """Current balance (read under the lock, so never a torn value)."""
        with self._lock:
            return self._balance

    def deposit(self, amount):
        """Add ``amount`` (> 0) to the balance."""
        if amount <= 0:
            raise ValueError("deposit amount must be positive")
        with self._lock:
            # Read-modify-write must be atomic, hence inside the lock.
            self._balance += amount

    def withdraw(self, amount):
        """Remove ``amount`` (> 0) if funds allow; return True on success.

        Returns False (and changes nothing) when the balance is too low.
        """
        if amount <= 0:
            raise ValueError("withdrawal amount must be positive")
        with self._lock:
            # Check and debit under the same lock: no other thread can
            # withdraw between our check and our update.
            if self._balance < amount:
                return False
            self._balance -= amount
            return True


def simulate(account, customers, deposits_each, amount):
    """Run ``customers`` threads, each depositing ``amount`` ``deposits_each`` times.

    All threads are started before any is joined, so they run concurrently.
    Returns the final balance.
    """

    def customer():
        for _ in range(deposits_each):
            account.deposit(amount)

    threads = [threading.Thread(target=customer) for _ in range(customers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return account.balance


def transfer(src, dst, amount):
    """Atomically move ``amount`` from ``src`` to ``dst``; return True on success.

    Returns False (and changes nothing) if ``src`` has insufficient funds.
    Both locks are held for the whole check-and-move, so no observer ever
    sees the money "in flight". Locks are always taken in the same global
    order (by ``id()``), so two opposite transfers cannot deadlock.
    """
    if amount <= 0:
        raise ValueError("transfer amount must be positive")
    if src is dst:
        raise ValueError("cannot transfer to the same account")

    first, second = sorted((src, dst), key=id)
    with first._lock, second._lock:
        if src._balance < amount:
            return False
        src._balance -= amount
        dst._balance += amount
        return True


if __name__ == "__main__":
    acct = BankAccount()
    print("final balance:", simulate(acct, customers=10, deposits_each=1000, amount=1))
